import Corpora
import Evaluation
import Foundation
import LinearAlgebra
import NeuralNetwork
import Tagging
import Text
import Tokenization
import XCTest

/// Running text in paragraphs (separated by blank lines): the neural splitter sees each
/// paragraph's edges like the text's own, and cuts such a text at its own thresholds.
final class ParagraphSplittingTests: XCTestCase {
    /// A splitter with a small random network (its probabilities are not looked at).
    func splitter(_ configuration: SentenceBoundaryConfiguration) -> NeuralSentenceSplitter {
        var random = SeededRandom(seed: 5)
        let network = SentenceBoundaryNetwork<Float>(
            wordCount: 3, wordDimension: 2, shapeCount: 2, shapeDimension: 2,
            featureCount: BoundaryFeatures.count, hiddenSize: 3, random: &random)
        var configuration = configuration
        (configuration.wordDimension, configuration.shapeDimension) = (2, 2)
        configuration.hiddenSize = 3
        return NeuralSentenceSplitter(
            configuration: configuration, networks: [network], words: ["<unk>", "hi", "thanks"],
            shapes: ["", "Xx"], abbreviations: [], perceptronWeights: [:])
    }

    func testParagraphEndsAreTheTokensBeforeABlankLine() {
        let text = "Hi John\n\nThanks Mary\n \t\nBye now\nsee you"
        let tokens = Tokenizer.english.tokenize(text)
        XCTAssertEqual(
            tokens.map(\.text), ["Hi", "John", "Thanks", "Mary", "Bye", "now", "see", "you"])
        XCTAssertEqual(NeuralSentenceSplitter.paragraphEnds(tokens, in: text), [1, 3])
        let single = "Hi John\nThanks Mary"
        XCTAssertEqual(
            NeuralSentenceSplitter.paragraphEnds(Tokenizer.english.tokenize(single), in: single), []
        )
        XCTAssertEqual(NeuralSentenceSplitter.paragraphEnds([], in: ""), [])
    }

    /// The first and last tokens of a paragraph get the text-start and text-end features,
    /// as the first and last tokens of the same paragraph alone do; nothing else changes.
    func testParagraphEdgesAreMarkedLikeATextsEdges() {
        let tokenizer = Tokenizer.english
        let paragraphs = ["Hi John", "Thanks for the help", "Mary"]
        let text = paragraphs.joined(separator: "\n\n")
        let tokens = tokenizer.tokenize(text)
        let plain = BoundaryFeatures.matrix(tokens, abbreviations: [], genre: "0")
        var marked = plain
        BoundaryFeatures.markParagraphEdges(
            &marked, paragraphEnds: NeuralSentenceSplitter.paragraphEnds(tokens, in: text))
        let n = BoundaryFeatures.count
        var row = 0
        for paragraph in paragraphs {
            let alone = tokenizer.tokenize(paragraph)
            let features = BoundaryFeatures.matrix(alone, abbreviations: [], genre: "0")
            for i in alone.indices {
                XCTAssertEqual(
                    Array(marked[(row + i) * n..<(row + i + 1) * n]),
                    Array(features[i * n..<(i + 1) * n]), "\(paragraph), token \(i)")
            }
            row += alone.count
        }
        let changed = (0..<plain.count).filter { plain[$0] != marked[$0] }
        XCTAssertEqual(
            changed,
            [
                1 * n + BoundaryFeatures.textEnd, 2 * n + BoundaryFeatures.textStart,
                5 * n + BoundaryFeatures.textEnd, 6 * n + BoundaryFeatures.textStart,
            ])
    }

    /// A text with paragraphs is cut at the paragraph thresholds, any other at the usual ones;
    /// without paragraph thresholds both are cut alike.
    func testATextWithParagraphsHasItsOwnThresholds() {
        var configuration = SentenceBoundaryConfiguration()
        configuration.threshold = 0.5
        configuration.unpunctuatedThreshold = 0.5
        let usual = splitter(configuration)
        configuration.paragraphThreshold = 0.6
        configuration.paragraphUnpunctuatedThreshold = 0.9
        let own = splitter(configuration)
        XCTAssertEqual(own.configuration.thresholds(paragraphs: false).punctuated, 0.5)
        XCTAssertEqual(own.configuration.thresholds(paragraphs: true).unpunctuated, 0.9)
        XCTAssertEqual(usual.configuration.thresholds(paragraphs: true).unpunctuated, 0.5)

        let tokenizer = Tokenizer.english
        // Tokens: Great(0) food(1) .(2) Would(3) go(4) again(5) Thanks(6) Mary(7)
        for separator in [" ", "\n\n"] {
            let text = "Great food. Would go again" + separator + "Thanks Mary"
            let tokens = tokenizer.tokenize(text)
            let probabilities = [Float](repeating: 0.7, count: tokens.count)
            let sentences = own.sentences(of: tokens, in: text, probabilities: probabilities)
            if separator == " " {
                // 0.7 is above 0.5 everywhere: every spaced gap ends a sentence.
                XCTAssertEqual(sentences.count, 7)
                XCTAssertEqual(
                    usual.sentences(of: tokens, in: text, probabilities: probabilities), sentences)
            } else {
                // After the period (0.7 > 0.6) and at the blank line only.
                XCTAssertEqual(sentences, [0..<3, 3..<6, 6..<8])
                XCTAssertEqual(
                    usual.sentences(of: tokens, in: text, probabilities: probabilities).count, 7)
                // Explicit thresholds win.
                XCTAssertEqual(
                    own.sentences(
                        of: tokens, in: text, probabilities: probabilities,
                        thresholds: (0.5, 0.5)
                    ).count, 7)
            }
        }
    }

