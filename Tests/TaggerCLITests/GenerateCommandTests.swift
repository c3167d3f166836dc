import Foundation
import XCTest

/// `tagger train --task charlm`, `tagger generate` and `tagger eval` of a character language
/// model, run as the built binary on a model learned from "hello" repeated.
final class GenerateCommandTests: XCTestCase {
    /// A directory with `hello.txt`, `dev.txt` and the model `hello.model` trained on them.
    static let directory: String = {
        let path =
            NSTemporaryDirectory() + "charlm-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: GenerateCommandTests.directory) }
        try! Data(String(repeating: "hello", count: 200).utf8).write(
            to: URL(fileURLWithPath: path + "/hello.txt"))
        try! Data(String(repeating: "hello", count: 20).utf8).write(
            to: URL(fileURLWithPath: path + "/dev.txt"))
        return path
    }()

    static let trained: Result<TaggerProcess.Result, Error> = Result {
        try TaggerProcess.run([
            "train", "--task", "charlm", "--train", directory + "/hello.txt", "--dev",
            directory + "/dev.txt", "--output", directory + "/hello.model", "--hidden", "16",
            "--char-dim", "8", "--batch-size", "4", "--bptt", "16", "--epochs", "30",
            "--learning-rate", "0.01", "--min-char-count", "1", "--quiet",
        ])
    }

    /// The model path, after checking that training succeeded.
    func model() throws -> String {
        let result = try Self.trained.get()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("model written to"), result.stderr)
        return Self.directory + "/hello.model"
    }

    func testGreedyGenerationContinuesThePrime() throws {
        let result = try TaggerProcess.run([
            "generate", "--model", model(), "--prime", "h", "--length", "14", "--temperature", "0",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "hellohellohello\n")
        XCTAssertEqual(result.stderr, "")
    }

    func testTheShippedModelGeneratesWithoutModelOption() throws {
        // The package's models/charlm-en.model, found without --model: greedy decoding of a
        // prime continues it with English-looking text, the same every run.
        let arguments = ["generate", "--prime", "The ", "--length", "60", "--temperature", "0"]
        let first = try TaggerProcess.run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderr, "")
        XCTAssertTrue(first.stdout.hasPrefix("The "), first.stdout)
        XCTAssertEqual(first.stdout.unicodeScalars.count, 4 + 60 + 1, first.stdout)
        let letters = first.stdout.unicodeScalars.filter { CharacterSet.letters.contains($0) }
        XCTAssertGreaterThan(letters.count, 35, first.stdout)
        XCTAssertTrue(first.stdout.contains(" the ") || first.stdout.contains(" of ")
            || first.stdout.contains(" and ") || first.stdout.contains(" to "), first.stdout)
        XCTAssertEqual(try TaggerProcess.run(arguments).stdout, first.stdout)
        // An empty models directory names the file it looked for.
        let empty = Self.directory + "/no-models"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let missing = try TaggerProcess.run(
            ["generate", "--length", "5"], environment: ["TAGGER_MODELS": empty])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("charlm-en.model"), missing.stderr)
    }

    func testSeededSamplingIsReproducible() throws {
        let arguments = [
            "generate", "--model", try model(), "--prime", "he", "--length", "40",
            "--temperature", "1.5", "--top-k", "3", "--seed", "9",
        ]
        let first = try TaggerProcess.run(arguments)
        let second = try TaggerProcess.run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        XCTAssertTrue(first.stdout.hasPrefix("he"))
        XCTAssertTrue(first.stdout.hasSuffix("\n"))
        XCTAssertEqual(first.stdout.unicodeScalars.count, 2 + 40 + 1, first.stdout)
    }

    func testEvalPrintsBitsPerCharacterAndPerplexity() throws {
        let test = Self.directory + "/dev.txt"
        let result = try TaggerProcess.run(["eval", "--model", model(), "--test", test])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.stdout)
        guard lines.count == 3 else { return }
        XCTAssertEqual(lines[0], "Character language model on \(test): 100 characters")
        XCTAssertNotNil(
            lines[1].range(
                of: #"^bits per character 0\.[0-9]{4}  perplexity 1\.[0-9]{4}$"#,
                options: .regularExpression), lines[1])
        // h, e and o are a fifth of the text each, l two fifths (add-one smoothed).
        XCTAssertEqual(lines[2], "unigram of the training counts: bits per character 1.9234")
    }

    func testUsageAndInputErrors() throws {
        let model = try model()
        let negative = try TaggerProcess.run(
            ["generate", "--model", model, "--temperature", "-1"])
        XCTAssertEqual(negative.status, 64)
        XCTAssertTrue(negative.stderr.contains("--temperature"), negative.stderr)
        XCTAssertEqual(
            try TaggerProcess.run(["generate", "--model", model, "--top-k", "0"]).status, 64)

        let missing = try TaggerProcess.run(["generate", "--model", Self.directory + "/none.model"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("none.model"), missing.stderr)

        let bptt = try TaggerProcess.run([
            "train", "--task", "charlm", "--train", Self.directory + "/hello.txt", "--output",
            Self.directory + "/x.model", "--bptt", "8:16",
        ])
        XCTAssertEqual(bptt.status, 64)
        XCTAssertTrue(bptt.stderr.contains("--bptt"), bptt.stderr)

        let invalid = Self.directory + "/invalid.txt"
        try Data(Array("fine\nbr".utf8) + [0xC3, 0x28] + Array("ken\n".utf8)).write(
            to: URL(fileURLWithPath: invalid))
        let utf8 = try TaggerProcess.run([
            "train", "--task", "charlm", "--train", invalid, "--output",
            Self.directory + "/x.model",
        ])
        XCTAssertEqual(utf8.status, 1)
        XCTAssertTrue(
            utf8.stderr.contains("invalid.txt:2: invalid UTF-8 at byte offset 7"), utf8.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.directory + "/x.model"))

        let empty = Self.directory + "/empty.txt"
        try Data().write(to: URL(fileURLWithPath: empty))
        let none = try TaggerProcess.run(["eval", "--model", model, "--test", empty])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("empty.txt: the text is empty"), none.stderr)
    }
}
