import Foundation
import Pipeline
import Tagging
import Text
import Tokenization
import XCTest

/// A pipeline whose POS and NER come from one joint model: the same tags as the model run
/// directly, one encoder pass for both, and the ways of choosing it.
final class JointPipelineTests: XCTestCase {
    static let train: [JointTrainingSentence] = [
        JointTrainingSentence(
            words: ["Alice", "lives", "in", "New", "York", "."],
            pos: ["PROPN", "VERB", "ADP", "PROPN", "PROPN", "PUNCT"],
            ner: ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"]),
        JointTrainingSentence(
            words: ["Bob", "Smith", "works", "at", "Acme", "Corp"],
            pos: ["PROPN", "PROPN", "VERB", "ADP", "PROPN", "PROPN"],
            ner: ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG"]),
        JointTrainingSentence(
            words: ["Paris", "is", "big"], pos: ["PROPN", "AUX", "ADJ"], ner: ["B-LOC", "O", "O"]),
    ]

    /// A small joint model, trained once.
    static let model: JointTaggerModel = {
        var options = TrainingOptions()
        options.epochs = 30
        options.learningRate = 0.02
        options.batchSize = 2
        options.threads = 1
        var network = NetworkConfiguration()
        network.embedder.wordDimension = 16
        network.embedder.characterDimension = 8
        network.embedder.characterHidden = 8
        network.hidden = 16
        network.dropout = 0
        let posDev = train.map { TrainingSentence(words: $0.words, tags: $0.pos!) }
        let nerDev = train.map { TrainingSentence(words: $0.words, tags: $0.ner!) }
        return try! Trainer(options: options).trainJointTagger(
            network: network, train: train, posDev: posDev, nerDev: nerDev
        ).model
    }()

    static let sentences =
        train.map(\.words) + [
            ["Alice", "works", "in", "Paris"], ["Bob", "is", "in", "New", "York"],
        ]

    func assertMatchesTheModel(
        _ pipeline: Pipeline, file: StaticString = #filePath, line: UInt = #line
    ) {
        let model = Self.model
        let document = pipeline.annotate(tokens: Self.sentences)
        let direct = model.tag(Self.sentences)
        for (s, sentence) in document.sentences.enumerated() {
            let words = document.words[sentence.words]
            XCTAssertEqual(words.map { $0.pos! }, direct[s].pos, file: file, line: line)
            XCTAssertEqual(words.map { $0.ner! }, direct[s].ner, file: file, line: line)
            XCTAssertEqual(
                document.entities[sentence.entities].map(\.type),
                model.ner.entities(in: direct[s].ner.map(\.tag)).map(\.type), file: file,
                line: line)
        }
    }

    func testJointPipelineGivesTheModelsTags() throws {
        let model = Self.model
        let splitter = SentenceSplitter(lexicon: Tokenizer.english.lexicon)
        let pipeline = try Pipeline(segmenter: splitter, joint: model)
        XCTAssertNotNil(pipeline.joint)
        XCTAssertEqual(pipeline.components, [.pos, .ner])
        assertMatchesTheModel(pipeline)
        // The entities are learned: the pipeline finds them.
        let document = pipeline.annotate(tokens: [["Bob", "Smith", "works", "at", "Acme", "Corp"]])
        XCTAssertEqual(document.entities.map(\.text), ["Bob Smith", "Acme Corp"])
        // Its two tasks as separate taggers give the same annotations, in two passes.
        let separate = try Pipeline(segmenter: splitter, pos: model.pos, ner: model.ner)
        XCTAssertNil(separate.joint)
        assertMatchesTheModel(separate)
        // Two threads, and a file named as `jointModel`.
        let path = NSTemporaryDirectory() + "joint-pipeline-\(getpid()).model"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let fromFile = try Pipeline(
            components: [.pos, .ner], jointModel: path, splitter: .perceptron, threads: 2)
        XCTAssertNotNil(fromFile.joint)
        assertMatchesTheModel(fromFile)
        // The same joint file for both components: one model, one pass.
        let sameFile = try Pipeline(
            components: [.pos, .ner], modelFiles: [.pos: path, .ner: path], splitter: .perceptron)
        XCTAssertNotNil(sameFile.joint)
        assertMatchesTheModel(sameFile)
        // One task of the joint file, as a component's model file.
        let posOnly = try Pipeline(
            components: [.pos], modelFiles: [.pos: path], splitter: .perceptron)
        XCTAssertNil(posOnly.joint)
        XCTAssertEqual(
            posOnly.annotate(tokens: Self.sentences).words.map { $0.pos! },
            model.tag(Self.sentences).flatMap(\.pos))
    }

    func testShippedJointModelIsUsedWhenPresent() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("joint-locator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.model.save(
            to: directory.appendingPathComponent(ShippedModel.posNER.fileName).path)
        let locator = ModelLocator(directory: directory.path)
        let pipeline = try Pipeline(
            components: [.pos, .ner], locator: locator, splitter: .perceptron)
        XCTAssertNotNil(pipeline.joint)
        assertMatchesTheModel(pipeline)
        // POS alone needs the POS model, which this directory lacks.
        XCTAssertThrowsError(
            try Pipeline(components: [.pos], locator: locator, splitter: .perceptron)
        ) { error in
            XCTAssertEqual(
                (error as? ModelLocatorError).map {
                    if case .missingModel(.pos, _) = $0 { return true } else { return false }
                },
                true, "\(error)")
        }
    }

    func testJointModelBesideASingleTaskModelIsRefused() throws {
        let splitter = SentenceSplitter(lexicon: Tokenizer.english.lexicon)
        XCTAssertThrowsError(
            try Pipeline(segmenter: splitter, pos: Self.model.pos, joint: Self.model)
        ) { error in
            guard case .jointModelConflict? = error as? PipelineError else {
                return XCTFail("\(error)")
            }
        }
        let path = NSTemporaryDirectory() + "joint-conflict-\(getpid()).model"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.model.save(to: path)
        XCTAssertThrowsError(
            try Pipeline(
                components: [.pos, .ner], modelFiles: [.ner: path], jointModel: path,
                splitter: .perceptron)
        ) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "a joint POS+NER model (\(path)) was given with a NER model file; give a joint POS+NER model or POS and NER models, not both"
            )
        }
        XCTAssertThrowsError(
            try Pipeline(components: [.sentiment], jointModel: path, splitter: .perceptron))
    }
}
