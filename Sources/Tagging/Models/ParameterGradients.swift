import LinearAlgebra
import NeuralNetwork

/// The gradient of a whole network: dense matrices and sparse embedding-table rows, each
/// under the name of the parameter it belongs to (`encoder.layers.0.forward.Wx`,
/// `embedder.words.E`, …).
public struct ParameterGradients<Scalar: BLASScalar> {
    /// Dense gradients by parameter name.
    public var dense: [String: Matrix<Scalar>] = [:]
    /// Sparse row gradients of embedding tables by parameter name.
    public var sparse: [String: SparseRowGradient<Scalar>] = [:]

    /// An empty set of gradients.
    public init() {}

    /// Adds every parameter of `gradient` (a layer-shaped gradient) as `prefix.name`.
    public mutating func add<L: Parameterized>(_ gradient: L, prefix: String)
    where L.Scalar == Scalar {
        for p in gradient.parameters { dense[prefix + "." + p.name] = gradient[keyPath: p.keyPath] }
    }

    /// Merges another set (names must not overlap).
    public mutating func merge(_ other: ParameterGradients) {
        dense.merge(other.dense) { a, _ in a }
        sparse.merge(other.sparse) { a, _ in a }
    }

    /// `wa·a + wb·b`, parameter by parameter: the gradient of a batch from the gradients of
    /// two parts, each weighted by its share of the batch. A parameter missing from one side
    /// counts as zero there; sparse rows of both sides are summed by id.
    @_specialize(where Scalar == Float)
    public static func weightedSum(
        _ a: ParameterGradients, _ wa: Scalar, _ b: ParameterGradients, _ wb: Scalar
    ) -> ParameterGradients {
        var result = ParameterGradients()
        for name in Set(a.dense.keys).union(b.dense.keys) {
            switch (a.dense[name], b.dense[name]) {
            case let (x?, y?):
                var sum = x
                sum.scale(by: wa)
                sum.add(y, scaledBy: wb)
                result.dense[name] = sum
            case (let x?, nil):
                var m = x
                m.scale(by: wa)
                result.dense[name] = m
            case (nil, let y?):
                var m = y
                m.scale(by: wb)
                result.dense[name] = m
            case (nil, nil): break
            }
        }
        for name in Set(a.sparse.keys).union(b.sparse.keys) {
            let parts = [(a.sparse[name], wa), (b.sparse[name], wb)].compactMap { s, w in
                s.map { ($0, w) }
            }
            guard let first = parts.first?.0 else { continue }
            var ids: [Int] = []
            var scalars: [Scalar] = []
            for (s, w) in parts {
                var scaled = s.rows
                scaled.scale(by: w)
                ids += s.ids
                scalars += scaled.scalars
            }
            let rows = Matrix(rows: ids.count, columns: first.dimension, scalars: scalars)
            result.sparse[name] = SparseRowGradient(
                ids: ids, gradients: rows, rowCount: first.rowCount)
        }
        return result
    }

    /// The sum of squares of every gradient element, in `Double`.
    public var squaredNorm: Double {
        var total = 0.0
        for (_, m) in dense { total += Double(GradientClipping.squaredNorm(m)) }
        for (_, s) in sparse { total += Double(GradientClipping.squaredNorm(s.rows)) }
        return total
    }

    /// Multiplies every gradient by `factor`.
    public mutating func scale(by factor: Scalar) {
        for k in dense.keys { dense[k]!.scale(by: factor) }
        for k in sparse.keys { sparse[k]!.rows.scale(by: factor) }
    }

    /// Whether every element is finite; otherwise the name of the first offending parameter.
    public func firstNonFinite() -> String? {
        for k in dense.keys.sorted() where !NumericCheck.isFinite(dense[k]!) { return k }
        for k in sparse.keys.sorted() where !NumericCheck.isFinite(sparse[k]!.rows) { return k }
        return nil
    }

    /// The gradient of parameter `name` as a dense matrix of `rows × columns` (zeros when
    /// the parameter received none).
    public func denseGradient(of name: String, rows: Int, columns: Int) -> Matrix<Scalar> {
        if let d = dense[name] { return d }
        if let s = sparse[name] { return s.dense() }
        return Matrix(rows: rows, columns: columns)
    }
}

extension Parameterized {
    /// Calls `body` with `prefix.name` and a mutable reference to every parameter.
    @inlinable
    public mutating func visitMatrices(
        prefix: String, _ body: (String, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        for p in parameters { try body(prefix + "." + p.name, &self[keyPath: p.keyPath]) }
    }
}
