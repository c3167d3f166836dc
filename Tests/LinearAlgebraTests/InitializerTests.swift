import LinearAlgebra
import TestSupport
import XCTest

final class InitializerTests: XCTestCase {
    func testSameSeedGivesSameSequence() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        var c = SeededRandom(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<100).map { _ in c.next() })
    }

    /// Pins the algorithm: models trained elsewhere with a seed must be reproducible
    /// here, so the first outputs of seed 0 must never change.
    func testSequenceIsPinnedAcrossMachines() {
        var random = SeededRandom(seed: 0)
        let first = (0..<3).map { _ in random.next() }
        var again = SeededRandom(seed: 0)
        XCTAssertEqual(first, (0..<3).map { _ in again.next() })
        // SplitMix64(0) seeds xoshiro256**; its first output is fixed by the algorithm.
        XCTAssertEqual(first[0], 0x99EC_5F36_CB75_F2B4)
    }

    func testUniformIndexAndShuffleStayInRange() {
        var random = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<5000 { counts[random.index(below: 5)] += 1 }
        XCTAssertTrue(counts.allSatisfy { $0 > 900 && $0 < 1100 }, "\(counts)")
        var array = Array(0..<50)
        random.shuffle(&array)
        XCTAssertEqual(array.sorted(), Array(0..<50))
        XCTAssertNotEqual(array, Array(0..<50))
    }

    func testNormalHasUnitVariance() {
        var random = SeededRandom(seed: 9)
        let xs = (0..<20000).map { _ in random.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testGlorotUniformRespectsItsLimit() {
        var random = SeededRandom(seed: 1)
        let w: Matrix<Float> = Initializer.glorotUniform(rows: 150, columns: 512, using: &random)
        let limit = Float((6.0 / 662).squareRoot())
        XCTAssertLessThanOrEqual(w.maxMagnitude, limit)
        XCTAssertGreaterThan(w.maxMagnitude, 0.95 * limit)
    }

    func testOrthogonalHasOrthonormalRowsOrColumns() {
        var random = SeededRandom(seed: 2)
        for (rows, columns) in [(8, 32), (32, 8), (16, 16)] {
            let w: Matrix<Double> = Initializer.orthogonal(
                rows: rows, columns: columns, using: &random)
            let gram =
                rows <= columns
                ? Matrix.matmul(w, w, transposeB: .transposed)
                : Matrix.matmul(w, w, transposeA: .transposed)
            let n = min(rows, columns)
            var identity = Matrix<Double>(rows: n, columns: n)
            for i in 0..<n { identity[i, i] = 1 }
            assertClose(gram, identity, tolerance: 1e-12, "[\(rows), \(columns)]")
        }
    }

    func testSameSeedGivesSameWeights() {
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)
        let wa: Matrix<Float> = Initializer.orthogonal(rows: 4, columns: 16, using: &a)
        let wb: Matrix<Float> = Initializer.orthogonal(rows: 4, columns: 16, using: &b)
        XCTAssertEqual(wa, wb)
    }
}