    /// The perceptron's score moves the network's log-odds by its weight; weight 0 or none
    /// leaves the network's probabilities.
    func testPerceptronScoresAreAddedToTheLogOdds() {
        let probabilities: [Float] = [0.5, 0.2, 0.9, 0]
        let scores = [2.0, -1.0, 0, 3]
        XCTAssertEqual(
            NeuralSentenceSplitter.combined(probabilities, scores: scores, weight: 0),
            probabilities)
        let combined = NeuralSentenceSplitter.combined(probabilities, scores: scores, weight: 0.5)
        func sigmoid(_ z: Double) -> Float { Float(1 / (1 + exp(-z))) }
        XCTAssertEqual(combined[0], sigmoid(1), accuracy: 1e-6)
        XCTAssertEqual(combined[1], sigmoid(log(0.2 / 0.8) - 0.5), accuracy: 1e-6)
        XCTAssertEqual(combined[2], 0.9, accuracy: 1e-6)
        XCTAssertEqual(combined[3], sigmoid(log(1e-6 / (1 - 1e-6)) + 1.5), accuracy: 1e-9)

        var configuration = SentenceBoundaryConfiguration()
        let alone = splitter(configuration)
        configuration.perceptronWeight = 0.5
        var weighted = splitter(configuration)
        let text = "Thanks for the help Mary. See you"
        let tokens = Tokenizer.english.tokenize(text)
        XCTAssertEqual(alone.perceptronScores(tokens, in: text), [Double](repeating: 0, count: 8))
        for (a, b) in zip(
            weighted.boundaryProbabilities(tokens, in: text),
            alone.boundaryProbabilities(tokens, in: text))
        {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        // With perceptron weights, the scores are the sums of the weights of each gap's features.
        weighted = NeuralSentenceSplitter(
            configuration: configuration, networks: weighted.networks, words: weighted.words,
            shapes: weighted.shapes, abbreviations: [], perceptronWeights: ["b": -1, "p=.": 3])
        let gapScores = weighted.perceptronScores(tokens, in: text)
        XCTAssertEqual(gapScores[5], 2)  // after "."
        XCTAssertEqual(gapScores[1], -1)
        XCTAssertEqual(gapScores[7], 0)  // after the last token
        XCTAssertEqual(
            weighted.boundaryProbabilities(tokens, in: text),
            NeuralSentenceSplitter.combined(
                weighted.networkProbabilities(ofTexts: [(tokens, text)])[0], scores: gapScores,
                weight: 0.5))
    }

    func testParagraphThresholdsAreSavedAndOptional() throws {
        let json = """
            {"wordDimension": 8, "shapeDimension": 4, "hiddenSize": 16, "threshold": 0.4,
             "unpunctuatedThreshold": 0.7, "window": 100, "margin": 20}
            """
        let old = try JSONDecoder().decode(
            SentenceBoundaryConfiguration.self, from: Data(json.utf8))
        XCTAssertNil(old.paragraphThreshold)
        XCTAssertNil(old.paragraphUnpunctuatedThreshold)
        XCTAssertNil(old.perceptronWeight)
        XCTAssertEqual(old.thresholds(paragraphs: true).punctuated, 0.4)
        XCTAssertEqual(old.thresholds(paragraphs: true).unpunctuated, 0.7)
        var configuration = SentenceBoundaryConfiguration()
        configuration.paragraphThreshold = 0.65
        configuration.paragraphUnpunctuatedThreshold = 0.85
        configuration.perceptronWeight = 0.1
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("paragraphs-\(UUID().uuidString).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try splitter(configuration).write(to: path)
        let loaded = try NeuralSentenceSplitter(contentsOf: path)
        XCTAssertEqual(loaded.configuration.paragraphThreshold, 0.65)
        XCTAssertEqual(loaded.configuration.paragraphUnpunctuatedThreshold, 0.85)
        XCTAssertEqual(loaded.configuration.perceptronWeight, 0.1)
    }
}
