import Foundation
import LanguageModel
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import XCTest

/// The character language model's trainer on the shared training loop: an interrupted run
/// resumed from its checkpoint gives the model of the uninterrupted run, the checkpoint is
/// removed after a finished run, and a loss that becomes infinite stops training with the
/// epoch and batch named and the files written before left as they were.
final class CharacterLanguageModelTrainerTests: XCTestCase {
    static let text = String(
        repeating: "the cat sat on the mat. a dog ran to the cat. the mat was red. ", count: 6)

    static var options: CharacterLanguageModelTrainingOptions {
        var options = CharacterLanguageModelTrainingOptions()
        options.network.hidden = 12
        options.network.embeddingDimension = 6
        options.streams = 4
        options.chunkSteps = 8
        options.epochs = 3
        options.patience = 10
        options.threads = 1
        options.seed = 3
        return options
    }

    private var directory = ""

    override func setUp() {
        directory =
            NSTemporaryDirectory()
            + "charlm-trainer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private func bytes(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Trains with a checkpoint, stopping before the `stopAt`-th chunk when given.
    private func run(_ name: String, stopAt: Int? = nil, resume: Bool = false) throws
        -> CharacterLanguageModelTrainingOutcome
    {
        var trainer = CharacterLanguageModelTrainer(options: Self.options)
        trainer.outputPath = directory + "/\(name).model"
        trainer.checkpointPath = directory + "/\(name).checkpoint"
        trainer.resume = resume
        var chunks = 0
        if let stopAt {
            trainer.shouldStop = {
                chunks += 1
                return chunks == stopAt
            }
        }
        return try trainer.train(text: Self.text, dev: "the cat ran to the mat.")
    }

    func testResumeAfterAnInterruptionGivesTheUninterruptedModel() throws {
        let straight = try run("straight")
        XCTAssertFalse(straight.interrupted)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/straight.checkpoint"))

        // Stopped in the middle of the second epoch (each epoch has about 12 chunks).
        let first = try run("resumed", stopAt: 17)
        XCTAssertTrue(first.interrupted)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/resumed.checkpoint"))
        let rest = try run("resumed", resume: true)
        XCTAssertFalse(rest.interrupted)
        XCTAssertEqual(rest.bestEpoch, straight.bestEpoch)
        XCTAssertEqual(rest.bestDev, straight.bestDev)
        XCTAssertEqual(
            try bytes(directory + "/resumed.model"), try bytes(directory + "/straight.model"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/resumed.checkpoint"))
    }

    func testNonFiniteLossNamesEpochAndBatchAndKeepsTheLastGoodFiles() throws {
        var chunks = 0
        var trainer = CharacterLanguageModelTrainer(options: Self.options)
        let checkpoint = directory + "/run.checkpoint"
        let output = directory + "/run.model"
        trainer.outputPath = output
        trainer.checkpointPath = checkpoint
        var epochs = 0
        trainer.onEvent = { if case .epochFinished = $0 { epochs += 1 } }
        trainer.shouldStop = {
            chunks += 1
            return epochs == 1
        }
        XCTAssertTrue(try trainer.train(text: Self.text, dev: "the cat.").interrupted)

        // The checkpoint as a diverging run would see it: same weights, a huge step size.
        var file = try ModelFile.read(from: checkpoint)
        var header = try JSONSerialization.jsonObject(with: file.configuration) as! [String: Any]
        var options = header["options"] as! [String: Any]
        options["learningRate"] = 1e38
        header["options"] = options
        file.configuration = try JSONSerialization.data(withJSONObject: header)
        try file.write(to: checkpoint)
        let (checkpointBefore, outputBefore) = (try bytes(checkpoint), try bytes(output))

        trainer.shouldStop = nil
        trainer.resume = true
        XCTAssertThrowsError(try trainer.train(text: Self.text, dev: "the cat.")) { error in
            guard let error = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.epoch, 2)
            XCTAssertEqual(error.batch, 2)
            XCTAssertTrue(
                error.localizedDescription.contains("in epoch 2, batch 2"),
                error.localizedDescription)
        }
        XCTAssertEqual(try bytes(checkpoint), checkpointBefore)
        XCTAssertEqual(try bytes(output), outputBefore)
        XCTAssertNoThrow(try CharacterLanguageModel.load(path: output))
    }
}
