import Corpora
import Foundation
import LinearAlgebra
import NeuralNetwork
import Tagging
import XCTest

/// The sentence splitter's trainer on the shared training loop: an interrupted run resumed
/// from its checkpoint gives the splitter of the uninterrupted run (ensemble members
/// included), and a loss that becomes infinite stops training with the epoch and batch
/// named instead of updating the network.
final class SentenceSplitterTrainerTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory =
            NSTemporaryDirectory()
            + "splitter-trainer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private func gold() throws -> [CoNLLUSentence] {
        try CoNLLUReader(string: SentenceSplitterTests.document).readAll()
    }

    private func trainer(members: Int = 2) -> SentenceSplitterTrainer {
        var trainer = SentenceSplitterTrainer()
        trainer.members = members
        trainer.epochs = 4
        trainer.batchSize = 2
        trainer.trainingWindow = 12
        trainer.learningRate = 0.01
        trainer.wordDropout = 0.1
        trainer.outputDropout = 0.2
        trainer.minimumWordCount = 1
        trainer.configuration.hiddenSize = 8
        trainer.configuration.wordDimension = 8
        trainer.configuration.window = 16
        trainer.configuration.margin = 4
        trainer.checkpointPath = directory + "/run.checkpoint"
        return trainer
    }

    func testResumeAfterAnInterruptionGivesTheUninterruptedSplitter() throws {
        let gold = try gold()
        let straight = try XCTUnwrap(
            trainer().train(train: gold, dev: gold, tokenizer: .english))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run.checkpoint"))

        // Stopped twice: in the first member's training and in the second member's.
        var resumed: NeuralSentenceSplitter? = nil
        for stop in [3, 4, nil] {
            var trainer = trainer()
            trainer.resume = true
            var batches = 0
            if let stop {
                trainer.shouldStop = {
                    batches += 1
                    return batches == stop
                }
            }
            resumed = try trainer.train(train: gold, dev: gold, tokenizer: .english)
            XCTAssertEqual(resumed == nil, stop != nil)
            XCTAssertEqual(
                FileManager.default.fileExists(atPath: directory + "/run.checkpoint"), stop != nil)
        }
        let a = directory + "/straight.model"
        let b = directory + "/resumed.model"
        try straight.write(to: a)
        try XCTUnwrap(resumed).write(to: b)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: a)),
            try Data(contentsOf: URL(fileURLWithPath: b)))
    }

    func testNonFiniteLossNamesEpochAndBatch() throws {
        let gold = try gold()
        var trainer = trainer(members: 1)
        trainer.learningRate = 1e38
        XCTAssertThrowsError(try trainer.train(train: gold, dev: gold, tokenizer: .english)) {
            error in
            guard let error = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.epoch, 1)
            XCTAssertEqual(error.batch, 2)
            XCTAssertTrue(
                error.localizedDescription.contains("in epoch 1, batch 2"),
                error.localizedDescription)
        }
    }
}
