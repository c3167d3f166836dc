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

    /// `y[j] = Σ_r A[r, j]` over the `rows` rows of row-major `A` (row stride `lda`), for
    /// `j < columns`, added to `y` when `accumulate`: each column summed over its rows in
    /// order, the same on every CPU and whatever BLAS core runs (unlike gemv).
    static func columnSums(
        rows: Int, columns: Int, a: UnsafePointer<Self>, lda: Int, accumulate: Bool,
        y: UnsafeMutablePointer<Self>)

    /// `Σ x[i]²` over `count` contiguous elements, summed in an order fixed by the code
    /// (unlike BLAS dot, whose order depends on the core OpenBLAS runs).
    static func sumOfSquares(count: Int, x: UnsafePointer<Self>) -> Self

    /// The number of scalars a `[k, n]` right-hand operand takes once packed by `pack`.
    static func packedCount(k: Int, n: Int) -> Int

    /// Packs the `[k, n]` matrix B for repeated products by `gemmPacked`: `b` is B
    /// row-major with row stride `ldb`, or, when `transposed`, Bᵀ (`[n, k]`) row-major.
    static func pack(
        k: Int, n: Int, b: UnsafePointer<Self>, ldb: Int, transposed: Bool,
        into packed: UnsafeMutablePointer<Self>)

    /// `C = A · B`, or `C += A · B` when `accumulate`, with A row-major `[m, k]`, B packed
    /// by `pack`, C row-major `[m, n]`. Meant for products of few rows by the same matrix
    /// many times (the steps of a recurrent layer), where a general GEMM would re-pack B
    /// at every call.
    static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
        accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `C = Aᵀ · B`, or `C += Aᵀ · B` when `accumulate`, with A row-major `[k, m]`, B
    /// row-major `[k, n]` and C row-major `[m, n]`: a weight gradient `Xᵀ · dY` summed over
    /// the k rows of a batch.
    static func gemmTransposedA(
        m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>,
        ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int)

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

    // MARK: Fused recurrent-cell kernels, one batch row of `hidden` units per call.
    //
    // `p` is the row's input projection `x · Wx` and `q` its hidden product
    // `hPrev · Wh`, both `[gates · hidden]` in the cell's gate order; `bias` is `b`.

    /// LSTM step, gate order `i f g o`: `z = p + q + bias` (`q == nil`: `p` already holds
    /// `p + q`); `i, f, o = σ(z)`, `g = tanh(z)`;
    /// `c = f ⊙ cPrev + i ⊙ g`; `h = o ⊙ tanh(c)`. Writes `h`, `c` (`[hidden]` each) and
    /// `activations` = `[i f g o tanh(c)]` (`[5 · hidden]`).
    static func lstmForwardRow(
        hidden: Int, p: UnsafePointer<Self>, q: UnsafePointer<Self>?, bias: UnsafePointer<Self>,
        cPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>, c: UnsafeMutablePointer<Self>,
        activations: UnsafeMutablePointer<Self>)

    /// LSTM step backward: from `dh` (`[hidden]`, the whole gradient of `h`) and `dc`
    /// (in: the gradient of `c` from later steps; out: the gradient of `cPrev`), writes
    /// `dz` (`[4 · hidden]`, gradient of the pre-activations `i f g o`).
    static func lstmBackwardRow(
        hidden: Int, activations: UnsafePointer<Self>, cPrev: UnsafePointer<Self>,
        dh: UnsafePointer<Self>, dc: UnsafeMutablePointer<Self>, dz: UnsafeMutablePointer<Self>)

    /// GRU step, gate order `r u n` (reset, update, candidate), reset applied after the
    /// hidden product: `r = σ(p_r + q_r + b_r)`, `u = σ(p_u + q_u + b_u)`,
    /// `n = tanh(p_n + b_n + r ⊙ q_n)`, `h = (1 − u) ⊙ n + u ⊙ hPrev`. Writes `h` and
    /// `activations` = `[r u n q_n]` (`[4 · hidden]`).
    static func gruForwardRow(
        hidden: Int, p: UnsafePointer<Self>, q: UnsafePointer<Self>, bias: UnsafePointer<Self>,
        hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>,
        activations: UnsafeMutablePointer<Self>)

    /// GRU step backward: from `dh` writes `dp` (`[3 · hidden]`, gradient of `p` and of
    /// the bias), `dq` (`[3 · hidden]`, gradient of `q = hPrev · Wh`) and `dhPrev`
    /// (`[hidden]`, the direct part `dh ⊙ u`; the part through `Wh` is added by the caller).
    static func gruBackwardRow(
        hidden: Int, activations: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
        dh: UnsafePointer<Self>, dp: UnsafeMutablePointer<Self>, dq: UnsafeMutablePointer<Self>,
        dhPrev: UnsafeMutablePointer<Self>)

    /// Elman step: `h = tanh(p + q + bias)` (`q == nil`: `p` already holds `p + q`).
    static func rnnForwardRow(
        hidden: Int, p: UnsafePointer<Self>, q: UnsafePointer<Self>?, bias: UnsafePointer<Self>,
        h: UnsafeMutablePointer<Self>)

    /// Elman step backward: `dz = dh ⊙ (1 − h²)`.
    static func rnnBackwardRow(
        hidden: Int, h: UnsafePointer<Self>, dh: UnsafePointer<Self>, dz: UnsafeMutablePointer<Self>
    )
}

