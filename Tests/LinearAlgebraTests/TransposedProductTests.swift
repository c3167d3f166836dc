import CKernels
import LinearAlgebra
import TestSupport
import XCTest

/// `BLASScalar.gemmTransposedA` (`C = Aᵀ · B`, the weight gradients) and its C kernel
/// `sqt_gemm_tn` in every instruction-set version this CPU runs.
final class TransposedProductTests: XCTestCase {
    /// Rows and columns of C that are not whole tiles, panels or vectors, and depths beyond
    /// one slice (128).
    private let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 512, 128), (7, 100, 25), (13, 37, 300), (128, 512, 1280), (9, 16, 5), (20, 33, 129),
        (8, 8, 1), (25, 100, 257), (6, 7, 3),
    ]

    /// `c0 + Aᵀ · B` in Double for A `[k, lda]` (first m columns) and B `[k, ldb]`.
    private func expected(
        m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, c0: [Float]?,
        ldc: Int
    ) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = c0.map { Double($0[i * ldc + j]) } ?? 0
                for p in 0..<k { sum += Double(a[p * lda + i]) * Double(b[p * ldb + j]) }
                c[i * n + j] = sum
            }
        }
        return c
    }

    func testMatchesTheProductAtEveryLevelAndLeavesOtherColumnsAlone() {
        var random = SeededRandom(seed: 21)
        let levels = Int(sqt_kernel_level_count())
        for (m, n, k) in shapes {
            // Operands inside wider rows (as the gate deltas of two directions side by side),
            // and C a block of a wider matrix whose other columns must keep their values.
            let (lda, ldb, ldc) = (m + 3, n + 5, n + 2)
            let a: [Float] = randomMatrix(rows: k, columns: lda, using: &random).scalars
            let b: [Float] = randomMatrix(rows: k, columns: ldb, using: &random).scalars
            let c0: [Float] = randomMatrix(rows: m, columns: ldc, using: &random).scalars
            for accumulate in [false, true] {
                let want = expected(
                    m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                    c0: accumulate ? c0 : nil, ldc: ldc)
                for level in -1..<levels {
                    var c = accumulate ? c0 : c0.map { _ in Float.nan }
                    for i in 0..<m {
                        c[(i * ldc + n)..<((i + 1) * ldc)] = c0[(i * ldc + n)..<((i + 1) * ldc)]
                    }
                    if level < 0 {
                        Float.gemmTransposedA(
                            m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                            accumulate: accumulate, c: &c, ldc: ldc)
                    } else {
                        sqt_gemm_tn_at_level(
                            Int32(level), m, n, k, a, lda, b, ldb, accumulate ? 1 : 0, &c, ldc)
                    }
                    let label = "m=\(m) n=\(n) k=\(k) accumulate=\(accumulate) level=\(level)"
                    for i in 0..<m {
                        assertClose(
                            c[(i * ldc)..<(i * ldc + n)].map(Double.init),
                            Array(want[(i * n)..<((i + 1) * n)]),
                            tolerance: 3e-5 * Double(max(1, k / 128)), "\(label) row \(i)")
                        XCTAssertEqual(
                            Array(c[(i * ldc + n)..<((i + 1) * ldc)]),
                            Array(c0[(i * ldc + n)..<((i + 1) * ldc)]), "\(label) row \(i) beyond n"
                        )
                    }
                }
            }
        }
    }

    func testEmptyDepthGivesZerosOrLeavesC() {
        let a: [Float] = [], b: [Float] = []
        for level in -1..<Int(sqt_kernel_level_count()) {
            for accumulate in [false, true] {
                var c = [Float](repeating: 3, count: 6)
                if level < 0 {
                    Float.gemmTransposedA(
                        m: 2, n: 3, k: 0, a: a, lda: 2, b: b, ldb: 3, accumulate: accumulate,
                        c: &c, ldc: 3)
                } else {
                    sqt_gemm_tn_at_level(
                        Int32(level), 2, 3, 0, a, 2, b, 3, accumulate ? 1 : 0, &c, 3)
                }
                XCTAssertEqual(
                    c, [Float](repeating: accumulate ? 3 : 0, count: 6), "level \(level)")
            }
        }
    }

    func testDoubleMatchesTheProduct() {
        var random = SeededRandom(seed: 22)
        let (m, n, k) = (5, 7, 9)
        let a: Matrix<Double> = randomMatrix(rows: k, columns: m, using: &random)
        let b: Matrix<Double> = randomMatrix(rows: k, columns: n, using: &random)
        var c = [Double](repeating: 1, count: m * n)
        Double.gemmTransposedA(
            m: m, n: n, k: k, a: a.scalars, lda: m, b: b.scalars, ldb: n, accumulate: true, c: &c,
            ldc: n)
        for i in 0..<m {
            for j in 0..<n {
                let sum = (0..<k).reduce(1.0) { $0 + a[$1, i] * b[$1, j] }
                XCTAssertEqual(c[i * n + j], sum, accuracy: 1e-12)
            }
        }
    }
}
