import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class SGDTests: XCTestCase {
    func testPlainStepIsLearningRateTimesGradient() {
        var layer = Linear<Double>(weight: Matrix([[1, 2]]), bias: Matrix([[3, 4]]))
        var gradient = layer.zeroed()
        gradient.weight = Matrix([[1, -1]])
        gradient.bias = Matrix([[0.5, 0]])
        var sgd = SGD<Double>(learningRate: 0.1)
        sgd.update(&layer, along: gradient)
        assertClose(layer.weight, Matrix([[0.9, 2.1]]), tolerance: 1e-14)
        assertClose(layer.bias, Matrix([[2.95, 4]]), tolerance: 1e-14)
        XCTAssertNil(sgd.velocity(of: "W"))
    }

    func testMomentumAndWeightDecayMatchHandComputation() {
        var layer = Linear<Double>(weight: Matrix([[1]]), bias: Matrix([[0]]))
        var gradient = layer.zeroed()
        var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        gradient.weight = Matrix([[2]])
        sgd.update(&layer, along: gradient)
        // u = 2 + 0.01·1 = 2.01; w = 1 − 0.201 = 0.799
        XCTAssertEqual(layer.weight[0, 0], 0.799, accuracy: 1e-14)
        gradient.weight = Matrix([[-1]])
        sgd.update(&layer, along: gradient)
        // u = 0.9·2.01 − 1 + 0.01·0.799 = 0.81699; w = 0.799 − 0.081699
        XCTAssertEqual(layer.weight[0, 0], 0.799 - 0.081699, accuracy: 1e-14)
        XCTAssertEqual(sgd.velocity(of: "W")?[0, 0] ?? .nan, 0.81699, accuracy: 1e-14)
    }

    func testQuadraticConvergesWithAndWithoutMomentum() {
        // Minimise ½ Σ a_i (w_i − c_i)², gradient a ⊙ (w − c).
        let a = Matrix<Double>([[1, 10, 0.5]])
        let c = Matrix<Double>([[3, -1, 2]])
        for momentum in [0.0, 0.9] {
            var w = Matrix<Double>(rows: 1, columns: 3)
            var sgd = SGD<Double>(learningRate: 0.05, momentum: momentum)
            for _ in 0..<2000 { sgd.update(&w, along: a.hadamard(w - c), name: "w") }
            assertClose(w, c, tolerance: 1e-6, "momentum \(momentum)")
        }
    }

    func testSparseMomentumMatchesDenseOnTouchedRows() {
        var random = SeededRandom(seed: 41)
        let table: Matrix<Float> = randomMatrix(rows: 5, columns: 2, using: &random)
        let g: Matrix<Float> = randomMatrix(rows: 3, columns: 2, using: &random)
        let sparse = SparseRowGradient(ids: [2, 0, 2], gradients: g, rowCount: 5)
        var s = table
        var d = table
        var sparseSGD = SGD<Float>(learningRate: 0.1, momentum: 0.5)
        var denseSGD = SGD<Float>(learningRate: 0.1, momentum: 0.5)
        for _ in 0..<3 {
            sparseSGD.update(&s, alongRows: sparse, name: "E")
            denseSGD.update(&d, along: sparse.dense(), name: "E")
        }
        assertClose(s, d, tolerance: 1e-6)
        XCTAssertEqual(s.row(4), table.row(4))
    }
}
