import CBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the operand as stored.
    case none
    /// Use the transpose of the operand.
    case transposed

    @inlinable var cblas: CBLAS_TRANSPOSE {
        self == .none ? CblasNoTrans : CblasTrans
    }
}

/// A floating-point type with BLAS routines and vectorised element-wise kernels.
///
/// `Float` is used for training and inference; `Double` exists so that gradient
/// checks can reach a relative error of 1e-6 and below. Generic numerical code
/// does its heavy work through these requirements, so each call runs a loop that
/// is compiled for the concrete type.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// `C = alpha · op(A) · op(B) + beta · C`, all row-major; `op(A)` is `[m, k]`,
    /// `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc` are row strides.
    static func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y = alpha · op(A) · x + beta · y` with `A` row-major `[rows, columns]`.
    static func gemv(
        _ transposeA: Transpose, rows: Int, columns: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, x: UnsafePointer<Self>, incX: Int, beta: Self,
        y: UnsafeMutablePointer<Self>, incY: Int)

    /// `y += alpha · x` over `count` elements.
    static func axpy(
        count: Int, alpha: Self, x: UnsafePointer<Self>, incX: Int,
        y: UnsafeMutablePointer<Self>, incY: Int)

    /// `x *= alpha` over `count` elements.
    static func scal(count: Int, alpha: Self, x: UnsafeMutablePointer<Self>, incX: Int)

    /// The dot product of two strided vectors.
    static func dot(
        count: Int, x: UnsafePointer<Self>, incX: Int, y: UnsafePointer<Self>, incY: Int
    ) -> Self

    /// The natural exponential.
    static func exp(_ x: Self) -> Self
    /// The natural logarithm.
    static func log(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
    /// `log(1 + x)`, accurate for small `x`.
    static func log1p(_ x: Self) -> Self

    /// In place over `count` contiguous elements: `x = 1 / (1 + e^-x)`.
    static func sigmoid(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// In place over `count` contiguous elements: `x = tanh(x)`.
    static func tanh(_ x: UnsafeMutablePointer<Self>, count: Int)
}

extension Float: BLASScalar {
    @inlinable
    public static func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inlinable
    public static func gemv(
        _ transposeA: Transpose, rows: Int, columns: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, incX: Int, beta: Float,
        y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, transposeA.cblas, Int32(rows), Int32(columns), alpha, a, Int32(lda),
            x, Int32(incX), beta, y, Int32(incY))
    }

    @inlinable
    public static func axpy(
        count: Int, alpha: Float, x: UnsafePointer<Float>, incX: Int,
        y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        cblas_saxpy(Int32(count), alpha, x, Int32(incX), y, Int32(incY))
    }

    @inlinable
    public static func scal(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>, incX: Int) {
        cblas_sscal(Int32(count), alpha, x, Int32(incX))
    }

    @inlinable
    public static func dot(
        count: Int, x: UnsafePointer<Float>, incX: Int, y: UnsafePointer<Float>, incY: Int
    ) -> Float {
        cblas_sdot(Int32(count), x, Int32(incX), y, Int32(incY))
    }

    public static func exp(_ x: Float) -> Float { Glibc.expf(x) }
    public static func log(_ x: Float) -> Float { Glibc.logf(x) }
    public static func tanh(_ x: Float) -> Float { Glibc.tanhf(x) }
    public static func log1p(_ x: Float) -> Float { Glibc.log1pf(x) }

    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorKernels.sigmoid(x, count: count)
    }

    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorKernels.tanh(x, count: count)
    }
}

extension Double: BLASScalar {
    @inlinable
    public static func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inlinable
    public static func gemv(
        _ transposeA: Transpose, rows: Int, columns: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, x: UnsafePointer<Double>, incX: Int, beta: Double,
        y: UnsafeMutablePointer<Double>, incY: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, transposeA.cblas, Int32(rows), Int32(columns), alpha, a, Int32(lda),
            x, Int32(incX), beta, y, Int32(incY))
    }

    @inlinable
    public static func axpy(
        count: Int, alpha: Double, x: UnsafePointer<Double>, incX: Int,
        y: UnsafeMutablePointer<Double>, incY: Int
    ) {
        cblas_daxpy(Int32(count), alpha, x, Int32(incX), y, Int32(incY))
    }

    @inlinable
    public static func scal(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>, incX: Int)
    {
        cblas_dscal(Int32(count), alpha, x, Int32(incX))
    }

    @inlinable
    public static func dot(
        count: Int, x: UnsafePointer<Double>, incX: Int, y: UnsafePointer<Double>, incY: Int
    ) -> Double {
        cblas_ddot(Int32(count), x, Int32(incX), y, Int32(incY))
    }

    public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    public static func log(_ x: Double) -> Double { Glibc.log(x) }
    public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }

    public static func sigmoid(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = 1 / (1 + Glibc.exp(-x[i])) }
    }

    public static func tanh(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { x[i] = Glibc.tanh(x[i]) }
    }
}

/// The number of threads OpenBLAS may use for one call.
///
/// Small recurrent-step products run faster on one thread; callers that run the two
/// directions of a bidirectional layer concurrently set this to 1.
public enum BLASThreads {
    /// Sets the thread count of OpenBLAS for subsequent calls.
    public static func set(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }
}
