import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Faults during training: a loss that becomes infinite, a save that runs out of space,
/// and training data that cannot give a model. Each stops with a message that says where,
/// and the files written before are left as they were.
final class TrainingFaultTests: XCTestCase {
    static let sentences: [TrainingSentence] = [
        TrainingSentence(
            words: ["The", "cat", "sat", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
        TrainingSentence(words: ["Dogs", "bark", "."], tags: ["NOUN", "VERB", "PUNCT"]),
        TrainingSentence(words: ["A", "dog", "ran"], tags: ["DET", "NOUN", "VERB"]),
        TrainingSentence(words: ["Cats", "sleep"], tags: ["NOUN", "VERB"]),
    ]

    static func network(hidden: Int = 8) -> NetworkConfiguration {
        var network = NetworkConfiguration()
        network.hidden = hidden
        network.dropout = 0
        network.embedder.wordDimension = 8
        network.embedder.characterDimension = 4
        network.embedder.characterHidden = 4
        return network
    }

    static func options(epochs: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 1
        options.patience = 100
        options.threads = 1
        options.learningRate = 0.01
        return options
    }

    private var directory = ""

    override func setUp() {
        directory =
            NSTemporaryDirectory()
            + "training-faults-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func bytes(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// A run whose checkpoint (after epoch 1, healthy) is edited to a learning rate of
    /// 10^38, then resumed: the first step of epoch 2 throws the weights out of range; the
    /// gradient of batch 2 is finite but its squares overflow `Float` (its norm is taken in
    /// `Double` and it is clipped), and the loss of batch 3 is not finite. The error names
    /// epoch 2 and batch 3, and both the epoch-1 checkpoint and the best model written in
    /// epoch 1 are left untouched.
    func testNonFiniteLossNamesEpochAndBatchAndKeepsTheLastGoodFiles() throws {
        let checkpoint = directory + "/run.checkpoint"
        let output = directory + "/best.model"
        var trainer = Trainer(options: Self.options(epochs: 3))
        trainer.checkpointPath = checkpoint
        trainer.outputPath = output
        var epochsDone = 0
        trainer.onEvent = { if case .epochFinished = $0 { epochsDone += 1 } }
        trainer.shouldStop = { epochsDone == 1 }
        let first = try trainer.trainTagger(
            task: .pos, network: Self.network(), train: Self.sentences, dev: Self.sentences)
        XCTAssertTrue(first.interrupted)

        // The checkpoint as a diverging run would see it: same weights, a huge step size.
        var file = try ModelFile.read(from: checkpoint)
        var header =
            try JSONSerialization.jsonObject(with: file.configuration) as! [String: Any]
        var options = header["options"] as! [String: Any]
        options["learningRate"] = 1e38
        header["options"] = options
        file.configuration = try JSONSerialization.data(withJSONObject: header)
        try file.write(to: checkpoint)
        let checkpointBefore = try bytes(checkpoint)
        let outputBefore = try bytes(output)

        trainer.shouldStop = nil
        trainer.resume = true
        XCTAssertThrowsError(
            try trainer.trainTagger(
                task: .pos, network: Self.network(), train: Self.sentences, dev: Self.sentences)
        ) { error in
            guard let error = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.epoch, 2)
            XCTAssertEqual(error.batch, 3)
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("in epoch 2, batch 3"), message)
            XCTAssertTrue(message.contains("Lower the learning rate"), message)
        }
        XCTAssertEqual(try bytes(checkpoint), checkpointBefore)
        XCTAssertEqual(try bytes(output), outputBefore)
        XCTAssertNoThrow(try TaggerModel.load(path: output))
    }

    /// Runs `body` with writes limited to `bytes` per file (`RLIMIT_FSIZE`, with `SIGXFSZ`
    /// ignored), so that a write past the limit fails as a write to a full disk does: the
    /// kernel refuses the bytes and `write(2)` returns an error.
    private func withFileSizeLimit(_ bytes: Int, _ body: () throws -> Void) rethrows {
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var previous = rlimit()
        getrlimit(resourceFileSize, &previous)
        var limited = previous
        limited.rlim_cur = rlim_t(bytes)
        setrlimit(resourceFileSize, &limited)
        defer {
            setrlimit(resourceFileSize, &previous)
            signal(SIGXFSZ, previousHandler)
        }
        try body()
    }

    private var resourceFileSize: __rlimit_resource_t {
        __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
    }

    /// A save that cannot write its bytes reports the path and the system's reason, and
    /// the previous model is unchanged; no temporary file is left behind.
    func testAFailedSaveIsReportedAndKeepsThePreviousModel() throws {
        let path = directory + "/model.model"
        let small = try Trainer(options: Self.options(epochs: 1)).trainTagger(
            task: .pos, network: Self.network(), train: Self.sentences, dev: Self.sentences
        ).model
        try small.save(to: path)
        let before = try bytes(path)
        let large = try Trainer(options: Self.options(epochs: 1)).trainTagger(
            task: .pos, network: Self.network(hidden: 64), train: Self.sentences,
            dev: Self.sentences
        ).model
        try withFileSizeLimit(before.count + 1024) {
            XCTAssertThrowsError(try large.save(to: path)) { error in
                guard case .writeFailed(path: path, let reason)? = error as? ModelFileError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(reason, String(cString: strerror(EFBIG)))
                XCTAssertTrue(
                    error.localizedDescription.hasSuffix(
                        "the previous file, if any, is unchanged"), error.localizedDescription)
            }
        }
        XCTAssertEqual(try bytes(path), before)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory), ["model.model"])
    }

    /// The trainer's own saves (the best model after an epoch) fail the same way: the run
    /// stops with the error and the model file from before the run is intact.
    func testTrainingStopsWhenTheBestModelCannotBeSaved() throws {
        let output = directory + "/best.model"
        try Trainer(options: Self.options(epochs: 1)).trainTagger(
            task: .pos, network: Self.network(), train: Self.sentences, dev: Self.sentences
        ).model.save(to: output)
        let before = try bytes(output)
        var trainer = Trainer(options: Self.options(epochs: 2))
        trainer.outputPath = output
        try withFileSizeLimit(before.count + 1024) {
            XCTAssertThrowsError(
                try trainer.trainTagger(
                    task: .pos, network: Self.network(hidden: 64), train: Self.sentences,
                    dev: Self.sentences)
            ) { error in
                guard case .writeFailed(path: output, _)? = error as? ModelFileError else {
                    return XCTFail("\(error)")
                }
            }
        }
        XCTAssertEqual(try bytes(output), before)
    }

    /// A save over a stale temporary file, or over a symbolic link planted where the
    /// temporary file goes, neither follows the link nor fails.
    func testSaveDoesNotFollowALinkAtTheTemporaryPath() throws {
        let path = directory + "/linked.model"
        let victim = directory + "/victim.txt"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(
            atPath: path + ".tmp-\(getpid())", withDestinationPath: victim)
        let model = try Trainer(options: Self.options(epochs: 1)).trainTagger(
            task: .pos, network: Self.network(), train: Self.sentences, dev: Self.sentences
        ).model
        try model.save(to: path)
        XCTAssertEqual(String(decoding: try bytes(victim), as: UTF8.self), "keep me")
        XCTAssertEqual(try TaggerModel.load(path: path).modelFile(), try model.modelFile())
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
            ["linked.model", "victim.txt"])
    }

    /// Training data that cannot give a model: no sentences, sentences without words, a
    /// dev set with tags or labels the training set never has, and an empty dev set.
    func testUnusableDataIsReportedWithoutNaN() throws {
        let trainer = Trainer(options: Self.options(epochs: 1))
        XCTAssertThrowsError(
            try trainer.trainTagger(task: .pos, network: Self.network(), train: [], dev: [])
        ) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "training data: the file holds no sentences; check the path and --format")
        }
        XCTAssertThrowsError(
            try trainer.trainClassifier(network: Self.network(), train: [], dev: [])
        ) { error in
            XCTAssertEqual(error as? TrainingDataError, .noSentences(path: "training data"))
        }
        let dev = [TrainingText(words: ["meh"], label: "neutral", line: 4)]
        let train = [
            TrainingText(words: ["good"], label: "positive"),
            TrainingText(words: ["bad"], label: "negative"),
        ]
        XCTAssertThrowsError(
            try trainer.trainClassifier(network: Self.network(), train: train, dev: dev)
        ) {
            error in
            XCTAssertEqual(
                error.localizedDescription,
                "dev data:4: labels never seen in the training file: neutral; train on data that has them or fix the file"
            )
        }
        // NER: an entity type in dev that training never has.
        let nerTrain = [TrainingSentence(words: ["Alice", "ran"], tags: ["B-PER", "O"])]
        let nerDev = [TrainingSentence(words: ["Paris"], tags: ["B-LOC"], line: 9)]
        XCTAssertThrowsError(
            try trainer.trainTagger(
                task: .ner, network: Self.network(), train: nerTrain, dev: nerDev)
        ) { error in
            XCTAssertEqual(
                error as? TrainingDataError,
                .unseenLabels(path: "dev data", labels: ["LOC"], firstLine: 9))
        }
        // An empty dev set trains (its score is 0, never NaN) and gives a usable model.
        let outcome = try trainer.trainTagger(
            task: .pos, network: Self.network(), train: Self.sentences, dev: [])
        XCTAssertTrue(outcome.bestScore.isFinite, "\(outcome.bestScore)")
        XCTAssertEqual(outcome.model.tag([["The", "cat"]])[0].count, 2)
        for prediction in outcome.model.tag([["The", "cat"]])[0] {
            XCTAssertTrue(prediction.probability.isFinite)
        }
    }
}
