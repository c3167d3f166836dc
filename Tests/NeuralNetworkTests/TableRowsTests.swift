import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// A bidirectional layer reading its input as rows of a table (`TableRows`): the outputs
/// of the same rows given densely, to the bit; the table's gradient, checked by finite
/// differences and against the dense input gradient summed by table row.
final class TableRowsTests: XCTestCase {
    /// Table rows for a padded batch of `lengths` over a table of `tableRows` rows, every
    /// row used; padding rows read -1, which must not be read.
    static func rowIDs(lengths: [Int], tableRows: Int, random: inout SeededRandom) -> [Int] {
        let (batch, time) = (lengths.count, lengths.max() ?? 0)
        var ids = [Int](repeating: -1, count: time * batch)
        var next = 0
        for t in 0..<time {
            for s in 0..<batch where t < lengths[s] {
                // The first uses in order, then rows drawn at random (repeats).
                ids[t * batch + s] =
                    next < tableRows ? next : Int(random.next() % UInt64(tableRows))
                next += 1
            }
        }
        return ids
    }

    /// The dense input of `ids` (zeros on padding rows).
    static func dense<Scalar: BLASScalar>(_ table: Matrix<Scalar>, _ ids: [Int]) -> Matrix<Scalar> {
        var x = Matrix<Scalar>(rows: ids.count, columns: table.columns)
        for (r, id) in ids.enumerated() where id >= 0 {
            for c in 0..<table.columns { x[r, c] = table[id, c] }
        }
        return x
    }

    func checkSameBits<Cell: RecurrentCell>(_: Cell.Type, lengths: [Int], seed: UInt64)
    where Cell.Scalar == Float {
        var random = SeededRandom(seed: seed)
        var layer = Bidirectional<Cell>(inputSize: 5, hiddenSize: 20, random: &random)
        let table: Matrix<Float> = randomMatrix(rows: 7, columns: 5, using: &random)
        let ids = Self.rowIDs(lengths: lengths, tableRows: 7, random: &random)
        let x = Self.dense(table, ids)
        let initial: [RecurrentState<Float>?] = (0..<2).map { _ in
            RecurrentState(
                hidden: randomMatrix(rows: lengths.count, columns: 20, using: &random),
                cell: Cell.hasCellState
                    ? randomMatrix(rows: lengths.count, columns: 20, using: &random) : nil)
        }
        for concurrent in [false, true] {
            layer.runsDirectionsConcurrently = concurrent
            for (keepsCache, finalStatesOnly) in [(true, false), (false, false), (true, true)] {
                let label =
                    "\(Cell.self) lengths \(lengths) concurrent \(concurrent) cache \(keepsCache) final only \(finalStatesOnly)"
                let a = layer.forward(
                    x, lengths: lengths, initialStates: initial, keepsCache: keepsCache,
                    finalStatesOnly: finalStatesOnly)
                let b = layer.forward(
                    TableRows(table: table, rows: ids), lengths: lengths, initialStates: initial,
                    keepsCache: keepsCache, finalStatesOnly: finalStatesOnly)
                XCTAssertEqual(b.output.rows, a.output.rows, label)
                XCTAssertEqual(
                    b.output.scalars.map(\.bitPattern), a.output.scalars.map(\.bitPattern), label)
                for d in 0..<2 {
                    XCTAssertEqual(
                        b.finalStates[d].hidden.scalars.map(\.bitPattern),
                        a.finalStates[d].hidden.scalars.map(\.bitPattern), label)
                    XCTAssertEqual(
                        b.finalStates[d].cell?.scalars.map(\.bitPattern),
                        a.finalStates[d].cell?.scalars.map(\.bitPattern), label)
                }
            }
        }
    }

    func testOutputsHaveTheBitsOfTheSameRowsGivenDensely() {
        // Unsorted; few sequences (the dense input projected ahead); sorted with mostly
        // padding and an empty sequence; more than eight sequences (projected per step).
        let batches = [[3, 5, 2], [4, 4, 2], [6, 2, 1, 1, 0], [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]]
        for (i, lengths) in batches.enumerated() {
            checkSameBits(LSTMCell<Float>.self, lengths: lengths, seed: UInt64(10 + i))
            checkSameBits(GRUCell<Float>.self, lengths: lengths, seed: UInt64(20 + i))
            checkSameBits(RNNCell<Float>.self, lengths: lengths, seed: UInt64(30 + i))
        }
    }

