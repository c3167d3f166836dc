import CKernels
import Foundation
import LinearAlgebra
import TestSupport
import XCTest

/// The product with a packed right-hand operand (`BLASScalar.pack`, `gemmPacked`) and the
/// C kernels in every instruction-set version this CPU can run.
final class PackedProductTests: XCTestCase {
    /// Shapes with rows that are not whole tiles, columns that are not whole panels or
    /// vectors, and depths beyond one cache slice (128).
    private let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 512, 128), (7, 100, 25), (13, 37, 300), (32, 512, 128), (9, 16, 5), (20, 33, 129),
        (8, 8, 1), (33, 128, 512),
    ]

    /// `c0 + A · op(W)` (or `A · op(W)`) in Double, with `op(W)` `[k, n]`.
    private func expected(
        _ a: Matrix<Float>, _ w: Matrix<Float>, transposed: Bool, c0: Matrix<Float>?
    ) -> [Double] {
        let (k, n) = transposed ? (w.columns, w.rows) : (w.rows, w.columns)
        var c = [Double](repeating: 0, count: a.rows * n)
        for i in 0..<a.rows {
            for j in 0..<n {
                var sum = c0.map { Double($0[i, j]) } ?? 0
                for p in 0..<k { sum += Double(a[i, p]) * Double(transposed ? w[j, p] : w[p, j]) }
                c[i * n + j] = sum
            }
        }
        return c
    }

    func testFloatPackedProductMatchesTheProductAtEveryLevel() {
        var random = SeededRandom(seed: 5)
        let levels = Int(sqt_kernel_level_count())
        XCTAssertGreaterThanOrEqual(levels, 1)
        XCTAssertFalse(Float.kernelLevel.isEmpty)
        for (m, n, k) in shapes {
            for transposed in [false, true] {
                let a: Matrix<Float> = randomMatrix(rows: m, columns: k, using: &random)
                let w: Matrix<Float> = randomMatrix(
                    rows: transposed ? n : k, columns: transposed ? k : n, using: &random)
                let c0: Matrix<Float> = randomMatrix(rows: m, columns: n, using: &random)
                var packed = [Float](repeating: .nan, count: Float.packedCount(k: k, n: n))
                w.withUnsafePointer {
                    Float.pack(
                        k: k, n: n, b: $0, ldb: w.columns, transposed: transposed, into: &packed)
                }
                for accumulate in [false, true] {
                    let want = expected(a, w, transposed: transposed, c0: accumulate ? c0 : nil)
                    // Through the dispatched kernel, then each version by level.
                    for level in -1..<levels {
                        var c = accumulate ? c0 : Matrix(rows: m, columns: n, repeating: .nan)
                        a.withUnsafePointer { pa in
                            c.withUnsafeMutablePointer { pc in
                                if level < 0 {
                                    Float.gemmPacked(
                                        m: m, n: n, k: k, a: pa, lda: k, packed: packed,
                                        accumulate: accumulate, c: pc, ldc: n)
                                } else {
                                    sqt_gemm_packed_at_level(
                                        Int32(level), m, n, k, pa, k, packed, accumulate ? 1 : 0,
                                        pc, n)
                                }
                            }
                        }
                        assertClose(
                            c.scalars.map(Double.init), want, tolerance: 3e-5,
                            "m=\(m) n=\(n) k=\(k) transposed=\(transposed) accumulate=\(accumulate) level=\(level)"
                        )
                    }
                }
            }
        }
    }

    func testPackedProductLeavesColumnsBeyondNUntouched() {
        // C is a block of a wider matrix (ldc > n): the columns past n must keep their values.
        var random = SeededRandom(seed: 6)
        let (m, n, k, ldc) = (11, 37, 19, 50)
        let a: Matrix<Float> = randomMatrix(rows: m, columns: k, using: &random)
        let w: Matrix<Float> = randomMatrix(rows: k, columns: n, using: &random)
        var packed = [Float](repeating: 0, count: Float.packedCount(k: k, n: n))
        w.withUnsafePointer {
            Float.pack(k: k, n: n, b: $0, ldb: n, transposed: false, into: &packed)
        }
        for level in 0..<Int(sqt_kernel_level_count()) {
            var c = [Float](repeating: 7, count: m * ldc)
            sqt_gemm_packed_at_level(Int32(level), m, n, k, a.scalars, k, packed, 0, &c, ldc)
            let want = expected(a, w, transposed: false, c0: nil)
            for i in 0..<m {
                assertClose(
                    c[(i * ldc)..<(i * ldc + n)].map(Double.init),
                    Array(want[(i * n)..<((i + 1) * n)]), tolerance: 3e-5, "level \(level) row \(i)"
                )
                XCTAssertEqual(
                    Array(c[(i * ldc + n)..<((i + 1) * ldc)]),
                    [Float](repeating: 7, count: ldc - n), "level \(level) row \(i)")
            }
        }
    }

    /// A row of C is the same, to the bit, whatever rows come with it: in full and partial
    /// tiles, at any offset, in every version of the kernel. Inference relies on it.
    func testEachRowIsTheSameWhateverTheOtherRows() {
        var random = SeededRandom(seed: 9)
        for (n, k) in [(18, 512), (100, 25), (512, 128), (37, 300)] {
            let m = 70
            let a: Matrix<Float> = randomMatrix(rows: m, columns: k, using: &random)
            let w: Matrix<Float> = randomMatrix(rows: k, columns: n, using: &random)
            let c0: Matrix<Float> = randomMatrix(rows: m, columns: n, using: &random)
            var packed = [Float](repeating: 0, count: Float.packedCount(k: k, n: n))
            w.withUnsafePointer {
                Float.pack(k: k, n: n, b: $0, ldb: n, transposed: false, into: &packed)
            }
            for level in 0..<Int(sqt_kernel_level_count()) {
                for accumulate in [false, true] {
                    // Rows `first..<first + count` alone.
                    func product(_ first: Int, _ count: Int) -> [Float] {
                        var c = Array(c0.scalars[(first * n)..<((first + count) * n)])
                        a.withUnsafePointer { pa in
                            sqt_gemm_packed_at_level(
                                Int32(level), count, n, k, pa + first * k, k, packed,
                                accumulate ? 1 : 0, &c, n)
                        }
                        return c
                    }
                    let whole = product(0, m)
                    let parts = [(0, 1), (5, 1), (69, 1), (3, 2), (8, 8), (9, 31), (33, 33)]
                    for (first, count) in parts {
                        XCTAssertEqual(
                            product(first, count).map(\.bitPattern),
                            whole[(first * n)..<((first + count) * n)].map(\.bitPattern),
                            "level \(level) n=\(n) k=\(k) rows \(first)..<\(first + count)")
                    }
                }
            }
            // The same through `Matrix.rowwiseProduct`, one row against all of them.
            var all = c0
            Matrix.rowwiseProduct(a, w, accumulate: true, into: &all)
            for r in [0, 7, 40, 69] {
                let row = Matrix(
                    rows: 1, columns: k, scalars: Array(a.scalars[(r * k)..<((r + 1) * k)]))
                var one = Matrix(
                    rows: 1, columns: n, scalars: Array(c0.scalars[(r * n)..<((r + 1) * n)]))
                Matrix.rowwiseProduct(row, w, accumulate: true, into: &one)
                XCTAssertEqual(
                    one.scalars.map(\.bitPattern),
                    all.scalars[(r * n)..<((r + 1) * n)].map(\.bitPattern), "row \(r)")
            }
            let want = expected(a, w, transposed: false, c0: c0)
            assertClose(all.scalars.map(Double.init), want, tolerance: 3e-5, "n=\(n) k=\(k)")
        }
    }

    func testDoublePackedProductMatchesTheProduct() {
        var random = SeededRandom(seed: 7)
        for (m, n, k) in shapes {
            for transposed in [false, true] {
                let a: Matrix<Double> = randomMatrix(rows: m, columns: k, using: &random)
                let w: Matrix<Double> = randomMatrix(
                    rows: transposed ? n : k, columns: transposed ? k : n, using: &random)
                var packed = [Double](repeating: 0, count: Double.packedCount(k: k, n: n))
                w.withUnsafePointer {
                    Double.pack(
                        k: k, n: n, b: $0, ldb: w.columns, transposed: transposed, into: &packed)
                }
                var c = Matrix<Double>(rows: m, columns: n)
                a.withUnsafePointer { pa in
                    c.withUnsafeMutablePointer { pc in
                        Double.gemmPacked(
                            m: m, n: n, k: k, a: pa, lda: k, packed: packed, accumulate: false,
                            c: pc, ldc: n)
                    }
                }
                let want = Matrix.matmul(a, w, transposeB: transposed ? .transposed : .none)
                assertClose(c, want, tolerance: 1e-12, "m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    /// The backward gate kernel gives the same bits at every level (no fused
    /// multiply-adds), and agrees with the formula computed in Double.
    func testLSTMBackwardKernelIsTheSameAtEveryLevelAndAgreesWithTheFormula() {
        var random = SeededRandom(seed: 9)
        for n in [1, 5, 16, 25, 128] {
            // Activations in their ranges: gates in (0, 1), g and tanh(c) in (-1, 1).
            let raw: Matrix<Float> = randomMatrix(rows: 1, columns: 5 * n, using: &random)
            let a = raw.scalars.enumerated().map { j, x -> Float in
                let gate = j / n
                return gate == 2 || gate == 4
                    ? Float(Foundation.tanh(Double(x))) : 1 / (1 + Foundation.exp(-x))
            }
            let cPrev: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            let dh: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            let dcIn: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            let A = a.map(Double.init)
            let dcj = (0..<n).map {
                Double(dcIn.scalars[$0]) + Double(dh.scalars[$0]) * A[3 * n + $0]
                    * (1 - A[4 * n + $0] * A[4 * n + $0])
            }
            var want = [Double](repeating: 0, count: 4 * n)
            for j in 0..<n {
                let (i, f, g, o, tc) = (A[j], A[n + j], A[2 * n + j], A[3 * n + j], A[4 * n + j])
                want[j] = dcj[j] * g * i * (1 - i)
                want[n + j] = dcj[j] * Double(cPrev.scalars[j]) * f * (1 - f)
                want[2 * n + j] = dcj[j] * i * (1 - g * g)
                want[3 * n + j] = Double(dh.scalars[j]) * tc * o * (1 - o)
            }
            var first: (dz: [Float], dc: [Float])?
            for level in 0..<Int(sqt_kernel_level_count()) {
                var dz = [Float](repeating: .nan, count: 4 * n)
                var dc = dcIn.scalars
                sqt_lstm_backward_row_at_level(
                    Int32(level), n, a, cPrev.scalars, dh.scalars, &dc, &dz)
                assertClose(dz.map(Double.init), want, tolerance: 1e-5, "n=\(n) level \(level)")
                assertClose(
                    dc.map(Double.init), (0..<n).map { dcj[$0] * A[n + $0] }, tolerance: 1e-5,
                    "n=\(n) level \(level)")
                if let first {
                    XCTAssertEqual(
                        dz.map(\.bitPattern), first.dz.map(\.bitPattern), "level \(level)")
                    XCTAssertEqual(
                        dc.map(\.bitPattern), first.dc.map(\.bitPattern), "level \(level)")
                } else {
                    first = (dz, dc)
                }
            }
        }
    }

    func testLSTMGateKernelAgreesWithTheFormulaAtEveryLevel() {
        var random = SeededRandom(seed: 8)
        for n in [1, 5, 16, 25, 128] {
            let p: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let q: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let bias: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let cPrev: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
            for withQ in [false, true] {
                let z = (0..<(4 * n)).map {
                    Double(p.scalars[$0]) + (withQ ? Double(q.scalars[$0]) : 0)
                        + Double(bias.scalars[$0])
                }
                let c = (0..<n).map {
                    sigmoid(z[n + $0]) * Double(cPrev.scalars[$0]) + sigmoid(z[$0])
                        * Foundation.tanh(z[2 * n + $0])
                }
                let h = (0..<n).map { sigmoid(z[3 * n + $0]) * Foundation.tanh(c[$0]) }
                for level in 0..<Int(sqt_kernel_level_count()) {
                    var hOut = [Float](repeating: .nan, count: n)
                    var cOut = [Float](repeating: .nan, count: n)
                    var a = [Float](repeating: .nan, count: 5 * n)
                    sqt_lstm_forward_row_at_level(
                        Int32(level), n, p.scalars, withQ ? q.scalars : nil, bias.scalars,
                        cPrev.scalars, &hOut, &cOut, &a)
                    assertClose(hOut.map(Double.init), h, tolerance: 1e-6, "n=\(n) level \(level)")
                    assertClose(cOut.map(Double.init), c, tolerance: 1e-6, "n=\(n) level \(level)")
                    assertClose(
                        a[(4 * n)...].map(Double.init), c.map { Foundation.tanh($0) },
                        tolerance: 1e-6, "n=\(n) level \(level)")
                }
            }
        }
    }

    /// Rows are computed in spans of 16 units, a partial last span run again over the 16
    /// units that end the gate: each unit must get the bits it gets in a row of one unit,
    /// at every level, whatever the row's length.
    func testLSTMGateKernelGivesEachUnitTheBitsOfARowOfOne() {
        var random = SeededRandom(seed: 9)
        for n in [16, 17, 20, 21, 25, 31, 50, 100] {
            let p: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let q: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let bias: Matrix<Float> = randomMatrix(rows: 1, columns: 4 * n, using: &random)
            let cPrev: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            for level in 0..<Int(sqt_kernel_level_count()) {
                for withQ in [false, true] {
                    var h = [Float](repeating: .nan, count: n)
                    var c = [Float](repeating: .nan, count: n)
                    var a = [Float](repeating: .nan, count: 5 * n)
                    sqt_lstm_forward_row_at_level(
                        Int32(level), n, p.scalars, withQ ? q.scalars : nil, bias.scalars,
                        cPrev.scalars, &h, &c, &a)
                    for j in 0..<n {
                        let gates = (0..<4).map { $0 * n + j }
                        var h1: [Float] = [.nan]
                        var c1: [Float] = [.nan]
                        var a1 = [Float](repeating: .nan, count: 5)
                        sqt_lstm_forward_row_at_level(
                            Int32(level), 1, gates.map { p.scalars[$0] },
                            withQ ? gates.map { q.scalars[$0] } : nil,
                            gates.map { bias.scalars[$0] },
                            [cPrev.scalars[j]], &h1, &c1, &a1)
                        let label = "n=\(n) unit \(j) level \(level) q \(withQ)"
                        XCTAssertEqual(h[j].bitPattern, h1[0].bitPattern, label)
                        XCTAssertEqual(c[j].bitPattern, c1[0].bitPattern, label)
                        XCTAssertEqual(
                            (0..<5).map { a[$0 * n + j].bitPattern }, a1.map(\.bitPattern), label)
                    }
                }
            }
        }
    }
}
