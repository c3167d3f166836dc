import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import XCTest

/// Checkpoints as untrusted input: a real checkpoint from a short interrupted run, altered
/// through `ModelFile` and rewritten with a correct checksum (as a crafted file would be),
/// is refused by `--resume` with an error naming what is wrong, before the optimizer or the
/// loop uses it; and a sound checkpoint resumed with other data says what does not match.
final class CheckpointValidationTests: XCTestCase {
    typealias Fault = TrainingFaultTests

    private var directory = ""
    private var checkpoint: String { directory + "/run.checkpoint" }

    override func setUp() {
        directory =
            NSTemporaryDirectory()
            + "checkpoint-validation-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A trainer whose checkpoint goes to `checkpoint`.
    private func trainer() -> Trainer {
        var trainer = Trainer(options: Fault.options(epochs: 3))
        trainer.checkpointPath = checkpoint
        return trainer
    }

    /// Writes a real checkpoint: a `task` run stopped after epoch 1 and one more batch.
    private func writeCheckpoint(
        task: TaggingTask = .pos, train: [TrainingSentence] = Fault.sentences
    ) throws {
        var trainer = trainer()
        var epochsDone = 0
        var polls = 0
        trainer.onEvent = { if case .epochFinished = $0 { epochsDone += 1 } }
        trainer.shouldStop = {
            if epochsDone >= 1 { polls += 1 }
            return polls == 2
        }
        let outcome = try trainer.trainTagger(
            task: task, network: Fault.network(), train: train, dev: train)
        XCTAssertTrue(outcome.interrupted)
    }

    /// Rewrites the checkpoint after `edit` (parameters, and the JSON header as a dictionary).
    private func alter(
        parameters: (inout [ModelFile.NamedMatrix]) -> Void = { _ in },
        header: (inout [String: Any]) -> Void = { _ in }
    ) throws {
        var file = try ModelFile.read(from: checkpoint)
        parameters(&file.parameters)
        var json = try JSONSerialization.jsonObject(with: file.configuration) as! [String: Any]
        header(&json)
        file.configuration = try JSONSerialization.data(withJSONObject: json)
        try file.write(to: checkpoint)
    }

    /// Resumes and returns the error thrown (failing if none is).
    private func resumeError(
        task: TaggingTask = .pos, train: [TrainingSentence] = Fault.sentences
    ) -> Error? {
        var trainer = trainer()
        trainer.resume = true
        do {
            _ = try trainer.trainTagger(
                task: task, network: Fault.network(), train: train, dev: train)
            XCTFail("resuming did not throw")
            return nil
        } catch {
            return error
        }
    }

    /// The problem of a `CheckpointError` naming the checkpoint file.
    private func problem(_ error: Error?, file: StaticString = #filePath, line: UInt = #line)
        -> CheckpointError.Problem?
    {
        guard let error = error as? CheckpointError else {
            XCTFail("expected a CheckpointError, got \(String(describing: error))", file: file,
                line: line)
            return nil
        }
        XCTAssertEqual(error.path, checkpoint, file: file, line: line)
        let message = error.localizedDescription
        XCTAssertTrue(message.contains(checkpoint), message, file: file, line: line)
        XCTAssertTrue(message.contains("without --resume"), message, file: file, line: line)
        return error.problem
    }

    /// The name (without `optimizer.`) and shape of the first second moment of the checkpoint.
    private func firstSecondMoment() throws -> (name: String, rows: Int, columns: Int) {
        let file = try ModelFile.read(from: checkpoint)
        let p = try XCTUnwrap(file.parameters.first { $0.name.hasPrefix("optimizer.v.") })
        return (String(p.name.dropFirst("optimizer.".count)), p.matrix.rows, p.matrix.columns)
    }

    func testAnUnalteredCheckpointResumes() throws {
        try writeCheckpoint()
        var trainer = trainer()
        trainer.resume = true
        let outcome = try trainer.trainTagger(
            task: .pos, network: Fault.network(), train: Fault.sentences, dev: Fault.sentences)
        XCTAssertFalse(outcome.interrupted)
    }

    /// Was: the moment written past its end through raw pointers (heap corruption).
    func testAMomentOfTheWrongShapeIsNamedWithBothShapes() throws {
        try writeCheckpoint()
        let v = try firstSecondMoment()
        try alter(parameters: { parameters in
            let i = parameters.firstIndex { $0.name == "optimizer." + v.name }!
            parameters[i].matrix = Matrix(rows: v.rows + 3, columns: v.columns)
        })
        XCTAssertEqual(
            problem(resumeError()),
            .momentShape(
                name: v.name, expected: "[\(v.rows), \(v.columns)]",
                found: "[\(v.rows + 3), \(v.columns)]"))
    }

    /// Was: a trap (an empty matrix in the moment's place).
    func testAMissingMomentIsNamed() throws {
        try writeCheckpoint()
        let v = try firstSecondMoment()
        try alter(parameters: { $0.removeAll { $0.name == "optimizer." + v.name } })
        XCTAssertEqual(
            problem(resumeError()),
            .missingMoment(name: v.name, shape: "[\(v.rows), \(v.columns)]"))
    }

    func testAMomentOfNoParameterIsNamed() throws {
        try writeCheckpoint()
        try alter(parameters: {
            $0.append(
                ModelFile.NamedMatrix(name: "optimizer.m.nothing", matrix: Matrix(rows: 2, columns: 2)))
        })
        XCTAssertEqual(
            problem(resumeError()), .unexpectedMoment(name: "m.nothing", shape: "[2, 2]"))
    }

    func testANonFiniteMomentIsNamed() throws {
        try writeCheckpoint()
        let v = try firstSecondMoment()
        try alter(parameters: { parameters in
            let i = parameters.firstIndex { $0.name == "optimizer." + v.name }!
            parameters[i].matrix[0, 0] = .nan
        })
        // The checkpoint file's reader refuses it first, as for any model file, naming it.
        let error = resumeError()
        guard case .nonFiniteParameter(let name, let row, let column, _)? = error as? ModelFileError
        else {
            return XCTFail("expected a non-finite parameter error, got \(String(describing: error))")
        }
        XCTAssertEqual(name, "optimizer." + v.name)
        XCTAssertEqual([row, column], [0, 0])
    }

    /// Was: a trap for −5, and memory growing without end for 0.
    func testABatchSizeOutOfRangeIsNamed() throws {
        for size in [-5, 0, 1 << 40] {
            try writeCheckpoint()
            try alter(header: { header in
                var options = header["options"] as! [String: Any]
                options["batchSize"] = size
                header["options"] = options
            })
            XCTAssertEqual(
                problem(resumeError()),
                .invalidValue(name: "options.batchSize", value: "\(size)", valid: "in 1...100000"))
        }
    }

    /// Was: a trap (a range whose start is past its end).
    func testABatchPastTheEpochIsNamed() throws {
        try writeCheckpoint()
        try alter(header: { header in
            var state = header["state"] as! [String: Any]
            state["batch"] = 1 << 50
            header["state"] = state
        })
        guard case .invalidValue(let name, let value, let valid) = problem(resumeError()) else {
            return XCTFail("expected an invalid value")
        }
        XCTAssertEqual(name, "state.batch")
        XCTAssertEqual(value, "\(1 << 50)")
        XCTAssertTrue(valid.contains("at most 4"), valid)
    }

    func testLoopNumbersOutOfRangeAreNamed() throws {
        let cases: [(String, Any)] = [
            ("epoch", 0), ("epoch", 99), ("badEpochs", -1), ("rateFactor", -1.0),
            ("unitsDone", -3),
        ]
        for (key, value) in cases {
            try writeCheckpoint()
            try alter(header: { header in
                var state = header["state"] as! [String: Any]
                state[key] = value
                header["state"] = state
            })
            guard case .invalidValue(let name, _, _) = problem(resumeError()) else {
                return XCTFail("\(key) = \(value) was accepted")
            }
            XCTAssertEqual(name, "state." + key)
        }
    }

    func testANegativeStepCountIsNamed() throws {
        try writeCheckpoint()
        try alter(header: { header in
            var steps = header["steps"] as! [String: Int]
            let name = steps.keys.sorted()[0]
            steps[name] = -7
            header["steps"] = steps
        })
        guard case .invalidValue(let name, let value, _) = problem(resumeError()) else {
            return XCTFail("a negative step count was accepted")
        }
        XCTAssertTrue(name.hasPrefix("the step count of "), name)
        XCTAssertEqual(value, "-7")
    }

    /// Was: a nil unwrap in `Trainer` (a tag without an id).
    func testResumingWithTagsTheCheckpointLacksSaysWhich() throws {
        try writeCheckpoint()
        var other = Fault.sentences
        other[1].tags[1] = "AUX"
        other.append(TrainingSentence(words: ["Oh"], tags: ["INTJ"], line: 12))
        let error = resumeError(train: other)
        XCTAssertEqual(
            error as? ResumeError,
            .unknownLabels(checkpoint: checkpoint, source: "training data", labels: ["AUX", "INTJ"]))
        let message = error?.localizedDescription ?? ""
        XCTAssertTrue(message.contains("AUX, INTJ"), message)
        XCTAssertFalse(message.contains("\n"), message)
    }

    /// Was: a nil unwrap in `Trainer` (the NER checkpoint's BIOES tags are not POS tags).
    func testResumingAPOSRunFromAnNERCheckpointSaysSo() throws {
        let entities: [TrainingSentence] = [
            TrainingSentence(words: ["Ann", "met", "Bob"], tags: ["B-PER", "O", "B-PER"]),
            TrainingSentence(words: ["In", "Paris"], tags: ["O", "B-LOC"]),
        ]
        try writeCheckpoint(task: .ner, train: entities)
        let error = resumeError(task: .pos, train: Fault.sentences)
        XCTAssertEqual(
            error as? ResumeError, .otherTask(checkpoint: checkpoint, saved: "ner", requested: "pos"))
        let message = error?.localizedDescription ?? ""
        XCTAssertTrue(message.contains("tagger train ner"), message)
    }

    /// Was: gigabytes for one 1-million-token sentence, or a kill without a message.
    func testATrainingSentenceOverTheLimitIsNamedWithItsLine() throws {
        let limit = TrainingLimits.tokensPerSentence
        XCTAssertEqual(limit, 100_000)
        let long = TrainingSentence(
            words: Array(repeating: "w", count: limit + 1),
            tags: Array(repeating: "NOUN", count: limit + 1), line: 40)
        var trainer = Trainer(options: Fault.options(epochs: 1))
        trainer.trainSource = "big.conllu"
        XCTAssertThrowsError(
            try trainer.trainTagger(
                task: .pos, network: Fault.network(), train: Fault.sentences + [long],
                dev: Fault.sentences)
        ) { error in
            XCTAssertEqual(
                error as? TrainingLimitError,
                .sentenceTooLong(path: "big.conllu", line: 40, tokens: limit + 1, limit: limit))
            XCTAssertTrue(
                error.localizedDescription.hasPrefix("big.conllu:40: the sentence has 100001 tokens"),
                error.localizedDescription)
        }
    }
}
