extension Matrix {
    /// `C = alpha · op(A) · op(B) + beta · C` through BLAS gemm.
    ///
    /// With `beta == 0` the previous contents of `c` are ignored (but its shape must
    /// already be `[op(A).rows, op(B).columns]`); with `beta == 1` the product is
    /// accumulated, which is how weight gradients are summed over a batch.
    public static func gemm(
        _ a: Matrix, _ b: Matrix, transposeA: Transpose = .none, transposeB: Transpose = .none,
        alpha: Scalar = 1, beta: Scalar = 0, into c: inout Matrix
    ) {
        let (m, k) = transposeA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kB, n) = transposeB == .none ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(
            k == kB,
            "gemm inner dimensions differ: op(A) is [\(m), \(k)], op(B) is [\(kB), \(n)]")
        precondition(
            c.rows == m && c.columns == n,
            "gemm output is \(c.shapeDescription), expected [\(m), \(n)]")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { c.zero() } else { c.scale(by: beta) }
            return
        }
        a.withUnsafePointer { pa in
            b.withUnsafePointer { pb in
                c.withUnsafeMutablePointer { pc in
                    Scalar.gemm(
                        transposeA, transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa, lda: a.columns, b: pb, ldb: b.columns, beta: beta, c: pc, ldc: n)
                }
            }
        }
    }

    /// The product `op(A) · op(B)` as a new matrix.
    public static func matmul(
        _ a: Matrix, _ b: Matrix, transposeA: Transpose = .none, transposeB: Transpose = .none
    ) -> Matrix {
        let m = transposeA == .none ? a.rows : a.columns
        let n = transposeB == .none ? b.columns : b.rows
        let k = transposeA == .none ? a.columns : a.rows
        let kB = transposeB == .none ? b.rows : b.columns
        precondition(
            k == kB,
            "gemm inner dimensions differ: op(A) is [\(m), \(k)], op(B) is [\(kB), \(n)]")
        guard m > 0, n > 0, k > 0 else { return Matrix(rows: m, columns: n) }
        // β = 0: BLAS writes every element, so the result needs no zeros first.
        return Matrix(rows: m, columns: n) { pc in
            a.withUnsafePointer { pa in
                b.withUnsafePointer { pb in
                    Scalar.gemm(
                        transposeA, transposeB, m: m, n: n, k: k, alpha: 1,
                        a: pa, lda: a.columns, b: pb, ldb: b.columns, beta: 0, c: pc, ldc: n)
                }
            }
        }
    }

    /// The matrix product `a · b`.
    public static func * (a: Matrix, b: Matrix) -> Matrix {
        matmul(a, b)
    }

    /// `y = alpha · op(A) · x + beta · y` through BLAS gemv, with `x` and `y` as arrays.
    public static func gemv(
        _ a: Matrix, _ x: [Scalar], transposeA: Transpose = .none, alpha: Scalar = 1,
        beta: Scalar = 0, into y: inout [Scalar]
    ) {
        let (m, n) = transposeA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        precondition(x.count == n, "gemv input has \(x.count) elements, expected \(n)")
        precondition(y.count == m, "gemv output has \(y.count) elements, expected \(m)")
        guard m > 0 else { return }
        if n == 0 {
            for i in y.indices { y[i] *= beta }
            return
        }
        a.withUnsafePointer { pa in
            Scalar.gemv(
                transposeA, rows: a.rows, columns: a.columns, alpha: alpha, a: pa, lda: a.columns,
                x: x, incX: 1, beta: beta, y: &y, incY: 1)
        }
    }
}
