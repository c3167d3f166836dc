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

    /// A run killed after the checkpoint written at the end of an epoch (and before any
    /// other) continues from it with the next epoch as the uninterrupted run has it: its own
    /// offset and no carried states.
    func testResumeFromTheCheckpointOfAFinishedEpochGivesTheUninterruptedModel() throws {
        _ = try run("straight")
        // The checkpoint is written after each epoch's event: when the second epoch's event
        // comes, the file holds the checkpoint of the end of the first.
        var trainer = CharacterLanguageModelTrainer(options: Self.options)
        let checkpoint = directory + "/killed.checkpoint"
        let kept = directory + "/end-of-epoch-1.checkpoint"
        trainer.outputPath = directory + "/killed.model"
        trainer.checkpointPath = checkpoint
        trainer.onEvent = { event in
            if case .epochFinished(let e) = event, e.epoch == 2 {
                try? FileManager.default.copyItem(atPath: checkpoint, toPath: kept)
            }
        }
        _ = try trainer.train(text: Self.text, dev: "the cat ran to the mat.")
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept))
        try FileManager.default.copyItem(atPath: kept, toPath: checkpoint)
        let rest = try run("killed", resume: true)
        XCTAssertFalse(rest.interrupted)
        XCTAssertEqual(
            try bytes(directory + "/killed.model"), try bytes(directory + "/straight.model"))
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

    /// The parameters of the model file written to `directory/name.model` by a run of
    /// `epochs` epochs with one update each (K1 is longer than every stream), a constant
    /// learning rate and no dev text (the last epoch's model is written), averaging over the
    /// last `averageFraction` of the run.
    private func singleUpdateEpochs(
        _ name: String, epochs: Int, averageFraction: Double, averagedUpdates: [Int]
    ) throws -> [ModelFile.NamedMatrix] {
        var options = Self.options
        options.chunkSteps = 100
        options.decayFraction = 0
        options.epochs = epochs
        options.averageFraction = averageFraction
        var trainer = CharacterLanguageModelTrainer(options: options)
        let output = directory + "/\(name).model"
        trainer.outputPath = output
        var averaged: [Int] = []
        trainer.onEvent = {
            if case .epochFinished(let e) = $0 { averaged.append(e.averagedUpdates) }
        }
        let outcome = try trainer.train(text: Self.text)
        XCTAssertEqual(outcome.epochsRun, epochs)
        XCTAssertEqual(averaged, averagedUpdates)
        XCTAssertEqual(
            try outcome.model.modelFile().parameters, try ModelFile.read(from: output).parameters)
        return try ModelFile.read(from: output).parameters
    }

    func testAveragingWritesTheMeanOfTheParametersAfterTheLastUpdates() throws {
        // The parameters after epochs 2 and 3 (the run is the same whatever it plans later:
        // the rate is constant, and averaging changes only what is scored and written).
        let second = try singleUpdateEpochs(
            "two", epochs: 2, averageFraction: 0, averagedUpdates: [0, 0])
        let third = try singleUpdateEpochs(
            "three", epochs: 3, averageFraction: 0, averagedUpdates: [0, 0, 0])
        // Averaging over the updates of the last 70% of 3 epochs: those of epochs 2 and 3.
        let averaged = try singleUpdateEpochs(
            "averaged", epochs: 3, averageFraction: 0.7, averagedUpdates: [0, 1, 2])
        XCTAssertEqual(averaged.map(\.name), third.map(\.name))
        var differs = false
        for ((a, b), c) in zip(zip(second, third), averaged) {
            XCTAssertEqual(c.matrix.rows, b.matrix.rows)
            XCTAssertEqual(c.matrix.columns, b.matrix.columns)
            for i in 0..<c.matrix.count {
                let mean = (a.matrix.scalars[i] + b.matrix.scalars[i]) / 2
                XCTAssertEqual(
                    c.matrix.scalars[i], mean, accuracy: 1e-6 * max(1, abs(mean)), c.name)
                if c.matrix.scalars[i] != b.matrix.scalars[i] { differs = true }
            }
        }
        XCTAssertTrue(differs, "the averaged model is the last epoch's")
        // Averaging over the last update alone writes the parameters after it.
        let last = try singleUpdateEpochs(
            "last", epochs: 3, averageFraction: 0.34, averagedUpdates: [0, 0, 1])
        XCTAssertEqual(last, third)
    }
}
