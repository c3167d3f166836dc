extension Matrix {
    /// Applies the logistic sigmoid to every element in place.
    public mutating func applySigmoid() {
        let n = count
        withUnsafeMutablePointer { Scalar.sigmoid($0, count: n) }
    }

    /// Applies the hyperbolic tangent to every element in place.
    public mutating func applyTanh() {
        let n = count
        withUnsafeMutablePointer { Scalar.tanh($0, count: n) }
    }

    /// The softmax of each row, computed stably (the row maximum is subtracted).
    @_specialize(where Scalar == Float)
    public func softmaxRows() -> Matrix {
        var result = self
        result.withUnsafeMutablePointer { p in
            for r in 0..<rows { Softmax.softmax(p + r * columns, count: columns) }
        }
        return result
    }

    /// The log-softmax of each row: `x − max − log Σ exp(x − max)`.
    @_specialize(where Scalar == Float)
    public func logSoftmaxRows() -> Matrix {
        var result = self
        result.withUnsafeMutablePointer { p in
            for r in 0..<rows { Softmax.logSoftmax(p + r * columns, count: columns) }
        }
        return result
    }
}

/// Numerically stable softmax kernels over contiguous vectors.
public enum Softmax {
    /// Replaces `x[0..<count]` by its softmax.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func softmax<Scalar: BLASScalar>(_ x: UnsafeMutablePointer<Scalar>, count: Int) {
        guard count > 0 else { return }
        var maximum = x[0]
        for i in 1..<count where x[i] > maximum { maximum = x[i] }
        var sum: Scalar = 0
        for i in 0..<count {
            let e = Scalar.exp(x[i] - maximum)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }

    /// Replaces `x[0..<count]` by its log-softmax.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func logSoftmax<Scalar: BLASScalar>(
        _ x: UnsafeMutablePointer<Scalar>, count: Int
    ) {
        let normalizer = logSumExp(x, count: count)
        for i in 0..<count { x[i] -= normalizer }
    }

    /// `log Σ exp(x[i])`, without overflow; negative infinity for an empty vector.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func logSumExp<Scalar: BLASScalar>(
        _ x: UnsafePointer<Scalar>, count: Int
    ) -> Scalar {
        guard count > 0 else { return -.infinity }
        var maximum = x[0]
        for i in 1..<count where x[i] > maximum { maximum = x[i] }
        if maximum == -.infinity { return -.infinity }
        var sum: Scalar = 0
        for i in 0..<count { sum += Scalar.exp(x[i] - maximum) }
        return maximum + Scalar.log(sum)
    }
}
