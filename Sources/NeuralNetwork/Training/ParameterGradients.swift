import LinearAlgebra

/// A value whose trainable matrices can be visited by name: what an `Optimizer` steps and
/// what `ParameterGradients` is keyed by.
public protocol NamedParameters {
    /// The element type of every parameter.
    associatedtype Scalar: BLASScalar
    /// Calls `body` with the name and a mutable reference to every parameter, in a fixed order.
    mutating func visitParameters(_ body: (String, inout Matrix<Scalar>) throws -> Void) rethrows
    /// Calls `body` with the position (in the order of `visitParameters`) and a mutable
    /// reference to every parameter, without building names: the visit of every training
    /// step, whose names (`parameterNames`) are read once.
    mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows
}

extension NamedParameters {
    /// Through `visitParameters`, counting the visits.
    public mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = 0
        try visitParameters { _, matrix in
            try body(next, &matrix)
            next += 1
        }
    }

    /// Every parameter with its name, in the order of `visitParameters` (sharing storage).
    public var namedParameters: [(name: String, matrix: Matrix<Scalar>)] {
        var copy = self
        var result: [(String, Matrix<Scalar>)] = []
        copy.visitParameters { name, matrix in result.append((name, matrix)) }
        return result
    }

    /// The name of every parameter, in the order of `visitParameters`.
    public var parameterNames: [String] { namedParameters.map(\.name) }

    /// Every parameter matrix, in the order of `visitParameters` (sharing their storage).
    public var parameterMatrices: [Matrix<Scalar>] {
        var copy = self
        var matrices: [Matrix<Scalar>] = []
        copy.visitParameterMatrices { _, matrix in matrices.append(matrix) }
        return matrices
    }
}

extension NamedParameters where Self: Parameterized {
    /// Through `modifyParameters`, by the names of `parameters`.
    public mutating func visitParameters(
        _ body: (String, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        let names = orderedParameterNames
        try modifyParameters { i, matrix in try body(names[i], &matrix) }
    }

    /// Through `modifyParameters`.
    public mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try modifyParameters(body)
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
        add(gradient, prefix: nil)
    }

    /// Adds every parameter of `gradient` (a layer-shaped gradient) as `prefix.name`.
    public mutating func add<L: Parameterized>(_ gradient: L, prefix: String)
    where L.Scalar == Scalar {
        add(gradient, prefix: Optional(prefix))
    }

    /// Each matrix of `gradient` by its name, after `prefix.` if there is one (names and
    /// matrices visited in the order of `parameters`, without its key paths).
    private mutating func add<L: Parameterized>(_ gradient: L, prefix: String?)
    where L.Scalar == Scalar {
        for (name, matrix) in zip(gradient.orderedParameterNames, gradient.orderedParameterMatrices)
        {
            dense[prefix.map { $0 + "." + name } ?? name] = matrix
        }
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
        // Every dense combination in one pass split over the two threads.
        let names = Array(Set(a.dense.keys).union(b.dense.keys))
        var firsts: [Matrix<Scalar>] = []
        var seconds: [Matrix<Scalar>] = []
        var weights: [(Scalar, Scalar)] = []
        for name in names {
            switch (a.dense[name], b.dense[name]) {
            case let (x?, y?):
                precondition(
                    x.rows == y.rows && x.columns == y.columns,
                    "gradients of \(name) differ in shape: \(x.shapeDescription) and \(y.shapeDescription)"
                )
                firsts.append(x)
                seconds.append(y)
                weights.append((wa, wb))
            case (let x?, nil):
                firsts.append(x)
                seconds.append(Matrix(rows: 0, columns: 0))
                weights.append((wa, 0))
            case (nil, let y?):
                firsts.append(y)
                seconds.append(Matrix(rows: 0, columns: 0))
                weights.append((wb, 0))
            case (nil, nil): preconditionFailure("a name from neither side")
            }
        }
        // Storage the pass writes whole.
        var sums = firsts.map { Matrix<Scalar>(rows: $0.rows, columns: $0.columns) { _ in } }
        Matrix.withUnsafePointers(firsts) { xs in
            Matrix.withUnsafePointers(seconds) { ys in
                Matrix.withUnsafeMutablePointers(&sums) { outs in
                    TwoThreads.forEachElement(ofSegments: firsts.map { $0.count }) { k, range in
                        combine(
                            xs[k], weights[k].0, seconds[k].count > 0 ? ys[k] : nil,
                            weights[k].1, into: outs[k], range)
                    }
                }
            }
        }
        for (k, name) in names.enumerated() { result.dense[name] = sums[k] }
        for name in Set(a.sparse.keys).union(b.sparse.keys) {
            switch (a.sparse[name], b.sparse[name]) {
            case let (x?, y?): result.sparse[name] = .weightedSum(x, wa, y, wb)
            case (let x?, nil): result.sparse[name] = x.scaled(by: wa)
            case (nil, let y?): result.sparse[name] = y.scaled(by: wb)
            case (nil, nil): preconditionFailure("a name from neither side")
            }
        }
        return result
    }

    /// `out = wx·x + wy·y` (`wx·x` without `y`) over the elements `range`.
    @inline(__always)
    static func combine(
        _ x: UnsafePointer<Scalar>, _ wx: Scalar, _ y: UnsafePointer<Scalar>?, _ wy: Scalar,
        into out: UnsafeMutablePointer<Scalar>, _ range: Range<Int>
    ) {
        if let y {
            for i in range { out[i] = wx * x[i] + wy * y[i] }
        } else {
            for i in range { out[i] = wx * x[i] }
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
