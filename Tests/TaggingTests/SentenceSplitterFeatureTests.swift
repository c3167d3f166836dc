import Corpora
import Foundation
import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import Text
import Tokenization
import XCTest

/// The sentence splitter's optional parts: stacked BiLSTM layers, fixed pretrained word
/// vectors as inputs, and training documents altered to have boundaries without
/// punctuation or capitals.
final class SentenceSplitterFeatureTests: XCTestCase {
    func testTwoLayerGradientMatchesFiniteDifferencesInDouble() {
        var random = SeededRandom(seed: 11)
        let network = SentenceBoundaryNetwork<Double>(
            wordCount: 5, wordDimension: 3, shapeCount: 4, shapeDimension: 2,
            featureCount: 4, hiddenSize: 3, layers: 2, random: &random)
        XCTAssertEqual(network.upper.count, 1)
        XCTAssertTrue(network.parameters.contains { $0.name == "upper.0.forward.Wx" })
        var features = Matrix<Double>(rows: 8, columns: 4)
        for k in 0..<features.count { features.scalars[k] = random.nextUnit() < 0.5 ? 0 : 1 }
        let batch = SentenceBoundaryNetwork<Double>.Batch(
            wordIDs: [1, 2, 3, 3, 0, 4, 2, 0], shapeIDs: [0, 1, 2, 3, 1, 1, 3, 0],
            features: features, lengths: [4, 3], targets: [0, 1, 1, 0, 0, 1, 1, 0],
            mask: [true, true, true, false, true, true, true, false])
        var mask = Matrix<Double>(rows: 8, columns: 6)
        for k in 0..<mask.count { mask.scalars[k] = random.nextUnit() < 0.3 ? 0 : 1 / 0.7 }
        let (_, gradient) = network.lossAndGradient(batch, dropoutMask: mask)
        GradientCheck().assertParameterGradients(
            of: network, gradient: gradient.dense(),
            loss: { Double($0.loss(batch, dropoutMask: mask)) })
        // Inference without caches gives the training pass's probabilities.
        let (logits, _) = network.forward(batch)
        let probabilities = network.boundaryProbabilities(batch)
        for r in 0..<8 {
            let expected = 1 / (1 + exp(logits[r, 0] - logits[r, 1]))
            XCTAssertEqual(probabilities[r], expected, accuracy: 1e-12)
        }
    }

    /// Three-dimensional vectors for a few lowercase words.
    static let vectors = PretrainedVectors(
        words: ["hi", "john", "thanks", "mary", "."],
        vectors: Matrix(
            rows: 5, columns: 3,
            scalars: [0.1, 0.2, 0.3, -0.4, 0.5, 0.6, 0.7, -0.8, 0.9, 1, 1.1, -1.2, 0, 0, 0.5]))

    func testPretrainedVectorsAndLayersAreSavedAndLoaded() throws {
        let gold = try CoNLLUReader(string: SentenceSplitterTests.document).readAll()
        var trainer = SentenceSplitterTrainer()
        trainer.epochs = 3
        trainer.batchSize = 2
        trainer.trainingWindow = 12
        trainer.minimumWordCount = 1
        trainer.configuration.hiddenSize = 4
        trainer.configuration.wordDimension = 4
        trainer.configuration.layers = 2
        trainer.configuration.window = 16
        trainer.configuration.margin = 4
        trainer.pretrained = Self.vectors
        trainer.augmentedCopies = 1
        let splitter = try XCTUnwrap(trainer.train(train: gold, dev: gold, tokenizer: .english))
        XCTAssertEqual(splitter.configuration.pretrainedDimension, 3)
        XCTAssertEqual(splitter.configuration.layers, 2)
        XCTAssertEqual(splitter.featureCount, BoundaryFeatures.count + 3)
        XCTAssertEqual(splitter.networks[0].featureCount, BoundaryFeatures.count + 3)
        XCTAssertEqual(splitter.networks[0].upper.count, 1)

        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sentence-\(UUID().uuidString).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try splitter.write(to: path)
        let loaded = try NeuralSentenceSplitter(contentsOf: path)
        XCTAssertEqual(loaded.configuration, splitter.configuration)
        XCTAssertEqual(loaded.pretrained?.words, Self.vectors.words)
        XCTAssertEqual(loaded.pretrained?.vectors, Self.vectors.vectors)
        let text = Array(repeating: "Hi John I can't come tomorrow. Thanks Mary Smith", count: 6)
            .joined(separator: " ")
        let tokens = Tokenizer.english.tokenize(text)
        XCTAssertEqual(
            loaded.boundaryProbabilities(tokens, in: text),
            splitter.boundaryProbabilities(tokens, in: text))

        // The vectors are inputs: changing the one of "john" changes the probabilities.
        var changed = Self.vectors.vectors
        changed[1, 0] = 5
        let other = NeuralSentenceSplitter(
            configuration: splitter.configuration, networks: splitter.networks,
            words: splitter.words, shapes: splitter.shapes, abbreviations: splitter.abbreviations,
            perceptronWeights: splitter.perceptronWeights,
            pretrained: PretrainedVectors(words: Self.vectors.words, vectors: changed))
        XCTAssertNotEqual(
            other.boundaryProbabilities(tokens, in: text),
            splitter.boundaryProbabilities(tokens, in: text))
    }

