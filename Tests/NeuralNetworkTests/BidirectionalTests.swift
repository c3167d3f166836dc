import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class BidirectionalTests: XCTestCase {
    override class func tearDown() {
        print("largest relative gradient error so far: \(largestRecurrentGradientError)")
    }

    func checkBidirectional<Cell: RecurrentCell>(
        _: Cell.Type, lengths: [Int], concurrent: Bool, seed: UInt64
    )
    where Cell.Scalar == Double {
        var random = SeededRandom(seed: seed)
        let (inputSize, hidden, time, batch) = (3, 4, 4, lengths.count)
        var layer = Bidirectional<Cell>(inputSize: inputSize, hiddenSize: hidden, random: &random)
        layer.runsDirectionsConcurrently = concurrent
        layer.forwardCell.b = randomMatrix(
            rows: 1, columns: layer.forwardCell.b.columns, using: &random)
        layer.reverseCell.b = randomMatrix(
            rows: 1, columns: layer.reverseCell.b.columns, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let states: [Matrix<Double>] = (0..<4).map { _ in
            randomMatrix(rows: batch, columns: hidden, using: &random)
        }
        let weights: [Matrix<Double>] = (0..<4).map { _ in
            randomMatrix(rows: batch, columns: hidden, using: &random)
        }
        let wOut: Matrix<Double> = randomMatrix(
            rows: time * batch, columns: 2 * hidden, using: &random)
        func initial(_ s: [Matrix<Double>]) -> [RecurrentState<Double>?] {
            [
                RecurrentState(hidden: s[0], cell: Cell.hasCellState ? s[1] : nil),
                RecurrentState(hidden: s[2], cell: Cell.hasCellState ? s[3] : nil),
            ]
        }
        func loss(_ layer: Bidirectional<Cell>, _ x: Matrix<Double>, _ s: [Matrix<Double>])
            -> Double
        {
            let r = layer.forward(x, lengths: lengths, initialStates: initial(s))
            var total = weightedSum(r.output, wOut)
            for d in 0..<2 {
                total += weightedSum(r.finalStates[d].hidden, weights[2 * d])
                if let c = r.finalStates[d].cell { total += weightedSum(c, weights[2 * d + 1]) }
            }
            return total
        }
        let result = layer.forward(x, lengths: lengths, initialStates: initial(states))
        let back = layer.backward(wOut, dFinalStates: initial(weights), cache: result.cache)
        let label = "Bidirectional<\(Cell.self)> lengths \(lengths)"
        checkGradient("\(label) x", of: x, analytic: back.dInput) { loss(layer, $0, states) }
        for d in 0..<2 {
            checkGradient(
                "\(label) h0[\(d)]", of: states[2 * d], analytic: back.dInitialStates[d].hidden
            ) {
                var s = states
                s[2 * d] = $0
                return loss(layer, x, s)
            }
            if Cell.hasCellState {
                checkGradient(
                    "\(label) c0[\(d)]", of: states[2 * d + 1],
                    analytic: back.dInitialStates[d].cell!
                ) {
                    var s = states
                    s[2 * d + 1] = $0
                    return loss(layer, x, s)
                }
            }
        }
        checkParameters(of: layer, gradient: back.gradient, label: label) { loss($0, x, states) }
    }

    func testGradientsOfEveryCell() {
        // Unsorted; sorted with padding under a quarter of the rows (every state carried);
        // sorted with mostly padding and an empty sequence (no state kept after a sequence's
        // end, each sequence's final-state gradient entering at its last step).
        for (i, lengths) in [[4, 2, 3], [4, 3, 1], [4, 1, 1, 0]].enumerated() {
            let seed = UInt64(50 + i)
            checkBidirectional(
                RNNCell<Double>.self, lengths: lengths, concurrent: i == 0, seed: seed)
            checkBidirectional(
                LSTMCell<Double>.self, lengths: lengths, concurrent: i == 0, seed: seed)
            checkBidirectional(
                GRUCell<Double>.self, lengths: lengths, concurrent: i == 0, seed: seed)
        }
    }

    func checkStack<Cell: RecurrentCell>(_: Cell.Type) where Cell.Scalar == Double {
        var random = SeededRandom(seed: 60)
        let lengths = [3, 1, 2]
        let (inputSize, hidden, time, batch) = (3, 3, 3, 3)
        let stack = StackedBidirectional<Cell>(
            inputSize: inputSize, hiddenSize: hidden, layerCount: 2, random: &random)
        XCTAssertEqual(stack.parameters.count, 12)
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let wOut: Matrix<Double> = randomMatrix(
            rows: time * batch, columns: 2 * hidden, using: &random)
        // A fixed scaling between the layers stands in for a dropout mask.
        let scale = Matrix<Double>(
            rows: time * batch, columns: 2 * hidden,
            scalars: (0..<(time * batch * 2 * hidden)).map { Double($0 % 3) * 0.75 })
        let hook = { (_: Int, m: Matrix<Double>) in m.hadamard(scale) }
        func loss(_ stack: StackedBidirectional<Cell>, _ x: Matrix<Double>) -> Double {
            weightedSum(stack.forward(x, lengths: lengths, between: hook).output, wOut)
        }
        let result = stack.forward(x, lengths: lengths, between: hook)
        let back = stack.backward(wOut, cache: result.cache, between: hook)
        let label = "StackedBidirectional<\(Cell.self)>"
        checkGradient("\(label) x", of: x, analytic: back.dInput) { loss(stack, $0) }
        checkParameters(of: stack, gradient: back.gradient, label: label) { loss($0, x) }
    }

    func testTwoLayerStackGradients() {
        checkStack(LSTMCell<Double>.self)
        checkStack(GRUCell<Double>.self)
        checkStack(RNNCell<Double>.self)
    }

    /// Each sequence of a padded batch gives what it gives alone, in both directions.
    func checkPaddedMatchesAlone<Cell: RecurrentCell>(
        _: Cell.Type, lengths: [Int], tolerance: Double
    ) {
        typealias Scalar = Cell.Scalar
        var random = SeededRandom(seed: 70)
        let (inputSize, hidden, batch) = (5, 9, lengths.count)
        let time = lengths.max()!
        let layer = Bidirectional<Cell>(inputSize: inputSize, hiddenSize: hidden, random: &random)
        let x: Matrix<Scalar> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dOut: Matrix<Scalar> = randomMatrix(
            rows: time * batch, columns: 2 * hidden, using: &random)
        let all = layer.forward(x, lengths: lengths)
        let allBack = layer.backward(dOut, cache: all.cache)
        // Padding rows get no input gradient (sorted batches skip them in the products).
        for s in 0..<batch {
            for t in lengths[s]..<time {
                XCTAssertEqual(
                    allBack.dInput.row(t * batch + s), [Scalar](repeating: 0, count: inputSize))
            }
        }
        var summed = layer.zeroed()
        for s in 0..<batch {
            let n = lengths[s]
            let alone = layer.forward(
                sequenceRows(x, sequence: s, length: n, batch: batch), lengths: [n])
            let label = "Bidirectional<\(Cell.self)> sequence \(s)"
            assertClose(
                sequenceRows(all.output, sequence: s, length: n, batch: batch), alone.output,
                tolerance: tolerance, label)
            for d in 0..<2 {
                assertClose(
                    rowMatrix(all.finalStates[d].hidden, s), alone.finalStates[d].hidden,
                    tolerance: tolerance, label)
            }
            let back = layer.backward(
                sequenceRows(dOut, sequence: s, length: n, batch: batch), cache: alone.cache)
            assertClose(
                sequenceRows(allBack.dInput, sequence: s, length: n, batch: batch), back.dInput,
                tolerance: tolerance, label)
            for p in layer.parameters {
                summed[keyPath: p.keyPath] += back.gradient[keyPath: p.keyPath]
            }
        }
        for p in layer.parameters {
            assertClose(
                allBack.gradient[keyPath: p.keyPath], summed[keyPath: p.keyPath],
                tolerance: tolerance, p.name)
        }
    }

    func testPaddedBatchMatchesSequencesAlone() {
        for lengths in [[6, 2, 5, 1], [6, 5, 3, 3]] {
            checkPaddedMatchesAlone(LSTMCell<Double>.self, lengths: lengths, tolerance: 1e-12)
            checkPaddedMatchesAlone(GRUCell<Double>.self, lengths: lengths, tolerance: 1e-12)
            checkPaddedMatchesAlone(RNNCell<Double>.self, lengths: lengths, tolerance: 1e-12)
            checkPaddedMatchesAlone(LSTMCell<Float>.self, lengths: lengths, tolerance: 1e-5)
            checkPaddedMatchesAlone(GRUCell<Float>.self, lengths: lengths, tolerance: 1e-5)
            checkPaddedMatchesAlone(RNNCell<Float>.self, lengths: lengths, tolerance: 1e-5)
        }
    }

    /// Without a cache (inference) each sequence's output and final states are, to the bit,
    /// what it gives alone, in any batch, at any position, with its directions on one
    /// thread or two.
    func checkInferenceIsBatchInvariant<Cell: RecurrentCell>(_: Cell.Type)
    where Cell.Scalar == Float {
        var random = SeededRandom(seed: 71)
        let (inputSize, hidden) = (7, 21)
        var layer = Bidirectional<Cell>(inputSize: inputSize, hiddenSize: hidden, random: &random)
        for lengths in [[6, 2, 5, 1], [1, 1], [1, 9, 3, 9, 2, 1, 4, 8, 8, 5], [1]] {
            let (batch, time) = (lengths.count, lengths.max()!)
            let x: Matrix<Float> = randomMatrix(
                rows: time * batch, columns: inputSize, using: &random)
            for concurrent in [false, true] {
                layer.runsDirectionsConcurrently = concurrent
                let all = layer.forward(x, lengths: lengths, keepsCache: false)
                for (s, n) in lengths.enumerated() {
                    let alone = layer.forward(
                        sequenceRows(x, sequence: s, length: n, batch: batch), lengths: [n],
                        keepsCache: false)
                    let label =
                        "\(Cell.self) lengths \(lengths) sequence \(s) concurrent \(concurrent)"
                    XCTAssertEqual(
                        sequenceRows(all.output, sequence: s, length: n, batch: batch),
                        alone.output, label)
                    for d in 0..<2 {
                        XCTAssertEqual(
                            rowMatrix(all.finalStates[d].hidden, s), alone.finalStates[d].hidden,
                            label)
                    }
                }
            }
        }
    }

    func testInferenceIsBatchInvariant() {
        checkInferenceIsBatchInvariant(LSTMCell<Float>.self)
        checkInferenceIsBatchInvariant(GRUCell<Float>.self)
        checkInferenceIsBatchInvariant(RNNCell<Float>.self)
    }

    /// The reverse direction's first step reads each sequence's own last token: its
    /// output at the last token equals a one-step run of the reverse cell on that token.
    /// An encoder read by its final states: training without the output sequence (not
    /// written forward, no zero gradient made backward) gives the same bits as with it.
    func testFinalStatesOnlyTrainingMatchesAZeroOutputGradient() {
        var random = SeededRandom(seed: 71)
        let lengths = [5, 5, 3, 1]
        let (inputSize, hidden, batch, time) = (4, 6, 4, 5)
        let layer = Bidirectional<LSTMCell<Float>>(
            inputSize: inputSize, hiddenSize: hidden, random: &random)
        let x: Matrix<Float> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dFinal: [RecurrentState<Float>?] = (0..<2).map { _ in
            RecurrentState(hidden: randomMatrix(rows: batch, columns: hidden, using: &random))
        }
        let full = layer.forward(x, lengths: lengths)
        let lean = layer.forward(x, lengths: lengths, finalStatesOnly: true)
        XCTAssertEqual(lean.output.rows, 0)
        for d in 0..<2 {
            XCTAssertEqual(
                lean.finalStates[d].hidden.scalars.map(\.bitPattern),
                full.finalStates[d].hidden.scalars.map(\.bitPattern))
        }
        let withZeros = layer.backward(
            Matrix(rows: time * batch, columns: 2 * hidden), dFinalStates: dFinal,
            cache: full.cache)
        let without = layer.backward(dFinalStates: dFinal, cache: lean.cache)
        XCTAssertEqual(
            without.dInput.scalars.map(\.bitPattern), withZeros.dInput.scalars.map(\.bitPattern))
        for p in layer.parameters {
            XCTAssertEqual(
                without.gradient[keyPath: p.keyPath].scalars.map(\.bitPattern),
                withZeros.gradient[keyPath: p.keyPath].scalars.map(\.bitPattern), p.name)
        }
    }

    func testReverseStartsAtEachSequencesLastToken() {
        var random = SeededRandom(seed: 80)
        let layer = Bidirectional<GRUCell<Double>>(inputSize: 2, hiddenSize: 3, random: &random)
        let lengths = [2, 4]
        let x: Matrix<Double> = randomMatrix(rows: 8, columns: 2, using: &random)
        let output = layer.forward(x, lengths: lengths).output
        for s in 0..<2 {
            let last = (lengths[s] - 1) * 2 + s
            let step = layer.reverseCell.forward(rowMatrix(x, last)).state.hidden
            XCTAssertEqual(Array(output.row(last)[3..<6]), step.scalars)
        }
    }
}
