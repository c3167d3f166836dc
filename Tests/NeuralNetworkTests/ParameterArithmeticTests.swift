import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class ParameterArithmeticTests: XCTestCase {
    func testAddAndScaleEveryParameter() {
        var sum = Linear<Double>(weight: Matrix([[1, 2]]), bias: Matrix([[3, 4]]))
        let other = Linear<Double>(weight: Matrix([[10, 20]]), bias: Matrix([[30, 40]]))
        sum.addParameters(of: other, scaledBy: 0.5)
        XCTAssertEqual(sum.weight, Matrix([[6, 12]]))
        XCTAssertEqual(sum.bias, Matrix([[18, 24]]))
        sum.scaleParameters(by: 2)
        XCTAssertEqual(sum.weight, Matrix([[12, 24]]))
        XCTAssertEqual(sum.bias, Matrix([[36, 48]]))
        var crf = CRF<Float>(
            transitions: Matrix([[1]]), start: Matrix([[2]]), end: Matrix([[3]]))
        crf.addParameters(of: crf)
        XCTAssertEqual([crf.transitions[0, 0], crf.start[0, 0], crf.end[0, 0]], [2, 4, 6])
    }
}

final class ParameterAccessTests: XCTestCase {
    func testStackedLayersAreChangedInPlaceInParameterOrder() {
        var random = SeededRandom(seed: 3)
        assertModifiesParametersInPlace(
            StackedBidirectional<LSTMCell<Float>>(
                inputSize: 3, hiddenSize: 2, layerCount: 3, random: &random))
    }

    func testLayersWithoutArraysAreChangedInPlaceInParameterOrder() {
        var random = SeededRandom(seed: 4)
        assertModifiesParametersInPlace(
            Bidirectional<GRUCell<Double>>(inputSize: 2, hiddenSize: 3, random: &random))
        assertModifiesParametersInPlace(Linear<Float>(inputSize: 2, outputSize: 3, random: &random))
        assertModifiesParametersInPlace(
            Embedding<Float>(vocabularySize: 4, dimension: 3, random: &random))
        assertModifiesParametersInPlace(CRF<Double>(tagCount: 3, random: &random))
        assertModifiesParametersInPlace(
            Recurrent<LSTMCell<Float>>(inputSize: 2, hiddenSize: 3, random: &random))
        assertModifiesParametersInPlace(
            LSTMCell<Float>(inputSize: 2, hiddenSize: 3, random: &random))
    }

    func testGradientsAreNamedAsTheirParameters() {
        var random = SeededRandom(seed: 5)
        let layer = StackedBidirectional<LSTMCell<Float>>(
            inputSize: 3, hiddenSize: 2, layerCount: 2, random: &random)
        var gradients = ParameterGradients<Float>()
        gradients.add(layer, prefix: "encoder")
        XCTAssertEqual(gradients.dense.count, layer.parameters.count)
        for p in layer.parameters {
            XCTAssertEqual(gradients.dense["encoder." + p.name], layer[keyPath: p.keyPath], p.name)
        }
        let own = ParameterGradients(CRF<Float>(tagCount: 2, random: &random))
        XCTAssertEqual(own.dense.keys.sorted(), ["end", "start", "transitions"])
    }
}
