import LanguageModel
import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// Scoring and sampling run the network without its cache (`keepsCache: false`), which
/// keeps the packed weights between calls: the logits and states are those of the pass
/// that keeps the cache, to the bit, and a text read one character a call, its states
/// carried, gives what one call over the whole text gives.
final class CharacterNetworkInferenceTests: XCTestCase {
    func network(seed: UInt64) -> CharacterLanguageNetwork<LSTMCell<Float>> {
        var random = SeededRandom(seed: seed)
        return CharacterLanguageNetwork(
            symbolCount: 13, embeddingDimension: 5, hiddenSize: 9, layerCount: 2,
            random: &random)
    }

    func testThePassWithoutCacheGivesTheLogitsAndStatesOfThePassWithIt() {
        let net = network(seed: 61)
        let ids = [1, 4, 7, 2, 12, 0, 3, 3, 9, 5, 6, 11]
        for streams in [1, 2, 3] {
            let kept = net.forward(ids: ids, streams: streams)
            let inference = net.forward(ids: ids, streams: streams, keepsCache: false)
            XCTAssertEqual(inference.logits, kept.logits, "\(streams) streams")
            XCTAssertEqual(inference.states, kept.states, "\(streams) streams")
        }
    }

    func testOneCharacterACallGivesTheWholePass() {
        let net = network(seed: 62)
        let ids = [3, 8, 8, 1, 0, 12, 5, 7]
        let whole = net.forward(ids: ids, streams: 1, keepsCache: false)
        var states: [RecurrentState<Float>]? = nil
        for (t, id) in ids.enumerated() {
            let step = net.forward(ids: [id], streams: 1, states: states, keepsCache: false)
            XCTAssertEqual(
                step.logits.scalars, Array(whole.logits.scalars[(t * 13)..<((t + 1) * 13)]),
                "character \(t)")
            states = step.states
        }
        XCTAssertEqual(states, whole.states)
    }
}
