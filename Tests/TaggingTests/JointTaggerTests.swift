import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import TestSupport
import Text
import XCTest

/// The joint POS+NER tagger: gradients of both heads through the shared encoder, data-parallel
/// halves, training that learns both tasks, the model file and the single-task views.
final class JointTaggerTests: XCTestCase {
    static let sentences = TokenClassifierNetworkTests.sentences

    /// Both tag sets, one task only, and the other task only.
    static let targets = [
        JointTarget(pos: [0, 1, 2, 3], ner: [0, 1, 2, 0]),
        JointTarget(pos: nil, ner: [1, 2]),
        JointTarget(pos: [3, 2, 1, 0, 1], ner: nil),
    ]

    static func network<Scalar: BLASScalar>(
        _ configuration: NetworkConfiguration, encoder: InputEncoder, seed: UInt64 = 7
    ) -> JointTaggerNetwork<Scalar> {
        var random = SeededRandom(seed: seed)
        return JointTaggerNetwork<Scalar>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count, posTagCount: 4, nerTagCount: 3,
            random: &random)
    }

    /// Every parameter of the joint network against central differences of its loss, in
    /// Double, with sentences that carry both tag sets, POS only and NER only.
    func testGradientsOfBothHeadsThroughTheSharedEncoder() {
        for cell in [CellKind.lstm, .gru] {
            let configuration = TokenClassifierNetworkTests.tinyConfiguration(
                cell: cell, crf: true)
            let encoder = TokenClassifierNetworkTests.encoder(configuration)
            var network: JointTaggerNetwork<Double> = Self.network(configuration, encoder: encoder)
            network.nerLossWeight = cell == .gru ? 2.5 : 1
            // Sorted longest first, with the targets in the same order.
            let order = Self.sentences.indices.sorted {
                Self.sentences[$0].count > Self.sentences[$1].count
            }
            let input = encoder.encode(order.map { Self.sentences[$0] })
            let targets = order.map { Self.targets[$0] }
            checkGradients(network, input: input, targets: targets)
            XCTAssertEqual(
                Set(network.namedParameters.map(\.name).filter { !$0.hasPrefix("e") }),
                Set([
                    "pos.output.W", "pos.output.b", "ner.output.W", "ner.output.b",
                    "ner.crf.transitions", "ner.crf.start", "ner.crf.end",
                ]))
        }
    }

    /// The loss is the sum of the two heads' summed losses over the batch's tokens: the
    /// POS head's softmax cross-entropy and the NER head's CRF likelihood, each computed as
    /// the single-task network over the same encoder computes it.
    func testLossIsBothHeadsSummedOverTheTokens() {
        let configuration = TokenClassifierNetworkTests.tinyConfiguration(cell: .lstm, crf: true)
        let encoder = TokenClassifierNetworkTests.encoder(configuration)
        let network: JointTaggerNetwork<Double> = Self.network(configuration, encoder: encoder)
        let batch = [Self.sentences[2], Self.sentences[0]]
        let input = encoder.encode(batch)
        let pos = [[3, 2, 1, 0, 1], [0, 1, 2, 3]]
        let ner = [[0, 1, 1, 2, 0], [0, 1, 2, 0]]
        var random = SeededRandom(seed: 1)
        let joint = network.lossAndGradients(
            input, targets: zip(pos, ner).map { JointTarget(pos: $0, ner: $1) }, training: false,
            random: &random
        ).loss
        // Single-task losses: POS is a mean over 9 tokens, NER a mean over 2 sentences.
        let posLoss = network.posNetwork.lossAndGradients(
            input, targets: pos, training: false, random: &random
        ).loss
        let nerLoss = network.nerNetwork.lossAndGradients(
            input, targets: ner, training: false, random: &random
        ).loss
        XCTAssertEqual(joint, (9 * posLoss + 2 * nerLoss) / 9, accuracy: 1e-12)
        // The entity loss weight scales the entity term only.
        var weighted = network
        weighted.nerLossWeight = 3
        let three = weighted.lossAndGradients(
            input, targets: zip(pos, ner).map { JointTarget(pos: $0, ner: $1) }, training: false,
            random: &random
        ).loss
        XCTAssertEqual(three, (9 * posLoss + 3 * 2 * nerLoss) / 9, accuracy: 1e-12)
    }

    /// The halves of a data-parallel batch, weighted by `lossWeight`, give the whole batch's
    /// loss and gradient.
    func testDataParallelHalvesCombineToTheWholeBatch() {
        var configuration = TokenClassifierNetworkTests.tinyConfiguration(cell: .lstm, crf: true)
        configuration.embedder.wordDropout = 0
        let sentences = DataParallelTests.sentences
        let encoder = InputEncoder(training: sentences, configuration: configuration.embedder)
        let network: JointTaggerNetwork<Double> = Self.network(configuration, encoder: encoder)
        let targets = sentences.enumerated().map { k, s in
            JointTarget(
                pos: k == 1 ? nil : s.indices.map { $0 % 4 },
                ner: k == 2 ? nil : s.indices.map { ($0 + k) % 3 })
        }
        func run(_ indices: [Int]) -> (Double, ParameterGradients<Double>, Int) {
            let input = encoder.encode(indices.map { sentences[$0] })
            var r = SeededRandom(seed: 1)
            let (loss, gradients) = network.lossAndGradients(
                input, targets: indices.map { targets[$0] }, training: false, random: &r)
            return (loss, gradients, network.lossWeight(input))
        }
        let (wholeLoss, whole, _) = run([0, 2, 3, 1])
        let a = run([0, 3])
        let b = run([2, 1])
        let total = Double(a.2 + b.2)
        XCTAssertEqual(total, Double(sentences.joined().count))
        XCTAssertEqual(
            (Double(a.2) * a.0 + Double(b.2) * b.0) / total, wholeLoss, accuracy: 1e-12)
        let combined = ParameterGradients.weightedSum(
            a.1, Double(a.2) / total, b.1, Double(b.2) / total)
        for (name, value) in network.namedParameters {
            assertClose(
                combined.denseGradient(of: name, rows: value.rows, columns: value.columns),
                whole.denseGradient(of: name, rows: value.rows, columns: value.columns),
                tolerance: 1e-10)
        }
    }

    // MARK: Training and the model

    static let train: [JointTrainingSentence] =
        zip(TrainerTests.posData, TrainerTests.nerData)
        .map { pos, ner in
            // The NER sentences' words with the POS sentences' tags cut or padded to fit.
            let posTags = (0..<ner.words.count).map { pos.tags[$0 % pos.tags.count] }
            return JointTrainingSentence(words: ner.words, pos: posTags, ner: ner.tags)
        }
        + [JointTrainingSentence(words: ["Run", "!"], pos: ["VERB", "PUNCT"], ner: nil)]

    static var posDev: [TrainingSentence] {
        train.compactMap { s in s.pos.map { TrainingSentence(words: s.words, tags: $0) } }
    }
    static var nerDev: [TrainingSentence] {
        train.compactMap { s in s.ner.map { TrainingSentence(words: s.words, tags: $0) } }
    }

    static func trainModel(epochs: Int = 40, threads: Int = 2) throws -> TrainingOutcome<
        JointTaggerModel
    > {
        try Trainer(options: TrainerTests.options(epochs: epochs, threads: threads))
            .trainJointTagger(
                network: TrainerTests.small(), train: train, posDev: posDev, nerDev: nerDev)
    }

    /// A small run learns both tasks: every POS tag and entity tag of the training data, and
    /// a dev score (the mean of accuracy and span F1) of 1.
    func testLearnsBothTasks() throws {
        let untrained = try Self.trainModel(epochs: 1).model
        let outcome = try Self.trainModel()
        let tagged = outcome.model.tag(Self.train.map(\.words))
        XCTAssertEqual(outcome.bestScore, 1)
        for (sentence, prediction) in zip(Self.train, tagged) {
            if let pos = sentence.pos { XCTAssertEqual(prediction.pos.map(\.tag), pos) }
            if let ner = sentence.ner { XCTAssertEqual(prediction.ner.map(\.tag), ner) }
        }
        // One epoch does not get there: the run is what learns.
        let first = untrained.tag(Self.train.map(\.words))
        XCTAssertNotEqual(first.map { $0.pos.map(\.tag) }, Self.train.map { $0.pos ?? [] })
        XCTAssertTrue(outcome.model.nerTags.contains("O"))
        XCTAssertTrue(outcome.model.nerTags.contains("S-LOC"), "entities are learned in BIOES")
        XCTAssertEqual(
            outcome.model.ner.entities(in: tagged[0].ner.map(\.tag)),
            [Span(0..<1, type: "PER"), Span(3..<5, type: "LOC")])
    }

    /// The same seed gives the same model on one thread and on two (up to the order of sums,
    /// the halves' gradients are the whole batch's).
    func testSameSeedGivesTheSameModel() throws {
        let a = try Self.trainModel(epochs: 3)
        let b = try Self.trainModel(epochs: 3)
        XCTAssertEqual(try a.model.modelFile(), try b.model.modelFile())
    }

    /// A run stopped after three batches and resumed from its checkpoint ends with the model
    /// of the uninterrupted run; a POS tagger's run refuses the joint checkpoint.
    func testInterruptedRunResumesToTheSameModel() throws {
        let directory = NSTemporaryDirectory() + "joint-resume-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = try Self.trainModel(epochs: 3)
        var trainer = Trainer(options: TrainerTests.options(epochs: 3))
        trainer.checkpointPath = directory + "/run.checkpoint"
        // The best model of the part before the interruption is read back from here.
        trainer.outputPath = directory + "/run.model"
        var batches = 0
        trainer.onEvent = { if case .progress = $0 { batches += 1 } }
        trainer.shouldStop = { batches == 3 }
        func run() throws -> TrainingOutcome<JointTaggerModel> {
            try trainer.trainJointTagger(
                network: TrainerTests.small(), train: Self.train, posDev: Self.posDev,
                nerDev: Self.nerDev)
        }
        XCTAssertTrue(try run().interrupted)
        trainer.shouldStop = nil
        trainer.resume = true
        XCTAssertThrowsError(
            try trainer.trainTagger(
                task: .pos, network: TrainerTests.small(), train: Self.posDev, dev: Self.posDev)
        ) { error in
            guard case .wrongKind(_, "BiRNNJointTagger.v1", _)? = error as? ModelError else {
                return XCTFail("\(error)")
            }
        }
        let resumed = try run()
        XCTAssertFalse(resumed.interrupted)
        XCTAssertEqual(resumed.bestEpoch, straight.bestEpoch)
        XCTAssertEqual(try resumed.model.modelFile(), try straight.model.modelFile())
    }

    /// Save then load gives the same tags and probabilities, and the file is refused by the
    /// single-task loaders with a message that says how to use it.
    func testSaveLoadRoundTripAndOtherLoaders() throws {
        let model = try Self.trainModel(epochs: 5).model
        let path = NSTemporaryDirectory() + "joint-tests-\(getpid()).model"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try JointTaggerModel.load(path: path)
        let sentences = Self.train.map(\.words) + [["Unseen", "Words", "here"], []]
        XCTAssertEqual(loaded.tag(sentences), model.tag(sentences))
        XCTAssertEqual(loaded.configuration, model.configuration)
        XCTAssertEqual(loaded.configuration.outputScheme, .iob2)
        XCTAssertEqual(loaded.posTags, model.posTags)
        XCTAssertEqual(loaded.nerTags, model.nerTags)
        XCTAssertEqual(try ModelFile.read(from: path).architecture, "BiRNNJointTagger.v1")

        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            XCTAssertEqual(
                error as? ModelError,
                .wrongKind(
                    path: path, architecture: "BiRNNJointTagger.v1",
                    expected: "BiRNNTokenClassifier.v1"))
            let message = error.localizedDescription
            XCTAssertTrue(
                message.contains("is a joint POS+NER tagger, not a POS or NER tagger"), message)
            XCTAssertTrue(message.contains("JointTaggerModel.load(path:)"), message)
        }
        XCTAssertThrowsError(try SentimentModel.load(path: path))
        // A POS tagger's file is not a joint model.
        let pos = NSTemporaryDirectory() + "joint-tests-pos-\(getpid()).model"
        defer { try? FileManager.default.removeItem(atPath: pos) }
        try model.pos.save(to: pos)
        XCTAssertThrowsError(try JointTaggerModel.load(path: pos)) { error in
            XCTAssertEqual(
                error as? ModelError,
                .wrongKind(
                    path: pos, architecture: "BiRNNTokenClassifier.v1",
                    expected: "BiRNNJointTagger.v1"))
        }
    }

    /// A joint file whose tag table lost an entry, or with a parameter of the wrong shape,
    /// is refused naming the problem.
    func testDamagedJointFileIsRefused() throws {
        let model = try Self.trainModel(epochs: 1).model
        var file = try model.modelFile()
        file.vocabularies["nerTags"] = ["O", "O"]
        XCTAssertThrowsError(try JointTaggerModel(file: file, path: "x.model")) { error in
            XCTAssertEqual(
                error as? ModelError,
                .invalidVocabulary(
                    path: "x.model", name: "nerTags", reason: "it must be non-empty and distinct"))
        }
        file = try model.modelFile()
        file.vocabularies["posTags"]!.removeLast()
        XCTAssertThrowsError(try JointTaggerModel(file: file, path: "x.model")) { error in
            XCTAssertTrue(
                error.localizedDescription.contains("pos.output.W"), error.localizedDescription)
        }
    }

    /// `pos` and `ner` tag exactly as the joint model does, to the bit, at any batch size
    /// and on one thread or two.
    func testSingleTaskViewsGiveTheJointModelsTags() throws {
        let model = try Self.trainModel(epochs: 5).model
        let sentences = (0..<40).map { k in
            Self.train[k % Self.train.count].words + (0..<(k % 4)).map { _ in "x" }
        }
        let pos = model.pos.tag(sentences)
        let ner = model.ner.tag(sentences)
        XCTAssertEqual(model.pos.task, .pos)
        XCTAssertEqual(model.ner.task, .ner)
        for batchSize in [1, 3, 32] {
            for threads in [1, 2] {
                let joint = model.tag(sentences, batchSize: batchSize, threads: threads)
                XCTAssertEqual(
                    joint.map { $0.pos.map(\.probability.bitPattern) },
                    pos.map { $0.map(\.probability.bitPattern) })
                XCTAssertEqual(joint.map(\.pos), pos)
                XCTAssertEqual(joint.map(\.ner), ner)
            }
        }
    }

    func testEmptyAndMismatchedTrainingDataAreReported() {
        let trainer = Trainer(options: TrainerTests.options(epochs: 1))
        XCTAssertThrowsError(
            try trainer.trainJointTagger(
                network: TrainerTests.small(), train: [], posDev: [], nerDev: [])
        ) { error in
            XCTAssertEqual(error as? TrainingDataError, .noSentences(path: "training data"))
        }
        // No sentence with entity tags.
        let posOnly = [JointTrainingSentence(words: ["a"], pos: ["DET"], ner: nil)]
        XCTAssertThrowsError(
            try trainer.trainJointTagger(
                network: TrainerTests.small(), train: posOnly, posDev: [], nerDev: [])
        ) { error in
            XCTAssertEqual(error as? TrainingDataError, .noSentences(path: "NER training data"))
        }
        // An entity type of the NER dev data never seen in training.
        var dev = Self.nerDev
        dev[0].tags[0] = "B-MISC"
        XCTAssertThrowsError(
            try trainer.trainJointTagger(
                network: TrainerTests.small(), train: Self.train, posDev: Self.posDev,
                nerDev: dev)
        ) { error in
            XCTAssertEqual(
                error as? TrainingDataError,
                .unseenLabels(path: "NER dev data", labels: ["MISC"], firstLine: 0))
        }
    }
}
