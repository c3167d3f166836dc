import Foundation
import LinearAlgebra
import Tagging
import Text
import XCTest

/// Training end to end on a handful of sentences: overfitting with each cell and head,
/// reproducibility, save and load, batches against single sentences, resuming.
final class TrainerTests: XCTestCase {
    static let posData: [TrainingSentence] = [
        TrainingSentence(
            words: ["The", "cat", "sat", "on", "the", "mat", "."],
            tags: ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"]),
        TrainingSentence(
            words: ["Dogs", "bark", "loudly", "."], tags: ["NOUN", "VERB", "ADV", "PUNCT"]),
        TrainingSentence(
            words: ["I", "like", "green", "tea"], tags: ["PRON", "VERB", "ADJ", "NOUN"]),
        TrainingSentence(words: ["Run", "!"], tags: ["VERB", "PUNCT"]),
    ]
    static let nerData: [TrainingSentence] = [
        TrainingSentence(
            words: ["Alice", "lives", "in", "New", "York", "."],
            tags: ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"]),
        TrainingSentence(
            words: ["Bob", "Smith", "works", "at", "Acme", "Corp"],
            tags: ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG"]),
        TrainingSentence(words: ["Paris", "is", "big"], tags: ["B-LOC", "O", "O"]),
        TrainingSentence(words: ["the", "end"], tags: ["O", "O"]),
    ]
    static let sentimentData: [TrainingText] = [
        TrainingText(words: ["a", "great", "movie"], label: "1"),
        TrainingText(words: ["truly", "awful", "film"], label: "0"),
        TrainingText(words: ["i", "loved", "it", "so", "much"], label: "1"),
        TrainingText(words: ["boring", "and", "bad"], label: "0"),
    ]

    static func small(cell: CellKind = .lstm, crf: Bool = false) -> NetworkConfiguration {
        var c = NetworkConfiguration()
        c.embedder.wordDimension = 16
        c.embedder.characterDimension = 8
        c.embedder.characterHidden = 8
        c.embedder.shapeDimension = 4
        c.cell = cell
        c.hidden = 16
        c.dropout = 0
        c.crf = crf
        return c
    }

    static func options(epochs: Int = 40, seed: UInt64 = 1, threads: Int = 2) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.learningRate = 0.02
        o.batchSize = 2
        o.patience = 1000
        o.seed = seed
        o.threads = threads
        return o
    }

    func trainTagger(
        _ task: TaggingTask, cell: CellKind, crf: Bool, epochs: Int = 40, seed: UInt64 = 1
    )
        throws -> TrainingOutcome<TaggerModel>
    {
        let data = task == .ner ? Self.nerData : Self.posData
        return try Trainer(options: Self.options(epochs: epochs, seed: seed)).trainTagger(
            task: task, network: Self.small(cell: cell, crf: crf), train: data, dev: data)
    }

    func assertSameParameters(
        _ a: TaggerModel, _ b: TaggerModel, file: StaticString = #filePath, line: UInt = #line
    ) {
        let pa = a.network.namedParameters
        let pb = b.network.namedParameters
        XCTAssertEqual(pa.map(\.name), pb.map(\.name), file: file, line: line)
        for (x, y) in zip(pa, pb) where x.matrix != y.matrix {
            XCTFail("parameter \(x.name) differs", file: file, line: line)
        }
        XCTAssertEqual(a.configuration, b.configuration, file: file, line: line)
    }

    func testOverfitsWithEachCellAndHead() throws {
        for (task, cell, crf) in [
            (TaggingTask.pos, CellKind.lstm, false), (.ner, .gru, true), (.pos, .rnn, false),
            (.ner, .lstm, true),
        ] {
            let outcome = try trainTagger(task, cell: cell, crf: crf)
            let data = task == .ner ? Self.nerData : Self.posData
            let predicted = outcome.model.tag(data.map(\.words)).map { $0.map(\.tag) }
            XCTAssertEqual(predicted, data.map(\.tags), "\(task) \(cell) crf \(crf)")
            XCTAssertEqual(outcome.bestScore, 1, "\(task) \(cell) crf \(crf)")
        }
    }

    func testSentenceClassifierOverfits() throws {
        for cell in CellKind.allCases {
            let outcome = try Trainer(options: Self.options()).trainClassifier(
                network: Self.small(cell: cell), train: Self.sentimentData, dev: Self.sentimentData)
            let labels = outcome.model.classify(tokens: Self.sentimentData.map(\.words)).map(
                \.label)
            XCTAssertEqual(labels, Self.sentimentData.map(\.label), "\(cell)")
        }
    }

    func testSameSeedGivesIdenticalModelsAndOtherSeedsDiffer() throws {
        let a = try trainTagger(.ner, cell: .lstm, crf: true, epochs: 3)
        let b = try trainTagger(.ner, cell: .lstm, crf: true, epochs: 3)
        let c = try trainTagger(.ner, cell: .lstm, crf: true, epochs: 3, seed: 2)
        assertSameParameters(a.model, b.model)
        XCTAssertEqual(try a.model.modelFile(), try b.model.modelFile())
        XCTAssertNotEqual(try a.model.modelFile(), try c.model.modelFile())
    }

    func testSaveThenLoadGivesIdenticalOutput() throws {
        let model = try trainTagger(.ner, cell: .gru, crf: true, epochs: 5).model
        let path = NSTemporaryDirectory() + "trainer-tests-\(getpid()).model"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try TaggerModel.load(path: path)
        let sentences = Self.nerData.map(\.words) + [["Unseen", "Words", "here"]]
        XCTAssertEqual(loaded.tag(sentences), model.tag(sentences))
        XCTAssertEqual(loaded.task, .ner)
        XCTAssertThrowsError(try SentimentModel.load(path: path))
    }

    func testBatchGivesWhatSentencesGiveOneByOne() throws {
        let model = try trainTagger(.pos, cell: .lstm, crf: false, epochs: 5).model
        let sentences = Self.posData.map(\.words) + [["cat", "sat"], ["Unknown"]]
        let batched = model.tag(sentences, batchSize: 32)
        for (k, sentence) in sentences.enumerated() {
            let alone = model.tag([sentence])[0]
            XCTAssertEqual(alone.map(\.tag), batched[k].map(\.tag))
            XCTAssertEqual(
                alone.map(\.probability.bitPattern), batched[k].map(\.probability.bitPattern))
        }
    }

    func testTaggedSentencesGiveEntities() throws {
        let model = try trainTagger(.ner, cell: .lstm, crf: true).model
        let tags = model.tag([["Alice", "lives", "in", "New", "York", "."]])
        XCTAssertEqual(tags.count, 1)
        XCTAssertEqual(
            model.entities(in: tags[0].map(\.tag)), [Span(0..<1, type: "PER"), Span(3..<5, type: "LOC")])
    }

    func testInterruptedRunResumesToTheSameModel() throws {
        let directory = NSTemporaryDirectory() + "trainer-resume-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = try Trainer(options: Self.options(epochs: 3)).trainTagger(
            task: .pos, network: Self.small(), train: Self.posData, dev: Self.posData)

        var trainer = Trainer(options: Self.options(epochs: 3))
        trainer.checkpointPath = directory + "/run.checkpoint"
        var batches = 0
        trainer.onEvent = { if case .progress = $0 { batches += 1 } }
        trainer.shouldStop = { batches == 3 }
        let first = try trainer.trainTagger(
            task: .pos, network: Self.small(), train: Self.posData, dev: Self.posData)
        XCTAssertTrue(first.interrupted)
        trainer.shouldStop = nil
        trainer.resume = true
        let resumed = try trainer.trainTagger(
            task: .pos, network: Self.small(), train: Self.posData, dev: Self.posData)
        XCTAssertFalse(resumed.interrupted)
        XCTAssertEqual(resumed.bestEpoch, straight.bestEpoch)
        assertSameParameters(resumed.model, straight.model)
        XCTAssertEqual(try resumed.model.modelFile(), try straight.model.modelFile())
    }

    func testEmptyTrainingDataAndUnseenDevLabelsAreReported() {
        let trainer = Trainer(options: Self.options(epochs: 1))
        XCTAssertThrowsError(
            try trainer.trainTagger(task: .pos, network: Self.small(), train: [], dev: Self.posData)
        ) {
            XCTAssertEqual($0 as? TrainingDataError, .noSentences(path: "training data"))
        }
        let dev = [TrainingSentence(words: ["x"], tags: ["SYM"], line: 7)]
        XCTAssertThrowsError(
            try trainer.trainTagger(
                task: .pos, network: Self.small(), train: Self.posData, dev: dev)
        ) {
            XCTAssertEqual(
                $0 as? TrainingDataError,
                .unseenLabels(path: "dev data", labels: ["SYM"], firstLine: 7))
        }
    }
}
