import Corpora
import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import Text
import Tokenization
import XCTest

/// Ensembles of sentence-boundary networks of different shapes (one with pretrained vectors
/// and two layers, one smaller without vectors), merged from two trained splitters: their
/// boundary log-odds are combined by a weighted mean.
final class SegmenterEnsembleTests: XCTestCase {
    /// A splitter trained briefly on the e-mail document of ``SentenceSplitterTests``.
    func trained(
        hiddenSize: Int, wordDimension: Int, layers: Int, vectors: Bool, seed: UInt64,
        epochs: Int = 4
    ) throws -> NeuralSentenceSplitter {
        let gold = try CoNLLUReader(string: SentenceSplitterTests.document).readAll()
        var trainer = SentenceSplitterTrainer()
        trainer.epochs = epochs
        trainer.seed = seed
        trainer.batchSize = 2
        trainer.trainingWindow = 12
        trainer.minimumWordCount = 1
        trainer.learningRate = 0.01
        trainer.learningRateDecay = 1
        trainer.wordDropout = 0
        trainer.configuration.hiddenSize = hiddenSize
        trainer.configuration.wordDimension = wordDimension
        trainer.configuration.layers = layers
        trainer.configuration.window = 16
        trainer.configuration.margin = 4
        if vectors { trainer.pretrained = SentenceSplitterFeatureTests.vectors }
        return try XCTUnwrap(trainer.train(train: gold, dev: [], tokenizer: .english))
    }

    /// Long enough for several overlapping windows, with a paragraph break.
    let text =
        Array(repeating: "Hi John I can't come tomorrow. Thanks Mary Smith", count: 5)
        .joined(separator: " ") + "\n\nGreat food, slow service! Would go again"

    func logit(_ p: Float) -> Double {
        let q = min(max(Double(p), 1e-6), 1 - 1e-6)
        return log(q / (1 - q))
    }

    func testMergedProbabilitiesAreTheWeightedMeanOfTheMembersLogOdds() throws {
        var large = try trained(
            hiddenSize: 6, wordDimension: 4, layers: 2, vectors: true, seed: 1)
        large.configuration.perceptronWeight = 0.2
        let small = try trained(
            hiddenSize: 3, wordDimension: 3, layers: 1, vectors: false, seed: 5)
        XCTAssertEqual(large.words, small.words)
        XCTAssertEqual(small.networks[0].featureCount, BoundaryFeatures.count)
        let merged = try large.addingMembers(of: small, weight: 0.25)
        XCTAssertEqual(merged.networks.count, 2)
        XCTAssertEqual(merged.configuration.members, 2)
        XCTAssertEqual(merged.configuration.memberWeights, [0.75, 0.25])
        XCTAssertEqual(
            merged.configuration.memberShapes,
            [
                SentenceBoundaryMemberShape(
                    wordDimension: 4, shapeDimension: 8, hiddenSize: 6, layers: 2,
                    readsPretrained: true),
                SentenceBoundaryMemberShape(
                    wordDimension: 3, shapeDimension: 8, hiddenSize: 3, layers: 1,
                    readsPretrained: false),
            ])
        XCTAssertEqual(merged.configuration.perceptronWeight, 0.2)

        let tokens = Tokenizer.english.tokenize(text)
        let pLarge = large.networkProbabilities(ofTexts: [(tokens, text)])[0]
        let pSmall = small.networkProbabilities(ofTexts: [(tokens, text)])[0]
        let pMerged = merged.networkProbabilities(ofTexts: [(tokens, text)])[0]
        XCTAssertEqual(pMerged.count, tokens.count)
        var differsFromLarge = false
        for i in tokens.indices {
            let z = 0.75 * logit(pLarge[i]) + 0.25 * logit(pSmall[i])
            XCTAssertEqual(Double(pMerged[i]), 1 / (1 + exp(-z)), accuracy: 1e-5, "token \(i)")
            if abs(pMerged[i] - pLarge[i]) > 1e-3 { differsFromLarge = true }
        }
        XCTAssertTrue(differsFromLarge, "the small member changes nothing")
        // The perceptron term is added to the combined log-odds, as for one network.
        XCTAssertEqual(
            merged.boundaryProbabilities(tokens, in: text),
            NeuralSentenceSplitter.combined(
                pMerged, scores: merged.perceptronScores(tokens, in: text), weight: 0.2))

        // Saved and loaded: the same members, shapes, weights and probabilities.
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ensemble-\(UUID().uuidString).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try merged.write(to: path)
        let loaded = try NeuralSentenceSplitter(contentsOf: path)
        XCTAssertEqual(loaded.configuration, merged.configuration)
        XCTAssertEqual(loaded.networks[1].featureCount, BoundaryFeatures.count)
        XCTAssertEqual(loaded.networks[0].upper.count, 1)
        XCTAssertEqual(loaded.networkProbabilities(ofTexts: [(tokens, text)])[0], pMerged)
        XCTAssertEqual(
            loaded.sentences(of: tokens, in: text), merged.sentences(of: tokens, in: text))

        // The order does not matter: the small model first, the large one added at 0.75.
        let reversed = try small.addingMembers(of: large, weight: 0.75)
        XCTAssertEqual(reversed.configuration.memberWeights, [0.25, 0.75])
        XCTAssertEqual(reversed.configuration.pretrainedDimension, 3)
        for (a, b) in zip(reversed.networkProbabilities(ofTexts: [(tokens, text)])[0], pMerged) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
    }

