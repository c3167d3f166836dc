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

    /// See `BLASScalar.gemmTransposedA`: the C kernel `sqt_gemm_tn` on a CPU with AVX2 or
    /// AVX-512, which reads both operands in place (OpenBLAS copies both into its own
    /// layout first, and runs whatever core it was given, which may be narrower than the
    /// CPU); BLAS sgemm on a baseline CPU.
    public static func gemmTransposedA(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0 && n > 0 else { return }
        if hasVectorKernels {
            sqt_gemm_tn(m, n, k, a, lda, b, ldb, accumulate ? 1 : 0, c, ldc)
        } else {
            gemm(
                .transposed, .none, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                beta: accumulate ? 1 : 0, c: c, ldc: ldc)
        }
    }

    /// Whether the CPU runs the C kernels' AVX2 or AVX-512 versions.
    static let hasVectorKernels = sqt_cpu_level() >= 1

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

    /// See `BLASScalar.gemmTransposedA`: BLAS dgemm.
    public static func gemmTransposedA(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>,
        ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0 && n > 0 else { return }
        gemm(
            .transposed, .none, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
            beta: accumulate ? 1 : 0, c: c, ldc: ldc)
    }
}

extension Matrix {
    /// `C = A · B`, or `C += A · B` when `accumulate`, with every row of C computed from its
    /// row of A by the same sequence of floating-point operations however many rows A has:
    /// B is packed (`BLASScalar.pack`) and multiplied by `BLASScalar.gemmPacked`, whose
    /// `Float` kernel accumulates each row alike in full and partial tiles. BLAS gemm does
    /// not promise this (its small-matrix, edge-tile and threaded paths depend on the row
    /// count), so a sentence's scores would depend on the batch it is in. `Double` runs
    /// BLAS dgemm here (it serves gradient checks).
    public static func rowwiseProduct(
        _ a: Matrix, _ b: Matrix, accumulate: Bool, into c: inout Matrix
    ) {
        let (m, k, n) = (a.rows, a.columns, b.columns)
        precondition(
            b.rows == k,
            "product inner dimensions differ: A is [\(m), \(k)], B is \(b.shapeDescription)")
        precondition(
            c.rows == m && c.columns == n,
            "product output is \(c.shapeDescription), expected [\(m), \(n)]")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { c.zero() }
            return
        }
        let packed = UnsafeMutablePointer<Scalar>.allocate(
            capacity: Scalar.packedCount(k: k, n: n))
        defer { packed.deallocate() }
        b.withUnsafePointer {
            Scalar.pack(k: k, n: n, b: $0, ldb: n, transposed: false, into: packed)
        }
        a.withUnsafePointer { pa in
            c.withUnsafeMutablePointer { pc in
                Scalar.gemmPacked(
                    m: m, n: n, k: k, a: pa, lda: k, packed: packed, accumulate: accumulate,
                    c: pc, ldc: n)
            }
        }
    }
}
