import Foundation
import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// `Σ a ⊙ w`: a loss whose gradient with respect to `a` is `w`.
func weightedSum(_ a: Matrix<Double>, _ w: Matrix<Double>) -> Double {
    precondition(a.rows == w.rows && a.columns == w.columns)
    return zip(a.scalars, w.scalars).reduce(0) { $0 + $1.0 * $1.1 }
}

/// The largest relative gradient error seen by `checkGradient`, printed by each test so
/// the figure can be reported.
nonisolated(unsafe) var largestRecurrentGradientError = 0.0

/// Central-difference check of one gradient with the standard tolerance 1e-6; records
/// the error.
func checkGradient(
    _ name: String, of value: Matrix<Double>, analytic: Matrix<Double>,
    loss: (Matrix<Double>) -> Double, file: StaticString = #filePath, line: UInt = #line
) {
    let check = GradientCheck()
    let (error, index) = check.maxRelativeError(of: value, analytic: analytic, loss: loss)
    largestRecurrentGradientError = max(largestRecurrentGradientError, error)
    XCTAssertLessThanOrEqual(
        error, 1e-6,
        "\(name) \(value.shapeDescription): relative error \(error) at element \(index)",
        file: file, line: line)
}

/// Central-difference check of every parameter of `layer`.
func checkParameters<Layer: Parameterized>(
    of layer: Layer, gradient: Layer, label: String, loss: (Layer) -> Double,
    file: StaticString = #filePath, line: UInt = #line
) where Layer.Scalar == Double {
    for p in layer.parameters {
        checkGradient(
            "\(label) \(p.name)", of: layer[keyPath: p.keyPath],
            analytic: gradient[keyPath: p.keyPath],
            loss: { value in
                var probe = layer
                probe[keyPath: p.keyPath] = value
                return loss(probe)
            }, file: file, line: line)
    }
}

final class RecurrentCellTests: XCTestCase {
    func checkCell<Cell: RecurrentCell>(_: Cell.Type, seed: UInt64) where Cell.Scalar == Double {
        var random = SeededRandom(seed: seed)
        let cell = Cell(inputSize: 4, hiddenSize: 5, random: &random)
        // Nonzero bias so that every block matters.
        var biased = cell
        biased.b = randomMatrix(rows: 1, columns: cell.b.columns, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: 3, columns: 4, using: &random)
        let h0: Matrix<Double> = randomMatrix(rows: 3, columns: 5, using: &random)
        let c0: Matrix<Double>? =
            Cell.hasCellState ? randomMatrix(rows: 3, columns: 5, using: &random) : nil
        let wh: Matrix<Double> = randomMatrix(rows: 3, columns: 5, using: &random)
        let wc: Matrix<Double> = randomMatrix(rows: 3, columns: 5, using: &random)
        func loss(_ cell: Cell, _ x: Matrix<Double>, _ h: Matrix<Double>, _ c: Matrix<Double>?)
            -> Double
        {
            let s = cell.forward(x, state: RecurrentState(hidden: h, cell: c)).state
            return weightedSum(s.hidden, wh) + (s.cell.map { weightedSum($0, wc) } ?? 0)
        }
        let (_, cache) = biased.forward(x, state: RecurrentState(hidden: h0, cell: c0))
        let back = biased.backward(
            RecurrentState(hidden: wh, cell: Cell.hasCellState ? wc : nil), cache: cache)
        let name = "\(Cell.self)"
        checkGradient("\(name) x", of: x, analytic: back.dInput) { loss(biased, $0, h0, c0) }
        checkGradient("\(name) h0", of: h0, analytic: back.dState.hidden) {
            loss(biased, x, $0, c0)
        }
        if let c0 {
            checkGradient("\(name) c0", of: c0, analytic: back.dState.cell!) {
                loss(biased, x, h0, $0)
            }
        }
        checkParameters(of: biased, gradient: back.gradient, label: name) { loss($0, x, h0, c0) }
    }

    func testRNNCellGradient() { checkCell(RNNCell<Double>.self, seed: 1) }
    func testLSTMCellGradient() { checkCell(LSTMCell<Double>.self, seed: 2) }
    func testGRUCellGradient() { checkCell(GRUCell<Double>.self, seed: 3) }

    override class func tearDown() {
        print("largest relative gradient error so far: \(largestRecurrentGradientError)")
    }

    /// The LSTM step matches its documented formula, gate order `i f g o`.
    func testLSTMStepMatchesFormula() {
        var random = SeededRandom(seed: 4)
        var cell = LSTMCell<Double>(inputSize: 3, hiddenSize: 2, random: &random)
        cell.b = randomMatrix(rows: 1, columns: 8, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: 2, columns: 3, using: &random)
        let h: Matrix<Double> = randomMatrix(rows: 2, columns: 2, using: &random)
        let c: Matrix<Double> = randomMatrix(rows: 2, columns: 2, using: &random)
        var z = x * cell.Wx + h * cell.Wh
        z.addRowVector(cell.b)
        let sigma = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
        let state = cell.forward(x, state: RecurrentState(hidden: h, cell: c)).state
        for r in 0..<2 {
            for j in 0..<2 {
                let (i, f, g, o) = (
                    sigma(z[r, j]), sigma(z[r, 2 + j]), Foundation.tanh(z[r, 4 + j]),
                    sigma(z[r, 6 + j])
                )
                let cNew = f * c[r, j] + i * g
                XCTAssertEqual(state.cell![r, j], cNew, accuracy: 1e-14)
                XCTAssertEqual(state.hidden[r, j], o * Foundation.tanh(cNew), accuracy: 1e-14)
            }
        }
    }

