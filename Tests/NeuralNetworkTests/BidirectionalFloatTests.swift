import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// The Float recurrent engine (packed step products, the input projection computed ahead
/// for small batches, the weight gradients in the `Aᵀ · B` kernel) against the Double one,
/// whose products go through BLAS and whose gradients the finite-difference checks cover.
final class BidirectionalFloatTests: XCTestCase {
    func checkFloatAgreesWithDouble<Cell: RecurrentCell, FloatCell: RecurrentCell>(
        _: Cell.Type, _: FloatCell.Type, lengths: [Int], convert: (Cell) -> FloatCell
    ) where Cell.Scalar == Double, FloatCell.Scalar == Float {
        var random = SeededRandom(seed: 90 + UInt64(lengths.count))
        let (inputSize, hidden) = (37, 20)
        let (batch, time) = (lengths.count, lengths.max()!)
        let double = Bidirectional<Cell>(inputSize: inputSize, hiddenSize: hidden, random: &random)
        let float = Bidirectional<FloatCell>(
            forward: convert(double.forwardCell), reverse: convert(double.reverseCell))
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dy: Matrix<Double> = randomMatrix(
            rows: time * batch, columns: 2 * hidden, using: &random)
        let d = double.forward(x, lengths: lengths)
        let f = float.forward(x.converted(), lengths: lengths)
        let label = "\(Cell.self) lengths \(lengths)"
        assertClose(f.output.converted(to: Double.self), d.output, tolerance: 1e-5, label)
        let backD = double.backward(dy, cache: d.cache)
        let backF = float.backward(dy.converted(), cache: f.cache)
        assertClose(backF.dInput.converted(to: Double.self), backD.dInput, tolerance: 1e-4, label)
        for (cellF, cellD) in [
            (backF.gradient.forwardCell, backD.gradient.forwardCell),
            (backF.gradient.reverseCell, backD.gradient.reverseCell),
        ] {
            for (gF, gD) in [(cellF.Wx, cellD.Wx), (cellF.Wh, cellD.Wh), (cellF.b, cellD.b)] {
                assertClose(gF.converted(to: Double.self), gD, tolerance: 1e-4, label)
            }
        }
    }

    func testLSTMAndGRUAgreeWithDoubleInSmallAndLargeBatches() {
        // Three sequences (input projection ahead of the steps) and ten (step by step).
        for lengths in [[5, 2, 4], [9, 1, 3, 9, 2, 1, 4, 8, 8, 5]] {
            checkFloatAgreesWithDouble(
                LSTMCell<Double>.self, LSTMCell<Float>.self, lengths: lengths
            ) {
                LSTMCell(Wx: $0.Wx.converted(), Wh: $0.Wh.converted(), b: $0.b.converted())
            }
            checkFloatAgreesWithDouble(GRUCell<Double>.self, GRUCell<Float>.self, lengths: lengths)
            {
                GRUCell(Wx: $0.Wx.converted(), Wh: $0.Wh.converted(), b: $0.b.converted())
            }
        }
    }

    /// Inference that keeps only the final states gives the same final states, to the bit,
    /// as the full forward pass, and no output rows.
    func testFinalStatesOnlyMatchesTheFullForwardPass() {
        var random = SeededRandom(seed: 93)
        let layer = Bidirectional<LSTMCell<Float>>(inputSize: 9, hiddenSize: 17, random: &random)
        for lengths in [[5, 2, 4], [9, 1, 3, 9, 2, 1, 4, 8, 8, 5], [3, 0, 2]] {
            let time = lengths.max()!
            let x: Matrix<Float> = randomMatrix(
                rows: time * lengths.count, columns: 9, using: &random)
            let full = layer.forward(x, lengths: lengths, keepsCache: false)
            let finalOnly = layer.forward(
                x, lengths: lengths, keepsCache: false, finalStatesOnly: true)
            XCTAssertEqual(finalOnly.output.rows, 0, "lengths \(lengths)")
            for d in 0..<2 {
                XCTAssertEqual(
                    finalOnly.finalStates[d].hidden, full.finalStates[d].hidden,
                    "lengths \(lengths) direction \(d)")
                XCTAssertEqual(
                    finalOnly.finalStates[d].cell, full.finalStates[d].cell,
                    "lengths \(lengths) direction \(d)")
            }
        }
    }
}
