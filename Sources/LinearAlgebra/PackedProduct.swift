import CKernels

// Products with a packed right-hand operand (see `BLASScalar.gemmPacked`).

extension Float {
    /// See `BLASScalar.packedCount`: whole panels of `SQT_PANEL` columns, times k.
    public static func packedCount(k: Int, n: Int) -> Int {
        sqt_packed_count(k, n)
    }

    /// See `BLASScalar.pack`: panels for the C kernel `sqt_gemm_packed`.
    public static func pack(
        k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transposed: Bool,
        into packed: UnsafeMutablePointer<Float>
    ) {
        sqt_pack(k, n, b, ldb, transposed ? 1 : 0, packed)
    }

    /// See `BLASScalar.gemmPacked`: the C kernel `sqt_gemm_packed`, vectorised for the
    /// widest registers the CPU has.
    public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
        accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sqt_gemm_packed(m, n, k, a, lda, packed, accumulate ? 1 : 0, c, ldc)
    }

    /// The instruction-set level the C kernels run at on this CPU, such as "AVX-512".
    public static var kernelLevel: String { String(cString: sqt_kernel_level()) }
}

extension Double {
    /// See `BLASScalar.packedCount`: Double keeps B row-major (it serves gradient checks,
    /// not speed).
    public static func packedCount(k: Int, n: Int) -> Int { Swift.max(k * n, 1) }

    /// See `BLASScalar.pack`: a row-major copy of B.
    public static func pack(
        k: Int, n: Int, b: UnsafePointer<Double>, ldb: Int, transposed: Bool,
        into packed: UnsafeMutablePointer<Double>
    ) {
        for i in 0..<k {
            for j in 0..<n {
                packed[i * n + j] = transposed ? b[j * ldb + i] : b[i * ldb + j]
            }
        }
    }

    /// See `BLASScalar.gemmPacked`: BLAS dgemm on the row-major copy.
    public static func gemmPacked(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
        packed: UnsafePointer<Double>, accumulate: Bool, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0 && n > 0 else { return }
        gemm(
            .none, .none, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: packed, ldb: n,
            beta: accumulate ? 1 : 0, c: c, ldc: ldc)
    }
}
