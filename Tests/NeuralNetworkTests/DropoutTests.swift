import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class DropoutTests: XCTestCase {
    func testInferenceIsIdentity() {
        var random = SeededRandom(seed: 71)
        let input: Matrix<Float> = randomMatrix(rows: 4, columns: 5, using: &random)
        let dropout = Dropout<Float>(probability: 0.5)
        let (output, cache) = dropout.forward(input, training: false, random: &random)
        XCTAssertEqual(output, input)
        XCTAssertNil(cache.mask)
        XCTAssertEqual(dropout.backward(input, cache: cache), input)
    }

    func testTrainingDropsAndScalesWithTheRightRate() {
        var random = SeededRandom(seed: 72)
        let input = Matrix<Double>(rows: 200, columns: 50, repeating: 2)
        let dropout = Dropout<Double>(probability: 0.3)
        let (output, cache) = dropout.forward(input, training: true, random: &random)
        let kept = output.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 2 / 0.7) < 1e-12 })
        XCTAssertEqual(Double(kept.count) / 10_000, 0.7, accuracy: 0.02)
        // Inverted dropout keeps the mean.
        XCTAssertEqual(output.scalars.reduce(0, +) / 10_000, 2, accuracy: 0.05)
        XCTAssertEqual(cache.mask?.rows, 200)
    }

    func testBackwardUsesTheSameMaskAndMatchesCentralDifferences() {
        var random = SeededRandom(seed: 73)
        let input: Matrix<Double> = randomMatrix(rows: 6, columns: 4, using: &random)
        let r: Matrix<Double> = randomMatrix(rows: 6, columns: 4, using: &random)
        let dropout = Dropout<Double>(probability: 0.4)
        for variational in [false, true] {
            var maskRandom = SeededRandom(seed: 74)
            let (output, cache) =
                variational
                ? dropout.forwardVariational(
                    input, batchSize: 2, training: true, random: &maskRandom)
                : dropout.forward(input, training: true, random: &maskRandom)
            let dInput = dropout.backward(r, cache: cache)
            for i in 0..<input.count {
                XCTAssertEqual(dInput.scalars[i] == 0, output.scalars[i] == 0)
            }
            // The mask is fixed by the seed, so the loss is a smooth function of the input.
            GradientCheck().assertGradient(
                of: input, analytic: dInput, named: "input variational=\(variational)"
            ) {
                var again = SeededRandom(seed: 74)
                let y =
                    variational
                    ? dropout.forwardVariational($0, batchSize: 2, training: true, random: &again)
                        .output
                    : dropout.forward($0, training: true, random: &again).output
                return dotLoss(y, r)
            }
        }
    }

    func testVariationalMaskRepeatsPerSequenceOverTime() {
        var random = SeededRandom(seed: 75)
        let (time, batch, features) = (5, 3, 40)
        let input = Matrix<Float>(rows: time * batch, columns: features, repeating: 1)
        let dropout = Dropout<Float>(probability: 0.5)
        let (output, cache) = dropout.forwardVariational(
            input, batchSize: batch, training: true, random: &random)
        XCTAssertEqual(cache.mask?.rows, batch)
        for s in 0..<batch {
            for t in 1..<time {
                XCTAssertEqual(output.row(t * batch + s), output.row(s), "step \(t) of \(s)")
            }
        }
        XCTAssertNotEqual(output.row(0), output.row(1))
    }

    /// `Float` masks come from the C kernel, `Double` ones from the Swift loop: from the
    /// same seed they keep and drop the same elements, with the same scale.
    func testFloatMasksAreTheMasksOfTheSwiftLoop() {
        for (probability, columns) in [(0.5, 7), (0.2, 33), (0.05, 100)] {
            for seed: UInt64 in [1, 2, 3] {
                var a = SeededRandom(seed: seed)
                var b = SeededRandom(seed: seed)
                let float = Dropout<Float>(probability: probability).forward(
                    Matrix(rows: 5, columns: columns, repeating: 1), training: true, random: &a)
                let double = Dropout<Double>(probability: probability).forward(
                    Matrix(rows: 5, columns: columns, repeating: 1), training: true, random: &b)
                XCTAssertEqual(
                    float.output.scalars.map(\.bitPattern),
                    double.output.scalars.map { Float($0).bitPattern },
                    "p \(probability), \(columns) columns, seed \(seed)")
            }
        }
    }

    func testSameSeedGivesTheSameMask() {
        let input = Matrix<Float>(rows: 8, columns: 8, repeating: 1)
        let dropout = Dropout<Float>(probability: 0.5)
        var a = SeededRandom(seed: 9)
        var b = SeededRandom(seed: 9)
        let first = dropout.forward(input, training: true, random: &a).output
        XCTAssertEqual(first, dropout.forward(input, training: true, random: &b).output)
        // The generator moved on: the next mask differs.
        XCTAssertNotEqual(first, dropout.forward(input, training: true, random: &a).output)
    }
}