    /// The GRU step matches its documented formula: gate order `r u n`, reset after `Wh`.
    func testGRUStepMatchesFormula() {
        var random = SeededRandom(seed: 5)
        var cell = GRUCell<Double>(inputSize: 3, hiddenSize: 2, random: &random)
        cell.b = randomMatrix(rows: 1, columns: 6, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: 2, columns: 3, using: &random)
        let h: Matrix<Double> = randomMatrix(rows: 2, columns: 2, using: &random)
        var p = x * cell.Wx
        p.addRowVector(cell.b)
        let q = h * cell.Wh
        let sigma = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
        let state = cell.forward(x, state: RecurrentState(hidden: h)).state
        XCTAssertNil(state.cell)
        for r in 0..<2 {
            for j in 0..<2 {
                let reset = sigma(p[r, j] + q[r, j])
                let update = sigma(p[r, 2 + j] + q[r, 2 + j])
                let n = Foundation.tanh(p[r, 4 + j] + reset * q[r, 4 + j])
                XCTAssertEqual(
                    state.hidden[r, j], (1 - update) * n + update * h[r, j], accuracy: 1e-14)
            }
        }
    }

    /// The Float SIMD kernels agree with the Double ones, including a hidden size that
    /// is not a multiple of eight.
    func testFloatKernelsMatchDouble() {
        func compare<C32: RecurrentCell, C64: RecurrentCell>(_: C32.Type, _: C64.Type)
        where C32.Scalar == Float, C64.Scalar == Double {
            var random = SeededRandom(seed: 6)
            let cell = C64(inputSize: 5, hiddenSize: 11, random: &random)
            let x: Matrix<Double> = randomMatrix(rows: 3, columns: 5, using: &random)
            let h: Matrix<Double> = randomMatrix(rows: 3, columns: 11, using: &random)
            let c: Matrix<Double>? =
                C64.hasCellState ? randomMatrix(rows: 3, columns: 11, using: &random) : nil
            let w: Matrix<Double> = randomMatrix(rows: 3, columns: 11, using: &random)
            let single = C32(
                inputSize: 5, hiddenSize: 11, random: &random)
            var converted = single
            converted.Wx = cell.Wx.converted()
            converted.Wh = cell.Wh.converted()
            converted.b = cell.b.converted()
            let s64 = cell.forward(x, state: RecurrentState(hidden: h, cell: c))
            let s32 = converted.forward(
                x.converted(), state: RecurrentState(hidden: h.converted(), cell: c?.converted()))
            assertClose(
                s32.state.hidden.converted(to: Double.self), s64.state.hidden, tolerance: 1e-5)
            let b64 = cell.backward(
                RecurrentState(hidden: w, cell: c.map { _ in w }), cache: s64.cache)
            let b32 = converted.backward(
                RecurrentState(hidden: w.converted(), cell: c.map { _ in w.converted() }),
                cache: s32.cache)
            assertClose(b32.dInput.converted(to: Double.self), b64.dInput, tolerance: 1e-5)
            assertClose(
                b32.gradient.Wh.converted(to: Double.self), b64.gradient.Wh, tolerance: 1e-5)
        }
        compare(LSTMCell<Float>.self, LSTMCell<Double>.self)
        compare(GRUCell<Float>.self, GRUCell<Double>.self)
        compare(RNNCell<Float>.self, RNNCell<Double>.self)
    }

    /// The same seed gives identical weights; another seed does not.
    func testSameSeedSameWeights() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        var c = SeededRandom(seed: 43)
        let x = StackedBidirectional<LSTMCell<Float>>(
            inputSize: 6, hiddenSize: 4, layerCount: 2, random: &a)
        let y = StackedBidirectional<LSTMCell<Float>>(
            inputSize: 6, hiddenSize: 4, layerCount: 2, random: &b)
        let z = StackedBidirectional<LSTMCell<Float>>(
            inputSize: 6, hiddenSize: 4, layerCount: 2, random: &c)
        for p in x.parameters {
            XCTAssertEqual(x[keyPath: p.keyPath], y[keyPath: p.keyPath], p.name)
        }
        XCTAssertNotEqual(x.layers[0].forwardCell.Wx, z.layers[0].forwardCell.Wx)
        XCTAssertEqual(
            x.parameters.map(\.name).prefix(3),
            ["layers.0.forward.Wx", "layers.0.forward.Wh", "layers.0.forward.b"])
        for cellType in [GRUCell<Float>.self, RNNCell<Float>.self] as [any RecurrentCell.Type] {
            var r1 = SeededRandom(seed: 9)
            var r2 = SeededRandom(seed: 9)
            let c1 = cellType.init(inputSize: 3, hiddenSize: 4, random: &r1)
            let c2 = cellType.init(inputSize: 3, hiddenSize: 4, random: &r2)
            XCTAssertEqual(String(describing: c1), String(describing: c2))
        }
    }

    /// LSTM initialisation: forget bias 1, others 0; each `Wh` gate block orthogonal.
    func testLSTMInitialisation() {
        var random = SeededRandom(seed: 10)
        let cell = LSTMCell<Double>(inputSize: 3, hiddenSize: 4, random: &random)
        XCTAssertEqual(cell.b.scalars, [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(cell.Wx.shapeDescription, "[3, 16]")
        XCTAssertEqual(cell.Wh.shapeDescription, "[4, 16]")
        for gate in 0..<4 {
            for i in 0..<4 {
                for j in 0..<4 {
                    var dot = 0.0
                    for k in 0..<4 { dot += cell.Wh[i, gate * 4 + k] * cell.Wh[j, gate * 4 + k] }
                    XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-12)
                }
            }
        }
    }
}
