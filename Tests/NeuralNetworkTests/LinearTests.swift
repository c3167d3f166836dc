import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class LinearTests: XCTestCase {
    func testForwardComputesXTimesWPlusB() {
        let layer = Linear<Double>(
            weight: Matrix([[1, 2, 3], [4, 5, 6]]), bias: Matrix([[0.5, -1, 2]]))
        let x = Matrix<Double>([[1, 1], [2, -1]])
        let (y, _) = layer.forward(x)
        assertClose(y, Matrix([[5.5, 6, 11], [-1.5, -2, 2]]), tolerance: 1e-12)
        assertClose(layer(x), y, tolerance: 0)
    }

    func testGradientsMatchCentralDifferencesInDouble() {
        var random = SeededRandom(seed: 11)
        let layer = Linear<Double>(inputSize: 5, outputSize: 4, random: &random)
        var check = layer
        check.bias = randomMatrix(rows: 1, columns: 4, using: &random)
        let x: Matrix<Double> = randomMatrix(rows: 3, columns: 5, using: &random)
        let r: Matrix<Double> = randomMatrix(rows: 3, columns: 4, using: &random)
        let (_, cache) = check.forward(x)
        let (dx, gradient) = check.backward(r, cache: cache)
        let checker = GradientCheck()
        checker.assertGradient(of: x, analytic: dx, named: "input") { dotLoss(check($0), r) }
        checker.assertParameterGradients(of: check, gradient: gradient) { dotLoss($0(x), r) }
    }

    func testFloatGradientsAgreeWithDouble() {
        var random = SeededRandom(seed: 12)
        let double = Linear<Double>(inputSize: 6, outputSize: 3, random: &random)
        let float = Linear<Float>(
            weight: double.weight.converted(), bias: double.bias.converted())
        let x: Matrix<Double> = randomMatrix(rows: 4, columns: 6, using: &random)
        let r: Matrix<Double> = randomMatrix(rows: 4, columns: 3, using: &random)
        let (dxD, gD) = double.backward(r, cache: double.forward(x).cache)
        let (dxF, gF) = float.backward(r.converted(), cache: float.forward(x.converted()).cache)
        assertClose(dxF.converted(to: Double.self), dxD, tolerance: 1e-5)
        assertClose(gF.weight.converted(to: Double.self), gD.weight, tolerance: 1e-5)
        assertClose(gF.bias.converted(to: Double.self), gD.bias, tolerance: 1e-5)
        // A central difference in Float, with a step and tolerance Float can afford.
        let xF: Matrix<Float> = x.converted()
        let rF: Matrix<Float> = r.converted()
        let step: Float = 1e-2
        for i in 0..<float.weight.count {
            var plus = float
            plus.weight.scalars[i] += step
            var minus = float
            minus.weight.scalars[i] -= step
            let numeric = (dotLoss(plus(xF), rF) - dotLoss(minus(xF), rF)) / Double(2 * step)
            XCTAssertEqual(Double(gF.weight.scalars[i]), numeric, accuracy: 1e-3, "W[\(i)]")
        }
    }

    func testAccumulatingBackwardAddsToGradient() {
        var random = SeededRandom(seed: 13)
        let layer = Linear<Double>(inputSize: 3, outputSize: 2, random: &random)
        let x: Matrix<Double> = randomMatrix(rows: 4, columns: 3, using: &random)
        let r: Matrix<Double> = randomMatrix(rows: 4, columns: 2, using: &random)
        let cache = layer.forward(x).cache
        let (_, once) = layer.backward(r, cache: cache)
        var twice = layer.zeroed()
        _ = layer.backward(r, cache: cache, accumulatingInto: &twice)
        _ = layer.backward(r, cache: cache, accumulatingInto: &twice)
        assertClose(twice.weight, 2 * once.weight, tolerance: 1e-12)
        assertClose(twice.bias, 2 * once.bias, tolerance: 1e-12)
    }

    func testIDForwardEqualsOneHotTimesWeight() {
        var random = SeededRandom(seed: 14)
        var layer = Linear<Double>(inputSize: 7, outputSize: 5, random: &random)
        layer.bias = randomMatrix(rows: 1, columns: 5, using: &random)
        let ids = [3, 0, 6, 3, 1]
        let oneHot: Matrix<Double> = OneHot.encode(ids, vocabularySize: 7)
        XCTAssertEqual(oneHot.scalars.reduce(0, +), 5)
        XCTAssertEqual(oneHot[2, 6], 1)
        let (dense, denseCache) = layer.forward(oneHot)
        let (gathered, idCache) = layer.forward(ids: ids)
        assertClose(gathered, dense, tolerance: 1e-12)

        let r: Matrix<Double> = randomMatrix(rows: 5, columns: 5, using: &random)
        let (_, denseGradient) = layer.backward(r, cache: denseCache)
        let idGradient = layer.backward(r, cache: idCache)
        assertClose(idGradient.weight, denseGradient.weight, tolerance: 1e-12)
        assertClose(idGradient.bias, denseGradient.bias, tolerance: 1e-12)
        GradientCheck().assertParameterGradients(of: layer, gradient: idGradient) {
            dotLoss($0.forward(ids: ids).output, r)
        }
    }

    func testSameSeedGivesIdenticalWeights() {
        var a = SeededRandom(seed: 99)
        var b = SeededRandom(seed: 99)
        var c = SeededRandom(seed: 100)
        let first = Linear<Float>(inputSize: 8, outputSize: 6, random: &a)
        let second = Linear<Float>(inputSize: 8, outputSize: 6, random: &b)
        let third = Linear<Float>(inputSize: 8, outputSize: 6, random: &c)
        XCTAssertEqual(first.weight, second.weight)
        XCTAssertEqual(first.bias, second.bias)
        XCTAssertNotEqual(first.weight, third.weight)
        XCTAssertEqual(first.parameters.map(\.name), ["W", "b"])
        XCTAssertEqual(first.parameterCount, 8 * 6 + 6)
        let limit = Float((6.0 / 14.0).squareRoot())
        XCTAssertLessThanOrEqual(first.weight.maxMagnitude, limit)
    }
}
