import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import XCTest

/// Central-difference gradient checks in `Double` of every layer of the token and sentence
/// classifiers: word, character and shape embeddings, the character BiLSTM, the encoder with
/// each cell, the output layer, the CRF and each pooling.
final class TokenClassifierNetworkTests: XCTestCase {
    static let sentences = [
        ["The", "cat", "sat", "."], ["Dogs", "bark"], ["A", "cat", "naps", "here", "."],
    ]

    static func tinyConfiguration(cell: CellKind, crf: Bool, layers: Int = 1)
        -> NetworkConfiguration
    {
        var c = NetworkConfiguration()
        c.embedder.wordDimension = 3
        c.embedder.characterDimension = 2
        c.embedder.characterHidden = 2
        c.embedder.shapeDimension = 2
        c.cell = cell
        c.layers = layers
        c.hidden = 3
        c.dropout = 0
        c.crf = crf
        return c
    }

    static func encoder(_ configuration: NetworkConfiguration) -> InputEncoder {
        InputEncoder(training: sentences, configuration: configuration.embedder)
    }

    func tokenCase(cell: CellKind, crf: Bool, layers: Int = 1, only prefix: String? = nil) {
        let configuration = Self.tinyConfiguration(cell: cell, crf: crf, layers: layers)
        let encoder = Self.encoder(configuration)
        var random = SeededRandom(seed: 7)
        let network = TokenClassifierNetwork<Double>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count,
            tagCount: 3, random: &random)
        let batch = Self.sentences.sorted { $0.count > $1.count }
        let input = encoder.encode(batch)
        let targets = batch.map { s in s.indices.map { ($0 * 7 + s.count) % 3 } }
        checkGradients(network, input: input, targets: targets, only: prefix)
    }

    func testCharacterEncoderPathOfTheWordEmbedder() {
        tokenCase(cell: .lstm, crf: false, only: "embedder.character")
    }

    func testWholeTokenClassifierLSTMSoftmax() {
        tokenCase(cell: .lstm, crf: false)
    }

    func testWholeTokenClassifierGRUCRFTwoLayers() {
        tokenCase(cell: .gru, crf: true, layers: 2)
    }

    func testWholeTokenClassifierRNNCRF() {
        tokenCase(cell: .rnn, crf: true)
    }

    func testSentenceClassifierEveryPooling() {
        for pooling in PoolingKind.allCases {
            var configuration = Self.tinyConfiguration(cell: .lstm, crf: false)
            configuration.pooling = pooling
            let encoder = Self.encoder(configuration)
            var random = SeededRandom(seed: 3)
            let network = SentenceClassifierNetwork<Double>(
                configuration: configuration, wordCount: encoder.words.count,
                characterCount: encoder.characters.count, labelCount: 2, random: &random)
            let batch = Self.sentences.sorted { $0.count > $1.count }
            checkGradients(network, input: encoder.encode(batch), targets: [0, 1, 1])
        }
    }

    func testPaddingDoesNotChangeASentence() {
        let configuration = Self.tinyConfiguration(cell: .lstm, crf: true)
        let encoder = Self.encoder(configuration)
        var random = SeededRandom(seed: 5)
        let network = TokenClassifierNetwork<Double>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count,
            tagCount: 3, random: &random)
        let batch = Self.sentences.sorted { $0.count > $1.count }
        let together = network.predict(encoder.encode(batch))
        for (k, sentence) in batch.enumerated() {
            let alone = network.predict(encoder.encode([sentence]))[0]
            XCTAssertEqual(alone.tags, together[k].tags)
            for (a, b) in zip(alone.probabilities, together[k].probabilities) {
                XCTAssertEqual(a, b, accuracy: 1e-12)
            }
        }
    }
}

extension XCTestCase {
    /// Checks every parameter of `network` against central differences of its loss.
    func checkGradients<N: TrainableNetwork>(
        _ network: N, input: EmbedderInput, targets: [N.Target], tolerance: Double = 1e-5,
        only prefix: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) where N.Scalar == Double {
        var random = SeededRandom(seed: 1)
        let (_, gradients) = network.lossAndGradients(
            input, targets: targets, training: false, random: &random)
        let checker = GradientCheck(step: 1e-5, tolerance: tolerance, floor: 1e-4)
        var checked = 0
        for (name, value) in network.namedParameters
        where prefix.map({ name.hasPrefix($0) }) ?? true {
            checked += 1
            let analytic = gradients.denseGradient(
                of: name, rows: value.rows, columns: value.columns)
            checker.assertGradient(
                of: value, analytic: analytic, named: name,
                loss: { probe in
                    var copy = network
                    copy.visitParameters { n, m in if n == name { m = probe } }
                    var r = SeededRandom(seed: 1)
                    return copy.lossAndGradients(
                        input, targets: targets, training: false, random: &r
                    ).loss
                }, file: file, line: line)
        }
        XCTAssertGreaterThan(checked, 0, "no parameter matched", file: file, line: line)
    }
}