    func testConfigurationWithoutTheNewerKeysTakesTheirDefaults() throws {
        let json = """
            {"wordDimension": 8, "shapeDimension": 4, "hiddenSize": 16, "threshold": 0.4,
             "window": 100, "margin": 20}
            """
        let configuration = try JSONDecoder().decode(
            SentenceBoundaryConfiguration.self, from: Data(json.utf8))
        XCTAssertEqual(configuration.layers, 1)
        XCTAssertEqual(configuration.pretrainedDimension, 0)
        XCTAssertEqual(configuration.members, 1)
        XCTAssertEqual(configuration.unpunctuatedThreshold, 0.4)
    }

    func testAlteredTextsDropPeriodsAndCapitals() throws {
        let gold = try CoNLLUReader(string: SentenceSplitterTests.document).readAll()
        var random = SeededRandom(seed: 1)
        let always = SentenceSplitterTrainer.augmentedTexts(
            gold, probability: 1, random: &random)
        XCTAssertEqual(always.count, 2)
        // The last sentence of a document keeps its period; "I" keeps its capital.
        XCTAssertEqual(
            always[0].text,
            "Hi John I can't come tomorrow let me know what works for you thanks mary Smith")
        XCTAssertEqual(always[0].sentenceEnds, [7, 29, 60, 67, 78])
        XCTAssertEqual(always[1].text, "Great food, slow service! would go again")
        let never = SentenceSplitterTrainer.augmentedTexts(gold, probability: 0, random: &random)
        XCTAssertEqual(never.map(\.text), CoNLLUSentence.runningTexts(gold).map(\.text))
        XCTAssertEqual(
            never.map(\.sentenceEnds), CoNLLUSentence.runningTexts(gold).map(\.sentenceEnds))
    }