    func checkGradients<Cell: RecurrentCell>(
        _: Cell.Type, lengths: [Int], outputGradient: Bool, concurrent: Bool, seed: UInt64
    ) where Cell.Scalar == Double {
        var random = SeededRandom(seed: seed)
        let (inputSize, hidden, tableRows) = (3, 4, 5)
        let (batch, time) = (lengths.count, lengths.max()!)
        var layer = Bidirectional<Cell>(inputSize: inputSize, hiddenSize: hidden, random: &random)
        layer.runsDirectionsConcurrently = concurrent
        layer.forwardCell.b = randomMatrix(
            rows: 1, columns: layer.forwardCell.b.columns, using: &random)
        layer.reverseCell.b = randomMatrix(
            rows: 1, columns: layer.reverseCell.b.columns, using: &random)
        let table: Matrix<Double> = randomMatrix(
            rows: tableRows, columns: inputSize, using: &random)
        let ids = Self.rowIDs(lengths: lengths, tableRows: tableRows, random: &random)
        let wOut: Matrix<Double> = randomMatrix(
            rows: time * batch, columns: 2 * hidden, using: &random)
        let wFinal: [Matrix<Double>] = (0..<2).map { _ in
            randomMatrix(rows: batch, columns: hidden, using: &random)
        }
        func loss(_ layer: Bidirectional<Cell>, _ table: Matrix<Double>) -> Double {
            let r = layer.forward(
                TableRows(table: table, rows: ids), lengths: lengths,
                finalStatesOnly: !outputGradient)
            var total = outputGradient ? weightedSum(r.output, wOut) : 0
            for d in 0..<2 { total += weightedSum(r.finalStates[d].hidden, wFinal[d]) }
            return total
        }
        let finals: [RecurrentState<Double>?] = wFinal.map { RecurrentState(hidden: $0) }
        let result = layer.forward(
            TableRows(table: table, rows: ids), lengths: lengths, finalStatesOnly: !outputGradient)
        let back =
            outputGradient
            ? layer.backward(wOut, dFinalStates: finals, cache: result.cache)
            : layer.backward(dFinalStates: finals, cache: result.cache)
        let label = "TableRows Bidirectional<\(Cell.self)> lengths \(lengths)"
        XCTAssertEqual(back.dInput.rows, tableRows, label)
        checkGradient("\(label) table", of: table, analytic: back.dInput) { loss(layer, $0) }
        checkParameters(of: layer, gradient: back.gradient, label: label) { loss($0, table) }

        // The dense pass's input gradient summed by table row, and its parameter gradients.
        let x = Self.dense(table, ids)
        let dense = layer.forward(x, lengths: lengths)
        let denseBack = layer.backward(
            outputGradient ? wOut : Matrix(rows: time * batch, columns: 2 * hidden),
            dFinalStates: finals, cache: dense.cache)
        var summed = Matrix<Double>(rows: tableRows, columns: inputSize)
        for (r, id) in ids.enumerated() where id >= 0 {
            for c in 0..<inputSize { summed[id, c] += denseBack.dInput[r, c] }
        }
        assertClose(back.dInput, summed, tolerance: 1e-12, label)
        for p in layer.parameters {
            assertClose(
                back.gradient[keyPath: p.keyPath], denseBack.gradient[keyPath: p.keyPath],
                tolerance: 1e-12, "\(label) \(p.name)")
        }
    }

    func testTableGradientsByFiniteDifferencesAndAgainstTheDensePass() {
        // Unsorted; sorted with mostly padding and an empty sequence; read by final states.
        let cases: [([Int], Bool, Bool)] = [
            ([4, 2, 3], true, true), ([4, 1, 1, 0], true, false), ([3, 3, 1], false, false),
        ]
        for (i, (lengths, outputGradient, concurrent)) in cases.enumerated() {
            let seed = UInt64(40 + i)
            checkGradients(
                LSTMCell<Double>.self, lengths: lengths, outputGradient: outputGradient,
                concurrent: concurrent, seed: seed)
            checkGradients(
                GRUCell<Double>.self, lengths: lengths, outputGradient: outputGradient,
                concurrent: concurrent, seed: seed)
            checkGradients(
                RNNCell<Double>.self, lengths: lengths, outputGradient: outputGradient,
                concurrent: concurrent, seed: seed)
        }
    }
}
