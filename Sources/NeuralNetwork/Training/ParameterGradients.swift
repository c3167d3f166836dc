import LinearAlgebra

/// A value whose trainable matrices can be visited by name: what an `Optimizer` steps and
/// what `ParameterGradients` is keyed by.
public protocol NamedParameters {
    /// The element type of every parameter.
    associatedtype Scalar: BLASScalar
    /// Calls `body` with the name and a mutable reference to every parameter, in a fixed order.
    mutating func visitParameters(_ body: (String, inout Matrix<Scalar>) throws -> Void) rethrows
}

extension NamedParameters where Self: Parameterized {
    /// Through `parameters`, by their names.
    public mutating func visitParameters(
        _ body: (String, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        let names = parameters.map(\.name)
        try modifyParameters { i, matrix in try body(names[i], &matrix) }
    }
}

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

    /// The parameters of a layer-shaped gradient under their own names.
    public init<L: Parameterized>(_ gradient: L) where L.Scalar == Scalar {
        for p in gradient.parameters { dense[p.name] = gradient[keyPath: p.keyPath] }
    }

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
                precondition(
                    x.rows == y.rows && x.columns == y.columns,
                    "gradients of \(name) differ in shape: \(x.shapeDescription) and \(y.shapeDescription)"
                )
                result.dense[name] = combination(x, wa, y, wb)
            case (let x?, nil): result.dense[name] = combination(x, wa, nil, 0)
            case (nil, let y?): result.dense[name] = combination(y, wb, nil, 0)
            case (nil, nil): break
            }
        }
        for name in Set(a.sparse.keys).union(b.sparse.keys) {
            let parts = [(a.sparse[name], wa), (b.sparse[name], wb)].compactMap { s, w in
                s.map { ($0, w) }
            }
            guard let first = parts.first?.0 else { continue }
            let ids = parts.flatMap { $0.0.ids }
            var offset = 0
            let rows = Matrix<Scalar>(rows: ids.count, columns: first.dimension) { out in
                for (s, w) in parts {
                    s.rows.withUnsafePointer { x in
                        for i in 0..<s.rows.count { out[offset + i] = w * x[i] }
                    }
                    offset += s.rows.count
                }
            }
            result.sparse[name] = SparseRowGradient(
                ids: ids, gradients: rows, rowCount: first.rowCount)
        }
        return result
    }

    /// Matrices of at least this many elements are combined on both threads of
    /// `TwoThreads`: the combination otherwise runs on one core between batches.
    static var parallelElements: Int { 1 << 15 }

    /// `wx·x + wy·y` (`wx·x` without `y`) in one pass into new storage.
    @_specialize(where Scalar == Float)
    static func combination(_ x: Matrix<Scalar>, _ wx: Scalar, _ y: Matrix<Scalar>?, _ wy: Scalar)
        -> Matrix<Scalar>
    {
        Matrix(rows: x.rows, columns: x.columns) { out in
            x.withUnsafePointer { px in
                func run(_ range: Range<Int>) {
                    if let y {
                        y.withUnsafePointer { py in
                            for i in range { out[i] = wx * px[i] + wy * py[i] }
                        }
                    } else {
                        for i in range { out[i] = wx * px[i] }
                    }
                }
                let count = x.count
                if count >= parallelElements {
                    // Element-wise, so the halves are independent: the same result either way.
                    TwoThreads.run({ run(0..<(count / 2)) }, { run((count / 2)..<count) })
                } else {
                    run(0..<count)
                }
            }
        }
    }

    /// The sum of squares of every gradient element, in `Double`.
    public var squaredNorm: Double {
        var total = 0.0
        for (_, m) in dense { total += Double(GradientClipping.squaredNorm(m)) }
        for (_, s) in sparse { total += Double(GradientClipping.squaredNorm(s.rows)) }
        return total
    }

    /// The sum of squares of every gradient element, summed in `Double` throughout (finite
    /// where the squares of finite elements overflow `Scalar`), in name order.
    public var squaredNormInDouble: Double {
        var total = 0.0
        for k in dense.keys.sorted() { total += GradientClipping.squaredNormInDouble(dense[k]!) }
        for k in sparse.keys.sorted() {
            total += GradientClipping.squaredNormInDouble(sparse[k]!.rows)
        }
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
        let names = parameters.map(\.name)
        try modifyParameters { i, matrix in try body(prefix + "." + names[i], &matrix) }
    }
}
