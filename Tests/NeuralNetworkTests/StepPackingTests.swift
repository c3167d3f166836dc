import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// The two halves of a data-parallel training step share one packing of the recurrent
/// weights: the passes run inside it give, to the bit, what passes that pack for
/// themselves give, and a packing never serves weights that have since changed.
final class StepPackingTests: XCTestCase {
    typealias Layer = Bidirectional<LSTMCell<Float>>

    struct Pass: Equatable {
        var output: Matrix<Float>
        var dInput: Matrix<Float>
        var gradients: [Matrix<Float>]
    }

    /// A training pass: forward keeping the cache, backward from `dOutput`.
    func pass(_ layer: Layer, _ x: Matrix<Float>, _ lengths: [Int], _ dOutput: Matrix<Float>)
        -> Pass
    {
        let forward = layer.forward(x, lengths: lengths)
        let backward = layer.backward(dOutput, cache: forward.cache)
        return Pass(
            output: forward.output, dInput: backward.dInput,
            gradients: backward.gradient.parameters.map { backward.gradient[keyPath: $0.keyPath] })
    }

    func matrices(_ layer: Layer) -> [Matrix<Float>] {
        layer.parameters.map { layer[keyPath: $0.keyPath] }
    }

    func testPassesInsideAPackingMatchPassesOutsideIt() {
        var random = SeededRandom(seed: 51)
        let layer = Layer(inputSize: 9, hiddenSize: 11, random: &random)
        let lengths = [6, 4, 4, 1]
        let x: Matrix<Float> = randomMatrix(rows: 24, columns: 9, using: &random)
        let dOutput: Matrix<Float> = randomMatrix(rows: 24, columns: 22, using: &random)
        let expected = pass(layer, x, lengths, dOutput)
        // The first step learns what its passes pack; the next ones pack it beforehand:
        // Wx and Wh forward and their transposes backward, in both directions.
        var counts: [Int] = []
        for _ in 0..<3 {
            let packing = StepPacking(parameters: matrices(layer))
            counts.append(packing.count)
            // One variable per thread (two threads writing one array would race).
            var (first, second): (Pass?, Pass?) = (nil, nil)
            TwoThreads.run(
                { packing.within { first = self.pass(layer, x, lengths, dOutput) } },
                { packing.within { second = self.pass(layer, x, lengths, dOutput) } })
            XCTAssertEqual(first, expected)
            XCTAssertEqual(second, expected)
        }
        XCTAssertEqual(counts.dropFirst(), [8, 8])
    }

    func testWeightsChangedBetweenStepsArePackedAfresh() {
        var random = SeededRandom(seed: 52)
        var layer = Layer(inputSize: 5, hiddenSize: 7, random: &random)
        let lengths = [3, 2]
        let x: Matrix<Float> = randomMatrix(rows: 6, columns: 5, using: &random)
        let dOutput: Matrix<Float> = randomMatrix(rows: 6, columns: 14, using: &random)
        for step in 0..<4 {
            let inside = StepPacking(parameters: matrices(layer)).within {
                pass(layer, x, lengths, dOutput)
            }
            XCTAssertEqual(inside, pass(layer, x, lengths, dOutput), "step \(step)")
            // Changed in place, as an optimizer does once the step's packing is gone.
            layer.forwardCell.Wh.withUnsafeMutablePointer { $0[step] += 0.25 }
            layer.reverseCell.Wx.withUnsafeMutablePointer { $0[step] -= 0.25 }
        }
    }

    func testMatricesOutsideTheParametersAreNotPacked() {
        var random = SeededRandom(seed: 53)
        let layer = Layer(inputSize: 4, hiddenSize: 3, random: &random)
        let other = Layer(inputSize: 4, hiddenSize: 3, random: &random)
        let lengths = [2, 2]
        let x: Matrix<Float> = randomMatrix(rows: 4, columns: 4, using: &random)
        let dOutput: Matrix<Float> = randomMatrix(rows: 4, columns: 6, using: &random)
        _ = StepPacking(parameters: matrices(layer)).within { pass(layer, x, lengths, dOutput) }
        // The next step is given another layer's parameters: it packs none of the first's,
        // and the first layer's passes pack for themselves.
        let packing = StepPacking(parameters: matrices(other))
        XCTAssertEqual(packing.count, 0)
        XCTAssertEqual(
            packing.within { pass(layer, x, lengths, dOutput) }, pass(layer, x, lengths, dOutput))
    }
}
