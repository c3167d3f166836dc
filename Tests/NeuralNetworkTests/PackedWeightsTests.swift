import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// Inference keeps its packed weights between passes: the outputs are those of weights
/// packed afresh, and never of weights that have since changed.
final class PackedWeightsTests: XCTestCase {
    typealias Layer = Bidirectional<LSTMCell<Float>>

    /// A copy of `matrix` in storage of its own.
    func fresh(_ matrix: Matrix<Float>) -> Matrix<Float> {
        Matrix(rows: matrix.rows, columns: matrix.columns, scalars: Array(matrix.scalars))
    }

    /// `layer` rebuilt on weights in new storage: nothing it packs can come from a cache.
    func rebuilt(_ layer: Layer) -> Layer {
        func cell(_ c: LSTMCell<Float>) -> LSTMCell<Float> {
            LSTMCell(Wx: fresh(c.Wx), Wh: fresh(c.Wh), b: fresh(c.b))
        }
        return Layer(forward: cell(layer.forwardCell), reverse: cell(layer.reverseCell))
    }

    func infer(_ layer: Layer, _ x: Matrix<Float>, _ lengths: [Int]) -> Matrix<Float> {
        layer.forward(x, lengths: lengths, keepsCache: false).output
    }

    func testRepeatedInferenceGivesTheOutputOfTheTrainingPass() {
        var random = SeededRandom(seed: 41)
        let layer = Layer(inputSize: 11, hiddenSize: 13, random: &random)
        for lengths in [[1], [4, 2, 3], [6, 1, 5, 6, 2, 3, 4, 1, 2]] {
            let x: Matrix<Float> = randomMatrix(
                rows: lengths.max()! * lengths.count, columns: 11, using: &random)
            // The training pass packs its weights afresh; inference packs them once.
            let training = layer.forward(x, lengths: lengths).output
            for _ in 0..<3 {
                XCTAssertEqual(infer(layer, x, lengths), training, "lengths \(lengths)")
            }
        }
    }

    func testChangedWeightsAreNeverReadFromAnEarlierPacking() {
        var random = SeededRandom(seed: 42)
        var layer = Layer(inputSize: 7, hiddenSize: 9, random: &random)
        let lengths = [5, 3]
        let x: Matrix<Float> = randomMatrix(rows: 10, columns: 7, using: &random)
        let before = infer(layer, x, lengths)
        // Changed in place: the layer holds the only reference it can see.
        layer.forwardCell.Wh.withUnsafeMutablePointer { $0[0] += 0.5 }
        layer.reverseCell.Wx.withUnsafeMutablePointer { $0[3] -= 0.5 }
        let after = infer(layer, x, lengths)
        XCTAssertNotEqual(after, before)
        XCTAssertEqual(after, infer(rebuilt(layer), x, lengths))
        // Changed back: the first weights' output again.
        layer.forwardCell.Wh.withUnsafeMutablePointer { $0[0] -= 0.5 }
        layer.reverseCell.Wx.withUnsafeMutablePointer { $0[3] += 0.5 }
        XCTAssertEqual(infer(layer, x, lengths), infer(rebuilt(layer), x, lengths))
    }

    func testManyModelsBeyondTheCacheStayCorrect() {
        var random = SeededRandom(seed: 43)
        let lengths = [4, 2]
        let x: Matrix<Float> = randomMatrix(rows: 8, columns: 5, using: &random)
        // Forty layers of four weight matrices each: more than the cache keeps.
        let layers = (0..<40).map { _ in Layer(inputSize: 5, hiddenSize: 6, random: &random) }
        let expected = layers.map { infer(rebuilt($0), x, lengths) }
        for round in 0..<2 {
            for (k, layer) in layers.enumerated() {
                XCTAssertEqual(infer(layer, x, lengths), expected[k], "layer \(k) round \(round)")
            }
        }
    }
}
