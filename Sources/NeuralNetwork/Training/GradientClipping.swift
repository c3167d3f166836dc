import LinearAlgebra

/// Gradient clipping by global norm (across every parameter of a model) and by value.
public enum GradientClipping {
    /// The sum of squares of the elements of `matrix` (infinite if it overflows the
    /// scalar type; `globalNorm` does not overflow).
    public static func squaredNorm<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) -> Scalar {
        Scalar(squaredNormInDouble(matrix))
    }

    /// The sum of squares in `Double`: summed in the scalar type in a fixed order
    /// (`BLASScalar.sumOfSquares`), and by a `Double` loop only when that overflowed (or
    /// met a non-finite element).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func squaredNormInDouble<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) -> Double {
        let n = matrix.count
        guard n > 0 else { return 0 }
        let fast = matrix.withUnsafePointer { Scalar.sumOfSquares(count: n, x: $0) }
        if fast.isFinite { return Double(fast) }
        var sum = 0.0
        matrix.withUnsafePointer { p in
            for i in 0..<n { sum += Double(p[i]) * Double(p[i]) }
        }
        return sum
    }

    /// The Euclidean norm of all parameters of `gradient` taken together.
    public static func globalNorm<Layer: Parameterized>(_ gradient: Layer) -> Layer.Scalar {
        Layer.Scalar(globalSquaredNorm(gradient).squareRoot())
    }

    static func globalSquaredNorm<Layer: Parameterized>(_ gradient: Layer) -> Double {
        gradient.parameters.reduce(0) { $0 + squaredNormInDouble(gradient[keyPath: $1.keyPath]) }
    }

    /// Scales every parameter of `gradient` by `maxNorm / norm` when its global norm
    /// exceeds `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm<Layer: Parameterized>(
        _ gradient: inout Layer, maxNorm: Layer.Scalar
    ) -> Layer.Scalar {
        var none: [SparseRowGradient<Layer.Scalar>] = []
        return clipByGlobalNorm(&gradient, sparse: &none, maxNorm: maxNorm)
    }

    /// Clips a dense model gradient and sparse table gradients together: the global
    /// norm is taken over all of them, and all are scaled by the same factor when it
    /// exceeds `maxNorm`. Returns the norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm<Layer: Parameterized>(
        _ gradient: inout Layer, sparse: inout [SparseRowGradient<Layer.Scalar>],
        maxNorm: Layer.Scalar
    ) -> Layer.Scalar {
        precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
        var squared = globalSquaredNorm(gradient)
        for s in sparse { squared += squaredNormInDouble(s.rows) }
        let norm = squared.squareRoot()
        guard norm.isFinite, norm > Double(maxNorm) else { return Layer.Scalar(norm) }
        let factor = Layer.Scalar(Double(maxNorm) / norm)
        gradient.modifyParameters { _, matrix in matrix.scale(by: factor) }
        for i in sparse.indices { sparse[i].rows.scale(by: factor) }
        return Layer.Scalar(norm)
    }

    /// Limits every element of every parameter of `gradient` to `[-limit, limit]`.
    public static func clipByValue<Layer: Parameterized>(
        _ gradient: inout Layer, limit: Layer.Scalar
    ) {
        gradient.modifyParameters { _, matrix in clamp(&matrix, limit: limit) }
    }

    /// Limits every element of the touched rows to `[-limit, limit]`.
    public static func clipByValue<Scalar: BLASScalar>(
        _ gradient: inout SparseRowGradient<Scalar>, limit: Scalar
    ) {
        clamp(&gradient.rows, limit: limit)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func clamp<Scalar: BLASScalar>(_ matrix: inout Matrix<Scalar>, limit: Scalar) {
        precondition(limit > 0, "clipping limit must be positive, got \(limit)")
        matrix.scalars.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = Swift.min(Swift.max(buffer[i], -limit), limit) }
        }
    }
}
