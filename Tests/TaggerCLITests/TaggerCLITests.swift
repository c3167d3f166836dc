import Foundation
import XCTest

/// Runs the built `tagger` binary and checks stdout, stderr and exit codes exactly.
final class TaggerCLITests: XCTestCase {
    /// The `tagger` executable next to the test bundle in `.build/<config>/`.
    static var taggerURL: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle(for: TaggerCLITests.self).bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("tagger")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("tagger")
    }

    func run(_ arguments: [String], input: [UInt8]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = Self.taggerURL
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: out, as: UTF8.self),
            String(decoding: err, as: UTF8.self)
        )
    }

    func testTokenizeWritesCoNLLU() throws {
        let result = try run(["tokenize"], input: Array("I don't know, Mr. Smith.\n".utf8))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(
            result.stdout,
            """
            # sent_id = 1
            # text = I don't know, Mr. Smith.
            1\tI\t_\t_\t_\t_\t0\troot\t_\t_
            2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
            2\tdo\t_\t_\t_\t_\t1\tdep\t_\t_
            3\tn't\t_\t_\t_\t_\t1\tdep\t_\t_
            4\tknow\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No
            5\t,\t_\t_\t_\t_\t1\tdep\t_\t_
            6\tMr.\t_\t_\t_\t_\t1\tdep\t_\t_
            7\tSmith\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No
            8\t.\t_\t_\t_\t_\t1\tdep\t_\t_


            """)
    }

    func testTokenizeSplitsRunningText() throws {
        let result = try run(
            ["tokenize", "--format", "tokens", "--split-sentences"],
            input: Array("Hi there. How are you?\r\n\r\nNew paragraph".utf8))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "Hi there .\nHow are you ?\nNew paragraph\n")
    }

    func testInvalidUTF8IsReportedWithItsByteOffset() throws {
        let result = try run(
            ["tokenize", "--format", "tokens"],
            input: Array("ok\nab".utf8) + [0xFF] + Array("c\n".utf8))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("invalid UTF-8 at byte offset 5"), result.stderr)
    }

    func testReplaceInvalidKeepsGoing() throws {
        let result = try run(
            ["tokenize", "--format", "tokens", "--replace-invalid"],
            input: Array("ab".utf8) + [0xFF] + Array("c d\n".utf8))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "ab \u{FFFD} c d\n")
    }

    func testEmptyInputAndBOMAndNUL() throws {
        XCTAssertEqual(try run(["tokenize"], input: []).stdout, "")
        let result = try run(
            ["tokenize", "--format", "tokens"], input: [0xEF, 0xBB, 0xBF] + Array("a\0b\r\n".utf8))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "a b\n")
    }

    func testUsageErrorsExitWith64() throws {
        let result = try run(["eval", "--task", "nonsense", "--test", "x.conllu"], input: [])
        XCTAssertEqual(result.status, 64)
        let missing = try run(["tokenize", "--format", "xml"], input: [])
        XCTAssertEqual(missing.status, 64)
    }

    func testEvalOfAMissingFileFails() throws {
        let result = try run(
            ["eval", "--task", "tokenize", "--test", "/nonexistent/gold.conllu"], input: [])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("/nonexistent/gold.conllu"), result.stderr)
    }

    /// The shipped sentence model, `models/sentence-en.model` at the repository root.
    static var sentenceModel: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/sentence-en.model").path
    }

    func testTokenizeSplitsRunningTextWithTheSentenceModel() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.sentenceModel))
        let input = Array("Hi there. How are you? I moved to Boston last year.\n\nSee you".utf8)
        for splitter in [["--sentence-model", Self.sentenceModel], ["--splitter", "perceptron"]] {
            let result = try run(
                ["tokenize", "--format", "tokens", "--split-sentences"] + splitter, input: input)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "")
            XCTAssertEqual(
                result.stdout,
                "Hi there .\nHow are you ?\nI moved to Boston last year .\nSee you\n", "\(splitter)"
            )
        }
    }

    func testAMissingSentenceModelFails() throws {
        let result = try run(
            ["tokenize", "--split-sentences", "--sentence-model", "/nonexistent/sentence.model"],
            input: Array("Hi there.\n".utf8))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("/nonexistent/sentence.model"), result.stderr)
    }

    func testEvalRunningTextWithTheSentenceModel() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.sentenceModel))
        let gold = """
            # newdoc id = d1
            # text = Hi there.
            1\tHi\t_\t_\t_\t_\t0\troot\t_\t_
            2\tthere\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No
            3\t.\t_\t_\t_\t_\t1\tpunct\t_\t_

            # text = How are you?
            1\tHow\t_\t_\t_\t_\t0\troot\t_\t_
            2\tare\t_\t_\t_\t_\t1\tdep\t_\t_
            3\tyou\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No
            4\t?\t_\t_\t_\t_\t1\tpunct\t_\t_


            """
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("gold-\(UUID().uuidString).conllu").path
        try Data(gold.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(
            [
                "eval", "--task", "tokenize", "--test", path, "--split-sentences",
                "--sentence-model", Self.sentenceModel,
            ], input: [])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            """
            Tokenization of \(path), running text (documents joined with spaces)
            Metric     | Precision |    Recall |  F1 Score
            Tokens     |    100.00 |    100.00 |    100.00
            Words      |    100.00 |    100.00 |    100.00
            Sentences  |    100.00 |    100.00 |    100.00

            """)
    }
}
