import LanguageModel
import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import XCTest

/// Networks that keep layers in arrays reach their parameters in place, in the order of
/// `parameters`, for the optimizer and the gradient arithmetic.
final class NetworkParameterAccessTests: XCTestCase {
    func testCharacterLanguageNetworkChangesItsLayersInPlace() {
        var random = SeededRandom(seed: 5)
        assertModifiesParametersInPlace(
            CharacterLanguageNetwork<LSTMCell<Float>>(
                symbolCount: 6, embeddingDimension: 3, hiddenSize: 4, layerCount: 2,
                random: &random))
    }

    func testSentenceBoundaryNetworkChangesItsLayersInPlace() {
        var random = SeededRandom(seed: 6)
        assertModifiesParametersInPlace(
            SentenceBoundaryNetwork<Float>(
                wordCount: 5, wordDimension: 3, shapeCount: 4, shapeDimension: 2,
                featureCount: 4, hiddenSize: 3, layers: 3, random: &random))
    }
}