    func testAModelMergedWithItselfGivesTheSameBoundaries() throws {
        var splitter = try trained(
            hiddenSize: 8, wordDimension: 8, layers: 1, vectors: false, seed: 1, epochs: 40)
        splitter.configuration.perceptronWeight = 0.1
        let merged = try splitter.addingMembers(of: splitter, weight: 0.5)
        XCTAssertEqual(merged.configuration.memberWeights, [0.5, 0.5])
        XCTAssertNil(merged.configuration.memberShapes)
        let tokens = Tokenizer.english.tokenize(text)
        for (a, b) in zip(
            merged.boundaryProbabilities(tokens, in: text),
            splitter.boundaryProbabilities(tokens, in: text))
        {
            XCTAssertEqual(a, b, accuracy: 1e-5)
        }
        let sentences = merged.sentences(of: tokens, in: text)
        XCTAssertEqual(sentences, splitter.sentences(of: tokens, in: text))
        XCTAssertGreaterThanOrEqual(sentences.count, 10)
        XCTAssertEqual(sentences.first, 0..<2)  // "Hi John", without punctuation
    }

    func testModelsReadingDifferentInputsAreNotMerged() throws {
        let a = try trained(hiddenSize: 3, wordDimension: 3, layers: 1, vectors: false, seed: 1)
        let b = NeuralSentenceSplitter(
            configuration: a.configuration, networks: a.networks, words: a.words,
            shapes: a.shapes, abbreviations: a.abbreviations.union(["zzq."]),
            perceptronWeights: a.perceptronWeights)
        XCTAssertThrowsError(try a.addingMembers(of: b, weight: 0.5)) { error in
            XCTAssertEqual(
                error as? SentenceEnsembleError, .differentInputs(what: "abbreviations"))
        }
        XCTAssertThrowsError(try a.addingMembers(of: a, weight: 1)) { error in
            XCTAssertEqual(error as? SentenceEnsembleError, .weight(1))
        }
    }

    /// A file whose member weights or shapes do not match its members is refused.
    func testMismatchedMemberWeightsAreRefused() throws {
        let a = try trained(hiddenSize: 3, wordDimension: 3, layers: 1, vectors: false, seed: 1)
        var file = try a.addingMembers(of: a, weight: 0.5).modelFile
        var configuration = try file.decodeConfiguration(SentenceBoundaryConfiguration.self)
        configuration.memberWeights = [1]
        file.configuration = try ModelFile.configurationEncoder.encode(configuration)
        XCTAssertThrowsError(try NeuralSentenceSplitter(modelFile: file))
    }
}
