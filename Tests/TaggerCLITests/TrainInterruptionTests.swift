import Foundation
import XCTest

/// `tagger train` stopped from outside: Ctrl-C (SIGINT) writes a checkpoint from which
/// `--resume` reaches the very model an uninterrupted run writes, and a process killed
/// while it saves leaves the previous model file intact.
final class TrainInterruptionTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory =
            NSTemporaryDirectory()
            + "train-interruption-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A CoNLL-U file of `count` generated sentences (deterministic), with its path.
    private func corpus(_ count: Int) throws -> String {
        let words: [(String, String)] = [
            ("the", "DET"), ("a", "DET"), ("cat", "NOUN"), ("dog", "NOUN"), ("house", "NOUN"),
            ("runs", "VERB"), ("sleeps", "VERB"), ("sees", "VERB"), ("big", "ADJ"),
            ("small", "ADJ"), ("quickly", "ADV"), ("she", "PRON"), ("in", "ADP"), (".", "PUNCT"),
        ]
        var state: UInt64 = 99
        var text = ""
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = 3 + Int(state >> 60)
            for i in 1...length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let (form, tag) = words[Int(state >> 33) % words.count]
                text += "\(i)\t\(form)\t_\t\(tag)\t_\t_\t_\t_\t_\t_\n"
            }
            text += "\n"
        }
        let path = directory + "/train.conllu"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func trainArguments(_ data: String, output: String, epochs: Int, hidden: Int)
        -> [String]
    {
        [
            "train", "--task", "pos", "--train", data, "--dev", data, "--output", output,
            "--epochs", "\(epochs)", "--seed", "5", "--threads", "1", "--hidden", "\(hidden)",
            "--word-dim", "16", "--char-dim", "8", "--char-hidden", "8", "--batch-size", "4",
            "--patience", "100", "--quiet",
        ]
    }

    /// Starts `tagger arguments` with standard error on a pipe.
    private func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = TaggerCLITests.taggerURL
        process.arguments = arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, stderr)
    }

    func testSIGINTCheckpointsAndResumeGivesTheUninterruptedModel() throws {
        let data = try corpus(200)
        let straight = directory + "/straight.model"
        let whole = try TaggerProcess.run(
            trainArguments(data, output: straight, epochs: 4, hidden: 16))
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let resumed = directory + "/resumed.model"
        let arguments = trainArguments(data, output: resumed, epochs: 4, hidden: 16)
        let (process, stderr) = try start(arguments)
        // Interrupt once the first epoch is done, that is in the middle of the second.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("epoch 1:") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        process.interrupt()
        seen.append(stderr.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        let message = String(decoding: seen, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(
            message.contains(
                "interrupted: checkpoint saved to \(resumed).checkpoint; continue with the same command and --resume"
            ), message)
        XCTAssertFalse(message.contains("epoch 4:"), message)

        let rest = try TaggerProcess.run(arguments + ["--resume"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        XCTAssertTrue(rest.stderr.contains("epoch 4:"), rest.stderr)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: resumed)),
            try Data(contentsOf: URL(fileURLWithPath: straight)),
            "the resumed run must write the model of the uninterrupted run")
    }

    /// Kills `tagger train` (SIGKILL) while its temporary model file exists, before the
    /// rename: the model at the output path must be the previous one, byte for byte.
    func testKillDuringSaveLeavesThePreviousModel() throws {
        let data = try corpus(8)
        let output = directory + "/model.model"
        try FileManager.default.copyItem(atPath: TinyModels.pos, toPath: output)
        let previous = try Data(contentsOf: URL(fileURLWithPath: output))
        var caughtMidSave = false
        for _ in 0..<5 where !caughtMidSave {
            // A large network, so writing and flushing the file takes a while.
            let (process, _) = try start(
                trainArguments(data, output: output, epochs: 1, hidden: 384))
            let temporary = output + ".tmp-\(process.processIdentifier)"
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline {
                if FileManager.default.fileExists(atPath: temporary) {
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(20)
            }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal
                && FileManager.default.fileExists(atPath: temporary)
            {
                caughtMidSave = true
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), previous)
                try FileManager.default.removeItem(atPath: temporary)
            } else {
                // The rename won the race: the file is the complete new model. Start over.
                try FileManager.default.removeItem(atPath: output)
                try FileManager.default.copyItem(atPath: TinyModels.pos, toPath: output)
            }
        }
        XCTAssertTrue(caughtMidSave, "no attempt was killed while the temporary file existed")
        let check = try TaggerProcess.run(
            ["tag", "--model", output], input: Array("The cat ran .\n".utf8))
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}
