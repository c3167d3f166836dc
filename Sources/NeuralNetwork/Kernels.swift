import LinearAlgebra

/// Small numerical kernels inlined into the specialised bodies of the layers.
///
/// `Softmax.logSumExp` in `LinearAlgebra` is generic and not inlinable, so each of its
/// elements would go through the protocol witness for `exp`; these are marked
/// `@inline(__always)` and get compiled for the concrete scalar type at every
/// `@_specialize`d call site.
enum Kernels {
    /// `log Σ exp(x[i])` over `count ≥ 1` elements, stable (the maximum is factored out);
    /// negative infinity if every element is.
    @inline(__always)
    static func logSumExp<Scalar: BLASScalar>(_ x: UnsafePointer<Scalar>, _ count: Int) -> Scalar {
        var maximum = x[0]
        for i in 1..<count where x[i] > maximum { maximum = x[i] }
        if maximum == -.infinity { return -.infinity }
        var sum: Scalar = 0
        for i in 0..<count { sum += Scalar.exp(x[i] - maximum) }
        return maximum + Scalar.log(sum)
    }
}
