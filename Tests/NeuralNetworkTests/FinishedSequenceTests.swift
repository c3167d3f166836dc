import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// A batch sorted longest first whose padding is most of its rows (a batch of words'
/// characters) keeps no state for a sequence after its end, and its backward pass starts
/// each sequence from its final-state gradient at its last step: the results must be those
/// of the same sequences in an order that carries every state through every step.
final class FinishedSequenceTests: XCTestCase {
    let (inputSize, hidden) = (3, 5)

    /// Sorted lengths with padding above a quarter of the rows, an empty sequence last.
    let sortedLengths = [7, 3, 2, 1, 1, 0]
    /// The same sequences in an unsorted order (`order[i]` is the sorted index of position i).
    let order = [2, 0, 5, 1, 4, 3]

    /// `m`'s time-major rows for the sequences in `order` (`[time·batch, columns]`).
    func reordered(_ m: Matrix<Double>, batch: Int) -> Matrix<Double> {
        let time = m.rows / batch
        var rows: [Double] = []
        for t in 0..<time {
            for s in order { rows += m.row(t * batch + s) }
        }
        return Matrix(rows: m.rows, columns: m.columns, scalars: rows)
    }

    /// Rows of `m` (`[batch, columns]`) in `order`.
    func reorderedStates(_ m: Matrix<Double>) -> Matrix<Double> {
        Matrix(rows: m.rows, columns: m.columns, scalars: order.flatMap { m.row($0) })
    }

    func check<Cell: RecurrentCell>(_: Cell.Type, reversed: Bool, truncation: Int?)
    where Cell.Scalar == Double {
        var random = SeededRandom(seed: 130)
        let batch = sortedLengths.count
        let time = sortedLengths.max()!
        let layer = Recurrent<Cell>(
            inputSize: inputSize, hiddenSize: hidden, reversed: reversed, random: &random)
        let x: Matrix<Double> = randomMatrix(rows: time * batch, columns: inputSize, using: &random)
        let dOut: Matrix<Double> = randomMatrix(rows: time * batch, columns: hidden, using: &random)
        let initial = RecurrentState<Double>(
            hidden: randomMatrix(rows: batch, columns: hidden, using: &random),
            cell: Cell.hasCellState
                ? randomMatrix(rows: batch, columns: hidden, using: &random) : nil)
        let dFinal = RecurrentState<Double>(
            hidden: randomMatrix(rows: batch, columns: hidden, using: &random),
            cell: Cell.hasCellState
                ? randomMatrix(rows: batch, columns: hidden, using: &random) : nil)
        let unsortedLengths = order.map { sortedLengths[$0] }
        func unsorted(_ state: RecurrentState<Double>) -> RecurrentState<Double> {
            RecurrentState(
                hidden: reorderedStates(state.hidden), cell: state.cell.map(reorderedStates))
        }

        let sorted = layer.forward(x, lengths: sortedLengths, initialState: initial)
        let carried = layer.forward(
            reordered(x, batch: batch), lengths: unsortedLengths, initialState: unsorted(initial))
        let label =
            "\(Cell.self) reversed \(reversed) truncation \(truncation.map(String.init) ?? "none")"
        assertClose(reordered(sorted.output, batch: batch), carried.output, tolerance: 1e-13, label)
        assertClose(
            reorderedStates(sorted.finalStates[0].hidden), carried.finalStates[0].hidden,
            tolerance: 1e-13, label)
        if let c = sorted.finalStates[0].cell {
            assertClose(reorderedStates(c), carried.finalStates[0].cell!, tolerance: 1e-13, label)
        }
        // Empty sequence: its final state is its initial state, to the bit.
        XCTAssertEqual(
            rowMatrix(sorted.finalStates[0].hidden, batch - 1),
            rowMatrix(initial.hidden, batch - 1),
            label)

        let back = layer.backward(
            dOut, dFinalState: dFinal, cache: sorted.cache, truncatedTo: truncation)
        let reference = layer.backward(
            reordered(dOut, batch: batch), dFinalState: unsorted(dFinal), cache: carried.cache,
            truncatedTo: truncation)
        assertClose(reordered(back.dInput, batch: batch), reference.dInput, tolerance: 1e-12, label)
        assertClose(
            reorderedStates(back.dInitialState.hidden), reference.dInitialState.hidden,
            tolerance: 1e-12, label)
        if truncation == nil {
            // Empty sequence: its final-state gradient passes to its initial state unchanged.
            XCTAssertEqual(
                rowMatrix(back.dInitialState.hidden, batch - 1),
                rowMatrix(dFinal.hidden, batch - 1),
                label)
        }
        for p in layer.parameters {
            let g = back.gradient[keyPath: p.keyPath]
            XCTAssertTrue(g.scalars.allSatisfy(\.isFinite), "\(label) \(p.name)")
            assertClose(
                g, reference.gradient[keyPath: p.keyPath], tolerance: 1e-12, "\(label) \(p.name)")
        }
    }

    func testSortedPaddedBatchMatchesACarriedOrder() {
        for reversed in [false, true] {
            for truncation in [nil, 3] as [Int?] {
                check(LSTMCell<Double>.self, reversed: reversed, truncation: truncation)
                check(GRUCell<Double>.self, reversed: reversed, truncation: truncation)
                check(RNNCell<Double>.self, reversed: reversed, truncation: truncation)
            }
        }
    }
}
