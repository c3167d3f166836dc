import Corpora
import Evaluation
import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import TestSupport
import Text
import Tokenization
import XCTest

final class SentenceSplitterTests: XCTestCase {
    /// A small Double network and a two-window batch with random features.
    func fixture() -> (SentenceBoundaryNetwork<Double>, SentenceBoundaryNetwork<Double>.Batch) {
        var random = SeededRandom(seed: 7)
        let network = SentenceBoundaryNetwork<Double>(
            wordCount: 5, wordDimension: 3, shapeCount: 4, shapeDimension: 2,
            featureCount: 4, hiddenSize: 3, random: &random)
        let lengths = [4, 3]
        let rows = 4 * 2
        var features = Matrix<Double>(rows: rows, columns: 4)
        for k in 0..<features.count { features.scalars[k] = random.nextUnit() < 0.5 ? 0 : 1 }
        // Row t·2 + s; the last row is padding of the second window.
        let batch = SentenceBoundaryNetwork<Double>.Batch(
            wordIDs: [1, 2, 3, 3, 0, 4, 2, 0], shapeIDs: [0, 1, 2, 3, 1, 1, 3, 0],
            features: features, lengths: lengths, targets: [0, 1, 1, 0, 0, 1, 1, 0],
            mask: [true, true, true, false, true, true, true, false])
        return (network, batch)
    }

    func testGradientMatchesFiniteDifferencesInDouble() {
        let (network, batch) = fixture()
        let (_, gradient) = network.lossAndGradient(batch)
        GradientCheck().assertParameterGradients(
            of: network, gradient: gradient.dense(), loss: { Double($0.loss(batch)) })
    }

    func testGradientWithDropoutMaskMatchesFiniteDifferences() {
        let (network, batch) = fixture()
        var random = SeededRandom(seed: 3)
        var mask = Matrix<Double>(rows: batch.wordIDs.count, columns: 6)
        for k in 0..<mask.count { mask.scalars[k] = random.nextUnit() < 0.3 ? 0 : 1 / 0.7 }
        let (_, gradient) = network.lossAndGradient(batch, dropoutMask: mask)
        GradientCheck().assertParameterGradients(
            of: network, gradient: gradient.dense(),
            loss: { Double($0.loss(batch, dropoutMask: mask)) })
    }

    func testPaddedRowsDoNotChangeTheLoss() {
        let (network, batch) = fixture()
        var other = batch
        other.wordIDs[7] = 4
        other.shapeIDs[7] = 2
        XCTAssertEqual(network.loss(batch), network.loss(other))
    }

    /// One document of e-mail-like sentences, several without final punctuation.
    static let document = """
        # newdoc id = mail-1
        # text = Hi John
        1\tHi\t_\t_\t_\t_\t_\t_\t_\t_
        2\tJohn\t_\t_\t_\t_\t_\t_\t_\t_

        # text = I can't come tomorrow.
        1\tI\t_\t_\t_\t_\t_\t_\t_\t_
        2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
        2\tca\t_\t_\t_\t_\t_\t_\t_\t_
        3\tn't\t_\t_\t_\t_\t_\t_\t_\t_
        4\tcome\t_\t_\t_\t_\t_\t_\t_\t_
        5\ttomorrow\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
        6\t.\t_\t_\t_\t_\t_\t_\t_\t_

        # text = Let me know what works for you
        1\tLet\t_\t_\t_\t_\t_\t_\t_\t_
        2\tme\t_\t_\t_\t_\t_\t_\t_\t_
        3\tknow\t_\t_\t_\t_\t_\t_\t_\t_
        4\twhat\t_\t_\t_\t_\t_\t_\t_\t_
        5\tworks\t_\t_\t_\t_\t_\t_\t_\t_
        6\tfor\t_\t_\t_\t_\t_\t_\t_\t_
        7\tyou\t_\t_\t_\t_\t_\t_\t_\t_

        # text = Thanks
        1\tThanks\t_\t_\t_\t_\t_\t_\t_\t_

        # text = Mary Smith
        1\tMary\t_\t_\t_\t_\t_\t_\t_\t_
        2\tSmith\t_\t_\t_\t_\t_\t_\t_\t_

        # newdoc id = mail-2
        # text = Great food, slow service!
        1\tGreat\t_\t_\t_\t_\t_\t_\t_\t_
        2\tfood\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
        3\t,\t_\t_\t_\t_\t_\t_\t_\t_
        4\tslow\t_\t_\t_\t_\t_\t_\t_\t_
        5\tservice\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
        6\t!\t_\t_\t_\t_\t_\t_\t_\t_

        # text = Would go again
        1\tWould\t_\t_\t_\t_\t_\t_\t_\t_
        2\tgo\t_\t_\t_\t_\t_\t_\t_\t_
        3\tagain\t_\t_\t_\t_\t_\t_\t_\t_


        """

    func gold() throws -> [CoNLLUSentence] {
        try CoNLLUReader(string: Self.document).readAll()
    }

    func trainedSplitter(members: Int = 1) throws -> NeuralSentenceSplitter {
        var trainer = SentenceSplitterTrainer()
        trainer.members = members
        trainer.epochs = 60
        trainer.batchSize = 2
        trainer.trainingWindow = 12
        trainer.learningRate = 0.01
        trainer.learningRateDecay = 1
        trainer.wordDropout = 0
        trainer.minimumWordCount = 1
        trainer.configuration.hiddenSize = 8
        trainer.configuration.wordDimension = 8
        trainer.configuration.window = 16
        trainer.configuration.margin = 4
        return try XCTUnwrap(trainer.train(train: try gold(), dev: [], tokenizer: .english))
    }

