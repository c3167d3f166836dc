import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// Small tasks a recurrent network must learn to 100% training accuracy: they fail if
/// the time loop, the masking or the backward pass is wrong even where gradient checks
/// on a few steps pass.
final class TeachingTaskTests: XCTestCase {
    /// The index of the largest element of each row.
    func argmaxRows(_ m: Matrix<Float>) -> [Int] {
        (0..<m.rows).map { r in
            let row = m.row(r)
            return row.indices.max { row[$0] < row[$1] }!
        }
    }

    /// Next character of "hello" over the vocabulary [h, e, l, o]: h→e, e→l, l→l, l→o.
    /// The two `l` inputs need different outputs, so the state must carry the history.
    func trainHello<Cell: RecurrentCell>(_: Cell.Type) -> (accuracy: Double, iterations: Int)
    where Cell.Scalar == Float {
        let inputs = [0, 1, 2, 2]
        let targets = [1, 2, 2, 3]
        var x = Matrix<Float>(rows: 4, columns: 4)
        for (t, id) in inputs.enumerated() { x[t, id] = 1 }
        var random = SeededRandom(seed: 7)
        var rnn = Recurrent<Cell>(inputSize: 4, hiddenSize: 8, random: &random)
        var head = Linear<Float>(inputSize: 8, outputSize: 4, random: &random)
        var adam = Adam<Float>(learningRate: 0.05)
        let loss = SoftmaxCrossEntropy<Float>()
        for iteration in 1...500 {
            let r = rnn.forward(x, lengths: [4])
            let (logits, headCache) = head.forward(r.output)
            let out = loss(logits: logits, targets: targets)
            let correct = zip(argmaxRows(out.probabilities), targets).filter { $0 == $1 }.count
            if correct == 4 { return (1, iteration) }
            let (dHidden, headGradient) = head.backward(out.gradient, cache: headCache)
            let back = rnn.backward(dHidden, cache: r.cache)
            adam.update(&rnn, along: back.gradient, prefix: "rnn")
            adam.update(&head, along: headGradient, prefix: "head")
        }
        let r = rnn.forward(x, lengths: [4])
        let predictions = argmaxRows(head(r.output))
        return (Double(zip(predictions, targets).filter { $0 == $1 }.count) / 4, 500)
    }

    func testHelloWithRNN() { XCTAssertEqual(trainHello(RNNCell<Float>.self).accuracy, 1) }
    func testHelloWithLSTM() { XCTAssertEqual(trainHello(LSTMCell<Float>.self).accuracy, 1) }
    func testHelloWithGRU() { XCTAssertEqual(trainHello(GRUCell<Float>.self).accuracy, 1) }

    /// Parity of bit strings of lengths 1 to 10, classified from the final state
    /// (many-to-one) of a padded batch with mixed lengths.
    func trainParity<Cell: RecurrentCell>(_: Cell.Type, seed: UInt64) -> (
        accuracy: Double, iterations: Int
    )
    where Cell.Scalar == Float {
        var random = SeededRandom(seed: seed)
        let count = 64
        let time = 10
        var lengths: [Int] = []
        var parities: [Int] = []
        // Time-major `[time·count, 2]`, one-hot bits; padding rows stay zero.
        var x = Matrix<Float>(rows: time * count, columns: 2)
        for s in 0..<count {
            let length = 1 + random.index(below: time)
            var parity = 0
            for t in 0..<length {
                let bit = random.index(below: 2)
                parity ^= bit
                x[t * count + s, bit] = 1
            }
            lengths.append(length)
            parities.append(parity)
        }
        var rnn = Recurrent<Cell>(inputSize: 2, hiddenSize: 16, random: &random)
        var head = Linear<Float>(inputSize: 16, outputSize: 2, random: &random)
        var adam = Adam<Float>(learningRate: 0.02)
        let loss = SoftmaxCrossEntropy<Float>()
        let zeros = Matrix<Float>(rows: time * count, columns: 16)
        let limit = 3000
        for iteration in 1...limit {
            let r = rnn.forward(x, lengths: lengths)
            let final = r.finalStates[0].hidden
            let (logits, headCache) = head.forward(final)
            let out = loss(logits: logits, targets: parities)
            let correct = zip(argmaxRows(out.probabilities), parities).filter { $0 == $1 }.count
            if correct == count { return (1, iteration) }
            let (dFinal, headGradient) = head.backward(out.gradient, cache: headCache)
            let back = rnn.backward(
                zeros, dFinalState: RecurrentState(hidden: dFinal), cache: r.cache)
            adam.update(&rnn, along: back.gradient, prefix: "rnn")
            adam.update(&head, along: headGradient, prefix: "head")
        }
        let final = rnn.forward(x, lengths: lengths).finalStates[0].hidden
        let predictions = argmaxRows(head(final))
        return (Double(zip(predictions, parities).filter { $0 == $1 }.count) / Double(count), limit)
    }

    func testParityWithLSTM() {
        let result = trainParity(LSTMCell<Float>.self, seed: 11)
        print("LSTM parity: accuracy \(result.accuracy) after \(result.iterations) iterations")
        XCTAssertEqual(result.accuracy, 1)
    }

    func testParityWithGRU() {
        let result = trainParity(GRUCell<Float>.self, seed: 11)
        print("GRU parity: accuracy \(result.accuracy) after \(result.iterations) iterations")
        XCTAssertEqual(result.accuracy, 1)
    }
}
