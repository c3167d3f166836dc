import LinearAlgebra
import TestSupport
import XCTest

final class MatrixProductTests: XCTestCase {
    /// op(A)·op(B) by the textbook triple loop, in Double.
    private func naiveProduct<S: BLASScalar>(
        _ a: Matrix<S>, _ b: Matrix<S>, _ ta: Transpose, _ tb: Transpose
    ) -> [[Double]] {
        let opA = ta == .none ? a : a.transposed
        let opB = tb == .none ? b : b.transposed
        var c = Array(repeating: Array(repeating: 0.0, count: opB.columns), count: opA.rows)
        for i in 0..<opA.rows {
            for j in 0..<opB.columns {
                for p in 0..<opA.columns { c[i][j] += Double(opA[i, p]) * Double(opB[p, j]) }
            }
        }
        return c
    }

    private let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 7, 5), (7, 1, 5), (5, 7, 1), (1, 1, 9), (3, 4, 5), (17, 9, 33), (64, 3, 2), (2, 65, 31),
    ]

    private func checkGemm<S: BLASScalar>(_: S.Type, tolerance: Double) {
        var random = SeededRandom(seed: 11)
        for (m, n, k) in shapes {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    let a: Matrix<S> = randomMatrix(
                        rows: ta == .none ? m : k, columns: ta == .none ? k : m, using: &random)
                    let b: Matrix<S> = randomMatrix(
                        rows: tb == .none ? k : n, columns: tb == .none ? n : k, using: &random)
                    let c0: Matrix<S> = randomMatrix(rows: m, columns: n, using: &random)
                    let expectedProduct = naiveProduct(a, b, ta, tb)
                    let label = "m=\(m) n=\(n) k=\(k) \(ta) \(tb) \(S.self)"

                    let product = Matrix.matmul(a, b, transposeA: ta, transposeB: tb)
                    assertClose(
                        product.scalars.map(Double.init), expectedProduct.flatMap { $0 },
                        tolerance: tolerance, label)

                    // Accumulating form: C = 0.5·op(A)·op(B) − 2·C.
                    var c = c0
                    Matrix.gemm(
                        a, b, transposeA: ta, transposeB: tb, alpha: 0.5, beta: -2, into: &c)
                    let expected = zip(expectedProduct.flatMap { $0 }, c0.scalars).map {
                        0.5 * $0 - 2 * Double($1)
                    }
                    assertClose(c.scalars.map(Double.init), expected, tolerance: tolerance, label)
                }
            }
        }
    }

    func testGemmMatchesTripleLoopInFloat() { checkGemm(Float.self, tolerance: 1e-5) }
    func testGemmMatchesTripleLoopInDouble() { checkGemm(Double.self, tolerance: 1e-13) }

    func testProductOperatorMultipliesShapes() {
        let a = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Matrix<Double>([[1, 0], [0, 1], [1, 1]])
        XCTAssertEqual(a * b, Matrix([[4, 5], [10, 11]]))
    }

    func testEmptyInnerDimensionScalesC() {
        let a = Matrix<Double>(rows: 2, columns: 0)
        let b = Matrix<Double>(rows: 0, columns: 3)
        var c = Matrix<Double>(rows: 2, columns: 3, repeating: 4)
        Matrix.gemm(a, b, beta: 0.5, into: &c)
        XCTAssertEqual(c, Matrix(rows: 2, columns: 3, repeating: 2))
    }

    func testGemvMatchesTripleLoop() {
        var random = SeededRandom(seed: 5)
        for (rows, columns) in [(1, 6), (6, 1), (5, 9), (9, 5)] {
            let a: Matrix<Double> = randomMatrix(rows: rows, columns: columns, using: &random)
            for t in [Transpose.none, .transposed] {
                let (m, n) = t == .none ? (rows, columns) : (columns, rows)
                let x = (0..<n).map { _ in random.uniform(-1, 1) }
                let y0 = (0..<m).map { _ in random.uniform(-1, 1) }
                var y = y0
                Matrix.gemv(a, x, transposeA: t, alpha: 2, beta: 3, into: &y)
                let opA = t == .none ? a : a.transposed
                let expected = (0..<m).map { i in
                    2 * (0..<n).reduce(0.0) { $0 + opA[i, $1] * x[$1] } + 3 * y0[i]
                }
                assertClose(y, expected, tolerance: 1e-13, "[\(rows), \(columns)] \(t)")
            }
        }
    }

    func testAxpyScalAndDotMatchLoops() {
        var random = SeededRandom(seed: 8)
        for n in [1, 7, 33] {
            let a: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            let b: Matrix<Float> = randomMatrix(rows: 1, columns: n, using: &random)
            var sum = b
            sum.add(a, scaledBy: 3)
            assertClose(sum.scalars, zip(a.scalars, b.scalars).map { 3 * $0 + $1 }, tolerance: 1e-6)
            var scaled = a
            scaled.scale(by: -0.5)
            assertClose(scaled.scalars, a.scalars.map { -0.5 * $0 }, tolerance: 1e-7)
            let dot = a.withUnsafePointer { x in
                b.withUnsafePointer { y in Float.dot(count: n, x: x, incX: 1, y: y, incY: 1) }
            }
            let expected = zip(a.scalars, b.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(dot, expected, accuracy: 1e-5)
            assertClose((a - b) + b, a, tolerance: 1e-6, "subtraction then addition, n=\(n)")
        }
    }

    func testRowVectorBroadcastAndItsGradient() {
        var m = Matrix<Double>([[1, 2], [3, 4], [5, 6]])
        m.addRowVector(Matrix([[10, 20]]))
        XCTAssertEqual(m, Matrix([[11, 22], [13, 24], [15, 26]]))
        XCTAssertEqual(m.sumOfRows(), Matrix([[39, 72]]))
    }

    func testTransposeAndReshape() {
        let m = Matrix<Float>([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.transposed, Matrix([[1, 4], [2, 5], [3, 6]]))
        XCTAssertEqual(m.reshaped(rows: 3, columns: 2), Matrix([[1, 2], [3, 4], [5, 6]]))
        XCTAssertEqual(m.row(1), [4, 5, 6])
    }
}