    /// A CoNLL-U file of `documents` (each a list of sentence texts) with one placeholder
    /// token a sentence: the altered texts are made from the `# text` lines.
    static func conllu(_ documents: [[String]]) -> String {
        var lines: [String] = []
        for (d, document) in documents.enumerated() {
            lines.append("# newdoc id = doc-\(d)")
            for text in document {
                lines += ["# text = \(text)", "1\tx\t_\t_\t_\t_\t_\t_\t_\t_", ""]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The sentences of each altered text, cut at its sentence ends.
    static func sentences(_ texts: [(text: String, sentenceEnds: [Int])]) -> [[String]] {
        texts.map { text, ends in
            let scalars = Array(text.unicodeScalars)
            var start = 0
            return ends.map { end in
                defer { start = end + 1 }
                return String(String.UnicodeScalarView(scalars[start..<end]))
            }
        }
    }

    func testDocumentAugmentationDropsTheFinalPunctuationOfAllButTheLastSentence() throws {
        let documents = [
            [
                "Attendees:", "Bob Lee, 24, Leeds.", "Ann Park?!", "He said \"no.\"",
                "Call me (ext. 5).", "Wait ...", "...", "We met in the U.S.", "Deal 4471;",
                "Bye.",
            ],
            ["Great food!", "Would go again."],
            ["Only one sentence."],
        ]
        let gold = try CoNLLUReader(string: Self.conllu(documents)).readAll()
        let original = CoNLLUSentence.runningTexts(gold)

        // Only the document alteration: every sentence but a document's last loses its
        // final punctuation, except after a space, when nothing would be left, and before a
        // closing quote or bracket.
        var random = SeededRandom(seed: 3)
        var documentRandom = SeededRandom(seed: 4)
        let stripped = SentenceSplitterTrainer.augmentedTexts(
            gold, probability: 0, random: &random, documentProbability: 1,
            documentRandom: &documentRandom)
        XCTAssertEqual(
            Self.sentences(stripped),
            [
                [
                    "Attendees", "Bob Lee, 24, Leeds", "Ann Park", "He said \"no.\"",
                    "Call me (ext. 5)", "Wait ...", "...", "We met in the U.S", "Deal 4471",
                    "Bye.",
                ],
                ["Great food", "Would go again."],
                ["Only one sentence."],
            ])
        XCTAssertEqual(
            stripped[0].text,
            "Attendees Bob Lee, 24, Leeds Ann Park He said \"no.\" Call me (ext. 5) Wait ... ... We met in the U.S Deal 4471 Bye."
        )
        // The tokens of the rest are those of the original text: one token fewer for each
        // punctuation token removed (the abbreviation's period belongs to its token).
        let before = Tokenizer.english.tokenize(original[1].text).map(\.text)
        let after = Tokenizer.english.tokenize(stripped[1].text).map(\.text)
        XCTAssertEqual(before, ["Great", "food", "!", "Would", "go", "again", "."])
        XCTAssertEqual(after, ["Great", "food", "Would", "go", "again", "."])

        // 0 leaves the texts and the draws of the sentence alterations as they were; 1
        // changes only the final punctuation; in between, each document is one or the other.
        func altered(_ q: Double, documentSeed: UInt64 = 9) -> [(
            text: String, sentenceEnds: [Int]
        )] {
            var random = SeededRandom(seed: 5)
            var documentRandom = SeededRandom(seed: documentSeed)
            return SentenceSplitterTrainer.augmentedTexts(
                gold, probability: 0.5, random: &random, documentProbability: q,
                documentRandom: &documentRandom)
        }
        var sameSeed = SeededRandom(seed: 5)
        let before2 = SentenceSplitterTrainer.augmentedTexts(
            gold, probability: 0.5, random: &sameSeed)
        let none = altered(0)
        XCTAssertEqual(none.map(\.text), before2.map(\.text))
        XCTAssertEqual(none.map(\.sentenceEnds), before2.map(\.sentenceEnds))
        XCTAssertNotEqual(none.map(\.text), original.map(\.text))
        XCTAssertEqual(Self.sentences(altered(0, documentSeed: 1)), Self.sentences(none))
        let all = Self.sentences(altered(1))
        let expected = Self.sentences(none).map { document in
            document.enumerated().map { k, sentence in
                k + 1 == document.count
                    ? sentence
                    : String(
                        String.UnicodeScalarView(
                            SentenceSplitterTrainer.strippingFinalPunctuation(
                                Array(sentence.unicodeScalars))))
            }
        }
        XCTAssertEqual(all, expected)
        XCTAssertNotEqual(all, Self.sentences(none))
        var chosen = Set<Int>()
        for seed in UInt64(1)...8 {
            let half = Self.sentences(altered(0.5, documentSeed: seed))
            for d in half.indices {
                XCTAssertTrue(half[d] == all[d] || half[d] == Self.sentences(none)[d])
                if half[d] != Self.sentences(none)[d] { chosen.insert(d) }
            }
        }
        XCTAssertEqual(chosen, [0, 1])
    }

    /// The altered texts of seeds 5 and 6 at probability 0.5, as the trainer made them before
    /// the document alteration existed: a document probability of 0 gives them unchanged,
    /// whatever the document stream's seed.
    func testNoDocumentAugmentationGivesTheEarlierAlteredTexts() throws {
        let gold = try CoNLLUReader(string: SentenceSplitterTests.document).readAll()
        let earlier: [UInt64: [(String, [Int])]] = [
            5: [
                (
                    "Hi John I can't come tomorrow Let me know what works for you Thanks Mary Smith",
                    [7, 29, 60, 67, 78]
                ),
                ("Great food, slow service! Would go again", [25, 40]),
            ],
            6: [
                (
                    "Hi John I can't come tomorrow. Let me know what works for you thanks mary Smith",
                    [7, 30, 61, 68, 79]
                ),
                ("Great food, slow service! would go again", [25, 40]),
            ],
        ]
        for (seed, expected) in earlier {
            var random = SeededRandom(seed: seed)
            let plain = SentenceSplitterTrainer.augmentedTexts(
                gold, probability: 0.5, random: &random)
            XCTAssertEqual(plain.map(\.text), expected.map(\.0))
            XCTAssertEqual(plain.map(\.sentenceEnds), expected.map(\.1))
            for documentSeed in [UInt64(1), 2000] {
                var random = SeededRandom(seed: seed)
                var documentRandom = SeededRandom(seed: documentSeed)
                let texts = SentenceSplitterTrainer.augmentedTexts(
                    gold, probability: 0.5, random: &random, documentProbability: 0,
                    documentRandom: &documentRandom)
                XCTAssertEqual(texts.map(\.text), expected.map(\.0))
                XCTAssertEqual(texts.map(\.sentenceEnds), expected.map(\.1))
            }
        }
    }
}