    func testOverfitsASmallDocument() throws {
        let splitter = try trainedSplitter()
        let gold = try gold()
        let result = try TokenizationEvaluation.evaluate(
            tokenizer: .english, gold: gold, runningText: true, segmenter: splitter)
        XCTAssertEqual(result.score.sentences, F1Score(correct: 7, gold: 7, system: 7))
        // The perceptron cannot find the boundaries without punctuation.
        let perceptron = try TokenizationEvaluation.evaluate(
            tokenizer: .english, gold: gold, runningText: true)
        XCTAssertLessThan(perceptron.score.sentences.correct, 7)
    }

    func testSaveThenLoadGivesIdenticalBoundaries() throws {
        let splitter = try trainedSplitter(members: 2)
        XCTAssertEqual(splitter.networks.count, 2)
        XCTAssertNotEqual(splitter.networks[0].output.weight, splitter.networks[1].output.weight)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sentence-\(UUID().uuidString).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try splitter.write(to: path)
        let loaded = try NeuralSentenceSplitter(contentsOf: path)
        XCTAssertEqual(loaded.configuration, splitter.configuration)
        XCTAssertEqual(loaded.words, splitter.words)
        XCTAssertEqual(loaded.perceptronWeights, splitter.perceptronWeights)
        XCTAssertFalse(loaded.perceptronWeights.isEmpty)
        // Long enough for several overlapping windows.
        let text = Array(repeating: "Hi John I can't come tomorrow. Thanks Mary Smith", count: 8)
            .joined(separator: " ")
        let tokens = Tokenizer.english.tokenize(text)
        let probabilities = splitter.boundaryProbabilities(tokens, in: text)
        XCTAssertEqual(loaded.boundaryProbabilities(tokens, in: text), probabilities)
        let sentences = loaded.sentences(of: tokens, in: text)
        XCTAssertEqual(sentences, splitter.sentences(of: tokens, in: text))
        XCTAssertEqual(sentences.first, 0..<2)
        XCTAssertGreaterThanOrEqual(sentences.count, 8 * 2)
    }

    func testTheSameSeedGivesTheSameModel() throws {
        let a = try trainedSplitter()
        let b = try trainedSplitter()
        XCTAssertEqual(a.modelFile, b.modelFile)
    }

    func testLoadingAnotherArchitectureFails() throws {
        let file = ModelFile(architecture: "Other.v1", configuration: Data("{}".utf8))
        XCTAssertThrowsError(try NeuralSentenceSplitter(modelFile: file)) { error in
            XCTAssertEqual(
                error as? ModelFileError,
                .wrongArchitecture(found: "Other.v1", expected: NeuralSentenceSplitter.architecture)
            )
        }
    }

    func testBlankLineAlwaysEndsASentence() throws {
        let splitter = try trainedSplitter()
        let text = "Would go again and\n\nagain"
        let tokens = Tokenizer.english.tokenize(text)
        let probabilities = [Float](repeating: 0, count: tokens.count)
        XCTAssertEqual(
            splitter.sentences(of: tokens, in: text, probabilities: probabilities), [0..<4, 4..<5])
    }

    /// The perceptron weight and thresholds are chosen on dev, the paragraph thresholds on
    /// the dev text laid out in paragraphs (one text, documents separated by blank lines);
    /// the F1s reported are the evaluation's in the two layouts.
    func testPerceptronWeightAndThresholdsAreTunedOnDev() throws {
        var splitter = try trainedSplitter()
        XCTAssertNil(splitter.configuration.paragraphThreshold)
        XCTAssertNil(splitter.configuration.perceptronWeight)
        let gold = try gold()
        let best = try XCTUnwrap(
            SentenceSplitterTrainer.tuneCombination(&splitter, dev: gold, tokenizer: .english))
        XCTAssertEqual(splitter.configuration.perceptronWeight, best.weight)
        XCTAssertTrue(SentenceSplitterTrainer.perceptronWeights.contains(best.weight))
        XCTAssertNotNil(splitter.configuration.paragraphThreshold)
        XCTAssertNotNil(splitter.configuration.paragraphUnpunctuatedThreshold)
        func score(_ layout: RunningTextLayout) throws -> F1Score {
            try TokenizationEvaluation.evaluate(
                tokenizer: .english, gold: gold, runningText: true, layout: layout,
                segmenter: splitter
            ).score.sentences
        }
        let inParagraphs = try score(.paragraphs)
        XCTAssertEqual(inParagraphs.gold, 7)
        XCTAssertEqual(inParagraphs.f1, best.paragraphF1, accuracy: 1e-12)
        XCTAssertEqual(try score(.spaces).f1, best.f1, accuracy: 1e-12)
        XCTAssertNil(
            SentenceSplitterTrainer.tuneCombination(&splitter, dev: [], tokenizer: .english))
    }

    func testGoldDocumentsAndRunningTexts() throws {
        let gold = try gold()
        XCTAssertEqual(CoNLLUSentence.documents(gold).map(\.count), [5, 2])
        let texts = CoNLLUSentence.runningTexts(gold)
        XCTAssertEqual(
            texts[0].text,
            "Hi John I can't come tomorrow. Let me know what works for you Thanks Mary Smith")
        XCTAssertEqual(texts[0].sentenceEnds, [7, 30, 61, 68, 79])
        XCTAssertEqual(gold[1].surfaceTokens[1], SurfaceToken(form: "can't", words: ["ca", "n't"]))
    }
}
