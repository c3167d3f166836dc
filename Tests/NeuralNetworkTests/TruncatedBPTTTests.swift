import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class TruncatedBPTTTests: XCTestCase {
    let (inputSize, hidden, batch, time) = (3, 4, 2, 6)

    func makeLayer() -> (
        Recurrent<LSTMCell<Double>>, Matrix<Double>, Matrix<Double>, RecurrentState<Double>
    ) {
        var random = SeededRandom(seed: 90)
        let layer = Recurrent<LSTMCell<Double>>(
            inputSize: inputSize, hiddenSize: hidden, random: &random)
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dOut: Matrix<Double> = randomMatrix(rows: time * batch, columns: hidden, using: &random)
        let state = RecurrentState<Double>(
            hidden: randomMatrix(rows: batch, columns: hidden, using: &random),
            cell: randomMatrix(rows: batch, columns: hidden, using: &random))
        return (layer, x, dOut, state)
    }

    /// With k2 = k1 the truncated gradient is full backpropagation over the chunk.
    func testFullTruncationEqualsFullBPTT() {
        let (layer, x, dOut, state) = makeLayer()
        let lengths = [time, time]
        let r = layer.forward(x, lengths: lengths, initialState: state)
        let full = layer.backward(dOut, cache: r.cache)
        let truncated = layer.backward(dOut, cache: r.cache, truncatedTo: time)
        XCTAssertEqual(full.dInput, truncated.dInput)
        XCTAssertEqual(full.dInitialState, truncated.dInitialState)
        for p in layer.parameters {
            XCTAssertEqual(
                full.gradient[keyPath: p.keyPath], truncated.gradient[keyPath: p.keyPath], p.name)
        }
        // k2 > k1 is the same as k2 = k1.
        let longer = layer.backward(dOut, cache: r.cache, truncatedTo: time + 3)
        XCTAssertEqual(full.gradient.cell.Wh, longer.gradient.cell.Wh)
    }

    /// With k2 < k1 the gradient is that of the last k2 steps run from the (fixed) state
    /// reached after the first k1 − k2: earlier steps get no gradient.
    func testTruncatedGradientCoversOnlyTheLastSteps() {
        let (layer, x, dOut, state) = makeLayer()
        let k2 = 2
        let head = (time - k2) * batch
        let r = layer.forward(x, lengths: [time, time], initialState: state)
        let truncated = layer.backward(dOut, cache: r.cache, truncatedTo: k2)

        let first = layer.forward(
            Matrix(
                rows: head, columns: inputSize, scalars: Array(x.scalars[0..<(head * inputSize)])),
            lengths: [time - k2, time - k2], initialState: state)
        let tailInput = Matrix(
            rows: k2 * batch, columns: inputSize, scalars: Array(x.scalars[(head * inputSize)...]))
        let tail = layer.forward(tailInput, lengths: [k2, k2], initialState: first.finalStates[0])
        let tailOutput = Matrix(
            rows: k2 * batch, columns: hidden, scalars: Array(r.output.scalars[(head * hidden)...]))
        assertClose(tail.output, tailOutput, tolerance: 1e-13)
        let reference = layer.backward(
            Matrix(
                rows: k2 * batch, columns: hidden, scalars: Array(dOut.scalars[(head * hidden)...])),
            cache: tail.cache)
        for p in layer.parameters {
            assertClose(
                truncated.gradient[keyPath: p.keyPath], reference.gradient[keyPath: p.keyPath],
                tolerance: 1e-12, p.name)
        }
        XCTAssertEqual(
            Array(truncated.dInput.scalars[0..<(head * inputSize)]),
            [Double](repeating: 0, count: head * inputSize))
        assertClose(
            Matrix(
                rows: k2 * batch, columns: inputSize,
                scalars: Array(truncated.dInput.scalars[(head * inputSize)...])),
            reference.dInput, tolerance: 1e-12)
        XCTAssertEqual(truncated.dInitialState.hidden.maxMagnitude, 0)
    }

    /// Carrying the final state into the next chunk changes the loss compared with
    /// starting the chunk from zeros; the carried state is exactly the state a single
    /// run over both chunks reaches.
    func testCarriedStateChangesTheLoss() {
        let (layer, x, dOut, _) = makeLayer()
        let half = time / 2 * batch
        let chunk1 = Matrix(
            rows: half, columns: inputSize, scalars: Array(x.scalars[0..<(half * inputSize)]))
        let chunk2 = Matrix(
            rows: half, columns: inputSize, scalars: Array(x.scalars[(half * inputSize)...]))
        let w = Matrix(
            rows: half, columns: hidden, scalars: Array(dOut.scalars[0..<(half * hidden)]))
        let first = layer.forward(chunk1, lengths: [time / 2, time / 2])
        let carried = layer.forward(
            chunk2, lengths: [time / 2, time / 2], initialState: first.finalStates[0])
        let reset = layer.forward(chunk2, lengths: [time / 2, time / 2])
        let carriedLoss = weightedSum(carried.output, w)
        let resetLoss = weightedSum(reset.output, w)
        XCTAssertGreaterThan(abs(carriedLoss - resetLoss), 1e-3)
        let whole = layer.forward(x, lengths: [time, time])
        assertClose(carried.finalStates[0].hidden, whole.finalStates[0].hidden, tolerance: 1e-13)
        // The truncated backward of a carried chunk runs and gives finite gradients.
        let back = layer.backward(w, cache: carried.cache, truncatedTo: 2)
        XCTAssertTrue(back.gradient.cell.Wx.scalars.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(back.gradient.cell.Wx.maxMagnitude, 0)
    }
}