extension Float: BLASScalar {
    @inlinable
    public static func gemm(
        _ transposeA: Transpose, _ transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = slowCoreWarning
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
        _ = slowCoreWarning
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
    public static func scal(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>, incX: Int) {
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

    @inline(__always) static func sigmoid1(_ x: Double) -> Double { 1 / (1 + Glibc.exp(-x)) }

    /// See `BLASScalar.lstmForwardRow`; plain loops, `Double` is for gradient checks.
    public static func lstmForwardRow(
        hidden n: Int, p: UnsafePointer<Double>, q: UnsafePointer<Double>?,
        bias: UnsafePointer<Double>, cPrev: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>,
        c: UnsafeMutablePointer<Double>, activations a: UnsafeMutablePointer<Double>
    ) {
        let zero = [Double](repeating: 0, count: 4 * n)
        zero.withUnsafeBufferPointer { zero in
            let q = q ?? zero.baseAddress!
            for j in 0..<n {
                let i = sigmoid1(p[j] + q[j] + bias[j])
                let f = sigmoid1(p[n + j] + q[n + j] + bias[n + j])
                let g = Glibc.tanh(p[2 * n + j] + q[2 * n + j] + bias[2 * n + j])
                let o = sigmoid1(p[3 * n + j] + q[3 * n + j] + bias[3 * n + j])
                let cj = f * cPrev[j] + i * g
                let tc = Glibc.tanh(cj)
                c[j] = cj
                h[j] = o * tc
                a[j] = i
                a[n + j] = f
                a[2 * n + j] = g
                a[3 * n + j] = o
                a[4 * n + j] = tc
            }
        }
    }

    /// See `BLASScalar.lstmBackwardRow`.
    public static func lstmBackwardRow(
        hidden n: Int, activations a: UnsafePointer<Double>, cPrev: UnsafePointer<Double>,
        dh: UnsafePointer<Double>, dc: UnsafeMutablePointer<Double>,
        dz: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n {
            let (i, f, g, o, tc) = (a[j], a[n + j], a[2 * n + j], a[3 * n + j], a[4 * n + j])
            let dcj = dc[j] + dh[j] * o * (1 - tc * tc)
            dz[j] = dcj * g * i * (1 - i)
            dz[n + j] = dcj * cPrev[j] * f * (1 - f)
            dz[2 * n + j] = dcj * i * (1 - g * g)
            dz[3 * n + j] = dh[j] * tc * o * (1 - o)
            dc[j] = dcj * f
        }
    }

    /// See `BLASScalar.gruForwardRow`.
    public static func gruForwardRow(
        hidden n: Int, p: UnsafePointer<Double>, q: UnsafePointer<Double>,
        bias: UnsafePointer<Double>, hPrev: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>,
        activations a: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n {
            let r = sigmoid1(p[j] + q[j] + bias[j])
            let u = sigmoid1(p[n + j] + q[n + j] + bias[n + j])
            let qn = q[2 * n + j]
            let c = Glibc.tanh(p[2 * n + j] + bias[2 * n + j] + r * qn)
            h[j] = (1 - u) * c + u * hPrev[j]
            a[j] = r
            a[n + j] = u
            a[2 * n + j] = c
            a[3 * n + j] = qn
        }
    }

    /// See `BLASScalar.gruBackwardRow`.
    public static func gruBackwardRow(
        hidden n: Int, activations a: UnsafePointer<Double>, hPrev: UnsafePointer<Double>,
        dh: UnsafePointer<Double>, dp: UnsafeMutablePointer<Double>,
        dq: UnsafeMutablePointer<Double>, dhPrev: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n {
            let (r, u, c, qn) = (a[j], a[n + j], a[2 * n + j], a[3 * n + j])
            let d = dh[j]
            let dzn = d * (1 - u) * (1 - c * c)
            let dzr = dzn * qn * r * (1 - r)
            let dzu = d * (hPrev[j] - c) * u * (1 - u)
            dp[j] = dzr
            dp[n + j] = dzu
            dp[2 * n + j] = dzn
            dq[j] = dzr
            dq[n + j] = dzu
            dq[2 * n + j] = dzn * r
            dhPrev[j] = d * u
        }
    }

    /// See `BLASScalar.rnnForwardRow`.
    public static func rnnForwardRow(
        hidden n: Int, p: UnsafePointer<Double>, q: UnsafePointer<Double>?,
        bias: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n { h[j] = Glibc.tanh(p[j] + (q?[j] ?? 0) + bias[j]) }
    }

    /// See `BLASScalar.rnnBackwardRow`.
    public static func rnnBackwardRow(
        hidden n: Int, h: UnsafePointer<Double>, dh: UnsafePointer<Double>,
        dz: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n { dz[j] = dh[j] * (1 - h[j] * h[j]) }
    }
}

/// The number of threads OpenBLAS may use for one call.
///
/// Small recurrent-step products run faster on one thread; callers that run the two
/// directions of a bidirectional layer concurrently, or split batches between their own
/// threads (training, and every network's `predict`), set this to 1. More than one also
/// keeps OpenBLAS's worker threads spinning between calls, taking a core from the rest
/// of the process.
public enum BLASThreads {
    /// Sets the thread count of OpenBLAS for subsequent calls.
    ///
    /// An unchanged count is left alone: OpenBLAS's setter starts the worker threads again
    /// after `stopWorkers()`, and they would spin for their 0.1 s beside the caller's own
    /// threads (in `tagger tag`, every lane sets one thread before it tags).
    public static func set(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        guard Int(openblas_get_num_threads()) != count else { return }
        openblas_set_num_threads(Int32(count))
    }

    /// The thread count of OpenBLAS for subsequent calls.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Ends OpenBLAS's worker threads, so that they stop taking a core.
    ///
    /// OpenBLAS starts its workers when it is loaded, and each one spins (yielding) for
    /// about 0.1 s before it sleeps: at a command's start-up that is a core busy for
    /// nothing, and once the command's own threads run, time taken from them (3–4% of a
    /// short `tagger tag`). The first call that uses more than one BLAS thread starts the
    /// workers again. Nothing happens with a BLAS library that has no such function.
    public static func stopWorkers() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_")
        else { return }
        let shutdown = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)
        _ = shutdown()
    }
}
