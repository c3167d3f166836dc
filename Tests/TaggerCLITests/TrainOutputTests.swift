import Foundation
import XCTest

/// Where `tagger train` writes, and what happens when it cannot: every task reports a
/// missing output folder (or an output that is not a regular file) before training; the
/// lexicon of `train tokenize` is saved atomically, never through a planted link, and a
/// failed save is one line; a closed or full standard error loses the diagnostics, never
/// the model.
final class TrainOutputTests: ScratchDirectoryTestCase {
    /// Runs `tagger arguments` through `sh` with `redirections` (such as `2>&-`) and
    /// `prefix` shell commands (such as `ulimit -f 0`) before it.
    private func shell(_ arguments: [String], prefix: String = "", redirections: String = "")
        throws -> TaggerProcess.Result
    {
        let script = "\(prefix) exec \"$0\" \"$@\" \(redirections)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, TaggerCLITests.taggerURL.path] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Standard error is small (one line at most here): read it after standard output.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TaggerProcess.Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    private static let conllu = """
        1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
        2\tcat\tcat\tNOUN\tNN\t_\t3\tnsubj\t_\t_
        3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t_\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        1\tDr.\tDr.\tPROPN\tNNP\t_\t2\tnsubj\t_\t_
        2\tWho\twho\tPROPN\tNNP\t_\t0\troot\t_\t_
        3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        """

    func testEveryTaskReportsAMissingOutputFolderBeforeTraining() throws {
        let data = try write("train.conllu", Self.conllu)
        let missing = directory + "/absent/model"
        for task in ["pos", "ner", "sentiment", "sentences", "charlm", "tokenize"] {
            var arguments = ["train", task, "--train", data, "--output", missing]
            if task != "tokenize" { arguments += ["--dev", data] }
            let result = try TaggerProcess.run(arguments)
            XCTAssertEqual(result.status, 64, "\(task): \(result.stderr)")
            XCTAssertTrue(
                result.stderr.hasPrefix(
                    "Error: --output \(missing): the folder \(directory)/absent does not exist."),
                "\(task): \(result.stderr)")

            arguments[arguments.firstIndex(of: missing)!] = "/dev/full"
            let device = try TaggerProcess.run(arguments)
            XCTAssertEqual(device.status, 64, "\(task): \(device.stderr)")
            XCTAssertTrue(
                device.stderr.hasPrefix("Error: --output /dev/full is not a regular file"),
                "\(task): \(device.stderr)")
        }
    }

    /// Was: `Data.write` to the predictable `OUTPUT.tmp` followed a link planted there,
    /// overwrote its target, and left the output a link to it.
    func testTrainTokenizeDoesNotFollowALinkPlantedAtTheTemporaryName() throws {
        let data = try write("train.conllu", Self.conllu)
        let output = directory + "/lexicon.tsv"
        let victim = try write("victim.txt", "keep me\n")
        for name in [output + ".tmp", output + ".tmp-0"] {
            try FileManager.default.createSymbolicLink(atPath: name, withDestinationPath: victim)
        }
        let result = try TaggerProcess.run(["train", "tokenize", "--train", data, "--output", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "keep me\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: output)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeRegular)
        let lexicon = try String(contentsOfFile: output, encoding: .utf8)
        XCTAssertTrue(lexicon.contains("Dr."), lexicon)
    }

    /// A save that cannot write (a file-size limit of 0 makes `write(2)` fail as on a full
    /// disk) is one line naming the output and the reason; the old lexicon is kept and no
    /// temporary file is left.
    func testAFailedLexiconSaveIsOneLineAndKeepsTheOldFile() throws {
        // The thread sanitizer's runtime itself dies (SIGBUS) under a file-size limit of 0.
        try XCTSkipIf(
            ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil,
            "a file-size limit of 0 stops the thread sanitizer's runtime")
        let data = try write("train.conllu", Self.conllu)
        let output = try write("lexicon.tsv", "old lexicon\n")
        let result = try shell(
            ["train", "tokenize", "--train", data, "--output", output],
            prefix: "ulimit -f 0; trap '' XFSZ;")
        XCTAssertEqual(result.status, 1, result.stderr)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertEqual(
            result.stderr,
            "Error: \(output): could not be saved (File too large); the previous file, if any, "
                + "is unchanged\n")
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "old lexicon\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertEqual(left.sorted(), ["lexicon.tsv", "train.conllu"])
    }

    /// Was: `FileHandle.write` trapped on the first progress line, before the model was saved.
    func testTrainAndEvalSurviveAClosedOrFullStandardError() throws {
        let data = try write("train.conllu", Self.conllu)
        for (index, redirection) in ["2>&-", "2>/dev/full"].enumerated() {
            let model = directory + "/pos-\(index).model"
            let trained = try shell(
                [
                    "train", "pos", "--train", data, "--dev", data, "--output", model,
                    "--epochs", "1", "--hidden", "8", "--word-dim", "8", "--char-dim", "4",
                    "--char-hidden", "4", "--threads", "1",
                ], redirections: redirection)
            XCTAssertEqual(trained.status, 0, redirection)
            let model2 = try Data(contentsOf: URL(fileURLWithPath: model))
            XCTAssertGreaterThan(model2.count, 100, redirection)
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: model + ".checkpoint"), redirection)
            let evaluated = try shell(
                ["eval", "--model", model, "--test", data], redirections: redirection)
            XCTAssertEqual(evaluated.status, 0, redirection)
            XCTAssertTrue(evaluated.stdout.contains("unknown words"), evaluated.stdout)
        }
        // The model saved with standard error closed is a sound model.
        let check = try TaggerProcess.run(
            ["eval", "--model", directory + "/pos-0.model", "--test", data])
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}
