import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// A forward pass without a cache (inference: two state blocks in turn, one block of
/// activations) gives exactly the outputs and final states of one that keeps it.
final class InferenceForwardTests: XCTestCase {
    func check<Cell: RecurrentCell>(
        _: Cell.Type, file: StaticString = #filePath, line: UInt = #line
    )
    where Cell.Scalar == Float {
        var random = SeededRandom(seed: 12)
        var layer = StackedBidirectional<Cell>(
            inputSize: 5, hiddenSize: 6, layerCount: 2, random: &random)
        let lengths = [7, 4, 7, 1, 0, 3]
        let x: Matrix<Float> = randomMatrix(rows: 7 * lengths.count, columns: 5, using: &random)
        for concurrent in [false, true] {
            for l in layer.layers.indices {
                layer.layers[l].runsDirectionsConcurrently = concurrent
            }
            let kept = layer.forward(x, lengths: lengths)
            let lean = layer.forward(x, lengths: lengths, keepsCache: false)
            XCTAssertEqual(lean.output, kept.output, file: file, line: line)
            XCTAssertEqual(lean.finalStates, kept.finalStates, file: file, line: line)
        }
    }

    func testLSTM() { check(LSTMCell<Float>.self) }
    func testGRU() { check(GRUCell<Float>.self) }
    func testRNN() { check(RNNCell<Float>.self) }
}
