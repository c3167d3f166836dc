import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class AdamTests: XCTestCase {
    func testTwoStepsMatchHandComputation() {
        var layer = Linear<Double>(weight: Matrix([[1, -2]]), bias: Matrix([[0.5, 0]]))
        var gradient = layer.zeroed()
        var adam = Adam<Double>(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        // Step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so w moves by lr·g/(|g|+ε).
        gradient.weight = Matrix([[0.5, -0.1]])
        gradient.bias = Matrix([[0, 2]])
        adam.update(&layer, along: gradient)
        XCTAssertEqual(layer.weight[0, 0], 1 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-12)
        XCTAssertEqual(layer.weight[0, 1], -2 + 0.1 * 0.1 / (0.1 + 1e-8), accuracy: 1e-12)
        XCTAssertEqual(layer.bias[0, 0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(layer.bias[0, 1], -0.1 * 2 / (2 + 1e-8), accuracy: 1e-12)
        // Step 2 with g = 0.2 for W[0,0]:
        gradient.weight = Matrix([[0.2, 0]])
        let w0 = layer.weight[0, 0]
        adam.update(&layer, along: gradient)
        let m = 0.9 * (0.1 * 0.5) + 0.1 * 0.2
        let v = 0.999 * (0.001 * 0.25) + 0.001 * 0.04
        let mHat = m / (1 - 0.81)
        let vHat = v / (1 - 0.999 * 0.999)
        XCTAssertEqual(
            layer.weight[0, 0], w0 - 0.1 * mHat / (vHat.squareRoot() + 1e-8), accuracy: 1e-12)
        XCTAssertEqual(adam.stepCount(of: "W"), 2)
        XCTAssertEqual(adam.moments(of: "W")?.first[0, 0] ?? .nan, m, accuracy: 1e-15)
        XCTAssertEqual(adam.moments(of: "W")?.second[0, 0] ?? .nan, v, accuracy: 1e-15)
        XCTAssertNil(adam.moments(of: "missing"))
    }

    func testFloatVectorKernelMatchesDoubleIncludingTail() {
        // 19 elements: two full eight-lane blocks of the Float kernel and a tail of three.
        var random = SeededRandom(seed: 34)
        let start: Matrix<Double> = randomMatrix(rows: 1, columns: 19, using: &random)
        var double = start
        var float: Matrix<Float> = start.converted()
        var adamD = Adam<Double>(learningRate: 0.01, weightDecay: 0.1)
        var adamF = Adam<Float>(learningRate: 0.01, weightDecay: 0.1)
        for _ in 0..<5 {
            let g: Matrix<Double> = randomMatrix(rows: 1, columns: 19, using: &random)
            adamD.update(&double, along: g, name: "w")
            adamF.update(&float, along: g.converted(), name: "w")
        }
        assertClose(float.converted(to: Double.self), double, tolerance: 1e-6)
        XCTAssertGreaterThan((double - start).maxMagnitude, 0.02)
    }

    func testDecoupledWeightDecayShrinksWeightsWithZeroGradient() {
        var layer = Linear<Double>(weight: Matrix([[2]]), bias: Matrix([[0]]))
        var adam = Adam<Double>(learningRate: 0.1, weightDecay: 0.5)
        adam.update(&layer, along: layer.zeroed())
        XCTAssertEqual(layer.weight[0, 0], 2 * (1 - 0.05), accuracy: 1e-12)
    }

    func testLinearRegressionConverges() {
        var random = SeededRandom(seed: 31)
        let x: Matrix<Float> = randomMatrix(rows: 64, columns: 3, using: &random)
        let trueW = Matrix<Float>([[1.5], [-2], [0.5]])
        var y = x * trueW
        y.addRowVector(Matrix([[0.7]]))
        var model = Linear<Float>(inputSize: 3, outputSize: 1, random: &random)
        var adam = Adam<Float>(learningRate: 0.05)
        var loss: Float = .infinity
        for _ in 0..<600 {
            let (prediction, cache) = model.forward(x)
            let residual = prediction - y
            loss = residual.squaredNorm / 64
            let (_, gradient) = model.backward((2 / 64) * residual, cache: cache)
            adam.update(&model, along: gradient)
        }
        XCTAssertLessThan(loss, 1e-5)
        assertClose(model.weight, trueW, tolerance: 1e-2)
        XCTAssertEqual(model.bias[0, 0], 0.7, accuracy: 1e-2)
    }

    func testLogisticClassificationConverges() {
        // Three linearly separable classes in the plane.
        var random = SeededRandom(seed: 32)
        let centers: [[Float]] = [[3, 0], [-3, 2], [0, -3]]
        var rows: [[Float]] = []
        var targets: [Int] = []
        for i in 0..<90 {
            let c = i % 3
            rows.append([
                centers[c][0] + Float(random.normal()) * 0.5,
                centers[c][1] + Float(random.normal()) * 0.5,
            ])
            targets.append(c)
        }
        let x = Matrix(rows)
        var model = Linear<Float>(inputSize: 2, outputSize: 3, random: &random)
        var adam = Adam<Float>(learningRate: 0.1)
        let criterion = SoftmaxCrossEntropy<Float>()
        var first: Float = 0
        var last: Float = 0
        for epoch in 0..<200 {
            let (logits, cache) = model.forward(x)
            let out = criterion(logits: logits, targets: targets)
            if epoch == 0 { first = out.loss }
            last = out.loss
            adam.update(&model, along: model.backward(out.gradient, cache: cache).gradient)
        }
        XCTAssertLessThan(last, 0.05)
        XCTAssertLessThan(last, first / 10)
        let probabilities = criterion(logits: model(x), targets: targets).probabilities
        for r in 0..<90 {
            let row = probabilities.row(r)
            XCTAssertEqual(row.firstIndex(of: row.max()!), targets[r], "row \(r)")
        }
    }

    func testSparseUpdateTouchesOnlyGivenRowsAndMatchesDenseOnThem() {
        var random = SeededRandom(seed: 33)
        let table: Matrix<Double> = randomMatrix(rows: 6, columns: 3, using: &random)
        let rowsGradient: Matrix<Double> = randomMatrix(rows: 2, columns: 3, using: &random)
        let sparse = SparseRowGradient(ids: [4, 1], gradients: rowsGradient, rowCount: 6)
        var sparseTable = table
        var sparseAdam = Adam<Double>(learningRate: 0.01)
        sparseAdam.update(&sparseTable, alongRows: sparse, name: "E")
        var denseTable = table
        var denseAdam = Adam<Double>(learningRate: 0.01)
        denseAdam.update(&denseTable, along: sparse.dense(), name: "E")
        assertClose(sparseTable, denseTable, tolerance: 1e-12)
        for row in [0, 2, 3, 5] { XCTAssertEqual(sparseTable.row(row), table.row(row)) }
        XCTAssertNotEqual(sparseTable.row(1), table.row(1))
    }
}
