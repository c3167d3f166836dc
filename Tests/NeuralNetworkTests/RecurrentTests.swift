import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// Rows of sequence `s` (steps `0..<length`) of a time-major `[time·batch, n]` matrix.
func sequenceRows<Scalar: BLASScalar>(
    _ m: Matrix<Scalar>, sequence s: Int, length: Int, batch: Int
) -> Matrix<Scalar> {
    var scalars: [Scalar] = []
    for t in 0..<length { scalars += m.row(t * batch + s) }
    return Matrix(rows: length, columns: m.columns, scalars: scalars)
}

/// Row `s` of a matrix as a `[1, n]` matrix.
func rowMatrix<Scalar: BLASScalar>(_ m: Matrix<Scalar>, _ s: Int) -> Matrix<Scalar> {
    Matrix(rows: 1, columns: m.columns, scalars: m.row(s))
}

final class RecurrentTests: XCTestCase {
    override class func tearDown() {
        print("largest relative gradient error so far: \(largestRecurrentGradientError)")
    }

    func checkRecurrent<Cell: RecurrentCell>(
        _: Cell.Type, reversed: Bool, lengths: [Int], seed: UInt64
    ) where Cell.Scalar == Double {
        var random = SeededRandom(seed: seed)
        let (inputSize, hidden, time, batch) = (3, 4, 4, lengths.count)
        var layer = Recurrent<Cell>(
            inputSize: inputSize, hiddenSize: hidden, reversed: reversed, random: &random)
        layer.cell.b = randomMatrix(rows: 1, columns: layer.cell.b.columns, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let h0: Matrix<Double> = randomMatrix(rows: batch, columns: hidden, using: &random)
        let c0: Matrix<Double>? =
            Cell.hasCellState ? randomMatrix(rows: batch, columns: hidden, using: &random) : nil
        let wOut: Matrix<Double> = randomMatrix(rows: time * batch, columns: hidden, using: &random)
        let wh: Matrix<Double> = randomMatrix(rows: batch, columns: hidden, using: &random)
        let wc: Matrix<Double> = randomMatrix(rows: batch, columns: hidden, using: &random)
        func loss(
            _ layer: Recurrent<Cell>, _ x: Matrix<Double>, _ h: Matrix<Double>, _ c: Matrix<Double>?
        ) -> Double {
            let r = layer.forward(
                x, lengths: lengths, initialState: RecurrentState(hidden: h, cell: c))
            let final = r.finalStates[0]
            return weightedSum(r.output, wOut) + weightedSum(final.hidden, wh)
                + (final.cell.map { weightedSum($0, wc) } ?? 0)
        }
        let result = layer.forward(
            x, lengths: lengths, initialState: RecurrentState(hidden: h0, cell: c0))
        // Padded steps have zero output.
        for s in 0..<batch {
            for t in lengths[s]..<time {
                XCTAssertEqual(
                    result.output.row(t * batch + s), [Double](repeating: 0, count: hidden))
            }
        }
        let back = layer.backward(
            wOut, dFinalState: RecurrentState(hidden: wh, cell: Cell.hasCellState ? wc : nil),
            cache: result.cache)
        let label = "Recurrent<\(Cell.self)> reversed \(reversed) lengths \(lengths)"
        checkGradient("\(label) x", of: x, analytic: back.dInput) { loss(layer, $0, h0, c0) }
        checkGradient("\(label) h0", of: h0, analytic: back.dInitialState.hidden) {
            loss(layer, x, $0, c0)
        }
        if let c0 {
            checkGradient("\(label) c0", of: c0, analytic: back.dInitialState.cell!) {
                loss(layer, x, h0, $0)
            }
        }
        checkParameters(of: layer, gradient: back.gradient, label: label) { loss($0, x, h0, c0) }
    }

    func testGradientsOfEveryCellBothDirections() {
        var seed: UInt64 = 20
        for lengths in [[4, 2, 3], [4, 3, 1]] {
            for reversed in [false, true] {
                seed += 1
                checkRecurrent(
                    RNNCell<Double>.self, reversed: reversed, lengths: lengths, seed: seed)
                checkRecurrent(
                    LSTMCell<Double>.self, reversed: reversed, lengths: lengths, seed: seed)
                checkRecurrent(
                    GRUCell<Double>.self, reversed: reversed, lengths: lengths, seed: seed)
            }
        }
    }

    func testZeroLengthSequenceKeepsItsState() {
        var random = SeededRandom(seed: 30)
        let layer = Recurrent<LSTMCell<Double>>(inputSize: 2, hiddenSize: 3, random: &random)
        let x: Matrix<Double> = randomMatrix(rows: 6, columns: 2, using: &random)
        let h0: Matrix<Double> = randomMatrix(rows: 2, columns: 3, using: &random)
        let c0: Matrix<Double> = randomMatrix(rows: 2, columns: 3, using: &random)
        let r = layer.forward(
            x, lengths: [3, 0], initialState: RecurrentState(hidden: h0, cell: c0))
        XCTAssertEqual(r.finalStates[0].hidden.row(1), h0.row(1))
        XCTAssertEqual(r.finalStates[0].cell!.row(1), c0.row(1))
        let back = layer.backward(
            Matrix(rows: 6, columns: 3), dFinalState: RecurrentState(hidden: h0, cell: c0),
            cache: r.cache)
        XCTAssertEqual(back.dInitialState.hidden.row(1), h0.row(1))
        XCTAssertEqual(back.dInitialState.cell!.row(1), c0.row(1))
    }

    /// Each sequence of a padded batch gives what it gives alone: outputs, final state,
    /// input gradient; the parameter gradient is the sum over the sequences.
    func checkPaddedMatchesAlone<Cell: RecurrentCell>(
        _: Cell.Type, reversed: Bool, lengths: [Int], tolerance: Double
    ) {
        typealias Scalar = Cell.Scalar
        var random = SeededRandom(seed: 40)
        let (inputSize, hidden, batch) = (5, 11, lengths.count)
        let time = lengths.max()! + 1  // an all-padding step too
        var layer = Recurrent<Cell>(
            inputSize: inputSize, hiddenSize: hidden, reversed: reversed, random: &random)
        layer.cell.b = randomMatrix(rows: 1, columns: layer.cell.b.columns, using: &random)
        let x: Matrix<Scalar> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dOut: Matrix<Scalar> = randomMatrix(rows: time * batch, columns: hidden, using: &random)
        let dFinal: Matrix<Scalar> = randomMatrix(rows: batch, columns: hidden, using: &random)
        let all = layer.forward(x, lengths: lengths)
        let allBack = layer.backward(
            dOut, dFinalState: RecurrentState(hidden: dFinal), cache: all.cache)
        var summed = layer.zeroed()
        for s in 0..<batch {
            let n = lengths[s]
            let alone = layer.forward(
                sequenceRows(x, sequence: s, length: n, batch: batch), lengths: [n])
            let label = "\(Cell.self) reversed \(reversed) sequence \(s)"
            assertClose(
                sequenceRows(all.output, sequence: s, length: n, batch: batch), alone.output,
                tolerance: tolerance, label)
            assertClose(
                rowMatrix(all.finalStates[0].hidden, s), alone.finalStates[0].hidden,
                tolerance: tolerance, label)
            let back = layer.backward(
                sequenceRows(dOut, sequence: s, length: n, batch: batch),
                dFinalState: RecurrentState(hidden: rowMatrix(dFinal, s)), cache: alone.cache)
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
        for lengths in [[5, 2, 4, 1], [5, 4, 2, 1]] {
            for reversed in [false, true] {
                checkPaddedMatchesAlone(
                    LSTMCell<Double>.self, reversed: reversed, lengths: lengths, tolerance: 1e-12)
                checkPaddedMatchesAlone(
                    GRUCell<Double>.self, reversed: reversed, lengths: lengths, tolerance: 1e-12)
                checkPaddedMatchesAlone(
                    RNNCell<Double>.self, reversed: reversed, lengths: lengths, tolerance: 1e-12)
                checkPaddedMatchesAlone(
                    LSTMCell<Float>.self, reversed: reversed, lengths: lengths, tolerance: 1e-5)
                checkPaddedMatchesAlone(
                    GRUCell<Float>.self, reversed: reversed, lengths: lengths, tolerance: 1e-5)
                checkPaddedMatchesAlone(
                    RNNCell<Float>.self, reversed: reversed, lengths: lengths, tolerance: 1e-5)
            }
        }
    }
}
