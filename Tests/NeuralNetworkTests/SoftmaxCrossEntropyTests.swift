import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class SoftmaxCrossEntropyTests: XCTestCase {
    func testUniformLogitsGiveLogOfClassCount() {
        let loss = SoftmaxCrossEntropy<Double>()
        let out = loss(logits: Matrix(rows: 3, columns: 4, repeating: 2.5), targets: [0, 3, 1])
        XCTAssertEqual(out.loss, log(4.0), accuracy: 1e-12)
        XCTAssertEqual(out.count, 3)
        assertClose(
            out.probabilities, Matrix(rows: 3, columns: 4, repeating: 0.25), tolerance: 1e-12)
        // p − onehot, divided by the 3 rows.
        XCTAssertEqual(out.gradient[1, 3], (0.25 - 1) / 3, accuracy: 1e-12)
        XCTAssertEqual(out.gradient[1, 0], 0.25 / 3, accuracy: 1e-12)
    }

    func testKnownValueAndStabilityForLargeLogits() {
        let loss = SoftmaxCrossEntropy<Float>(reduction: .sum)
        let out = loss(logits: Matrix([[1000, 0], [0, -1000]]), targets: [1, 0])
        XCTAssertEqual(out.loss, 1000, accuracy: 1e-3)
        XCTAssertTrue(out.probabilities.scalars.allSatisfy { $0.isFinite })
        XCTAssertEqual(out.probabilities[0, 0], 1)
    }

    func testGradientWithMaskMatchesCentralDifferences() {
        var random = SeededRandom(seed: 21)
        let logits: Matrix<Double> = randomMatrix(rows: 6, columns: 5, using: &random)
        let targets = [0, 4, 2, 2, 1, 3]
        let mask = [true, false, true, true, false, true]
        for reduction in [LossReduction.mean, .sum] {
            let loss = SoftmaxCrossEntropy<Double>(reduction: reduction)
            let out = loss(logits: 3 * logits, targets: targets, mask: mask)
            XCTAssertEqual(out.count, 4)
            GradientCheck().assertGradient(
                of: 3 * logits, analytic: out.gradient, named: "logits \(reduction)"
            ) {
                Double(loss(logits: $0, targets: targets, mask: mask).loss)
            }
            for row in [1, 4] {
                XCTAssertEqual(out.gradient.row(row), [0, 0, 0, 0, 0], "masked row \(row)")
            }
            let sums = (0..<6).map { out.probabilities.row($0).reduce(0, +) }
            assertClose(sums, Array(repeating: 1, count: 6), tolerance: 1e-12)
        }
    }

    func testMaskedRowsDoNotChangeTheLossAndMayHoldAnyTarget() {
        var random = SeededRandom(seed: 22)
        var logits: Matrix<Double> = randomMatrix(rows: 4, columns: 3, using: &random)
        let loss = SoftmaxCrossEntropy<Double>()
        let mask = [true, true, false, true]
        let before = loss(logits: logits, targets: [0, 1, -1, 2], mask: mask)
        for c in 0..<3 { logits[2, c] = 50 * Double(c) }
        let after = loss(logits: logits, targets: [0, 1, 99, 2], mask: mask)
        XCTAssertEqual(before.loss, after.loss, accuracy: 1e-12)
        // The mean over the three unmasked rows equals the mean of the rows taken alone.
        let unmasked = Matrix<Double>(
            rows: 3, columns: 3, scalars: logits.row(0) + logits.row(1) + logits.row(3))
        XCTAssertEqual(
            loss(logits: unmasked, targets: [0, 1, 2]).loss, after.loss, accuracy: 1e-12)
        let none = loss(logits: logits, targets: [0, 0, 0, 0], mask: [false, false, false, false])
        XCTAssertEqual(none.loss, 0)
        XCTAssertEqual(none.gradient.maxMagnitude, 0)
    }

    func testFloatGradientAgreesWithDouble() {
        var random = SeededRandom(seed: 23)
        let logits: Matrix<Double> = randomMatrix(rows: 5, columns: 7, using: &random)
        let targets = [6, 0, 3, 3, 5]
        let mask = [true, true, false, true, true]
        let d = SoftmaxCrossEntropy<Double>()(logits: logits, targets: targets, mask: mask)
        let f = SoftmaxCrossEntropy<Float>()(
            logits: logits.converted(), targets: targets, mask: mask)
        XCTAssertEqual(Double(f.loss), d.loss, accuracy: 1e-6)
        assertClose(f.gradient.converted(to: Double.self), d.gradient, tolerance: 1e-6)
        let logitsF: Matrix<Float> = logits.converted()
        GradientCheck(step: 1e-2, tolerance: 1e-2, floor: 1e-2).assertGradient(
            of: logitsF, analytic: f.gradient, named: "logits"
        ) { Double(SoftmaxCrossEntropy<Float>()(logits: $0, targets: targets, mask: mask).loss) }
    }
}
