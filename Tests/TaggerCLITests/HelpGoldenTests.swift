import Foundation
import XCTest

/// The help of `tagger` commands, compared byte for byte with the files in `Golden/`
/// (regenerated with `UPDATE_GOLDEN=1`), at a fixed width; and the defaults the help of
/// each training task prints are the ones its training uses.
final class HelpGoldenTests: XCTestCase {
    /// Each command line whose standard output is kept, with its file in `Golden/`.
    static let cases: [(arguments: [String], file: String)] = [
        (["--help"], "tagger.txt"),
        (["annotate", "--help"], "annotate.txt"),
        (["tag", "--help"], "tag.txt"),
        (["classify", "--help"], "classify.txt"),
        (["tokenize", "--help"], "tokenize.txt"),
        (["eval", "--help"], "eval.txt"),
        (["generate", "--help"], "generate.txt"),
        (["benchmark", "--help"], "benchmark.txt"),
        (["serve", "--help"], "serve.txt"),
        (["info", "--help"], "info.txt"),
        (["vectors", "--help"], "vectors.txt"),
        (["vectors", "table", "--help"], "vectors-table.txt"),
        (["vectors", "share", "--help"], "vectors-share.txt"),
        (["vectors", "dense", "--help"], "vectors-dense.txt"),
        (["vectors", "quantize", "--help"], "vectors-quantize.txt"),
        (["benchmark", "ref", "--help"], "benchmark-ref.txt"),
        (["benchmark", "blas", "--help"], "benchmark-blas.txt"),
        (["benchmark", "encoder", "--help"], "benchmark-encoder.txt"),
        (["benchmark", "tokenizer", "--help"], "benchmark-tokenizer.txt"),
        (["train", "--help"], "train.txt"),
        (["train", "--task", "pos", "--help"], "train-pos.txt"),
        (["train", "--task", "ner", "--help"], "train-ner.txt"),
        (["train", "--task", "pos+ner", "--help"], "train-pos-ner.txt"),
        (["train", "--task", "sentiment", "--help"], "train-sentiment.txt"),
        (["train", "--task", "sentences", "--help"], "train-sentences.txt"),
        (["train", "--task", "charlm", "--help"], "train-charlm.txt"),
        (["train", "--task", "tokenize", "--help"], "train-tokenize.txt"),
    ]

    /// The training tasks, with the file options each needs to run.
    static let tasks: [(task: String, files: [String])] = [
        ("pos", ["--train", "x", "--dev", "x"]), ("ner", ["--train", "x", "--dev", "x"]),
        ("pos+ner", ["--train", "x", "--dev", "x", "--ner-train", "x", "--ner-dev", "x"]),
        ("sentiment", ["--train", "x", "--dev", "x"]),
        ("sentences", ["--train", "x", "--dev", "x"]), ("charlm", ["--train", "x"]),
        ("tokenize", ["--train", "x"]),
    ]

    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    /// Runs `tagger arguments` at a width of 100 columns.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = TaggerCLITests.taggerURL
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "100"
        process.environment = environment
        let (stdout, stderr) = (Pipe(), Pipe())
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: out, as: UTF8.self),
            String(decoding: err, as: UTF8.self)
        )
    }

    func testHelpMatchesTheGoldenFiles() throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        for (arguments, file) in Self.cases {
            let result = try Self.run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            let url = Self.goldenFolder.appendingPathComponent(file)
            if update {
                try FileManager.default.createDirectory(
                    at: Self.goldenFolder, withIntermediateDirectories: true)
                try Data(result.stdout.utf8).write(to: url)
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(
                result.stdout, expected,
                "tagger \(arguments.joined(separator: " ")) differs from Golden/\(file); run with UPDATE_GOLDEN=1 to accept it"
            )
        }
    }

    /// `--name <value> … (default: X)` for every option of a help text whose default is
    /// shown (flags with `--name/--no-name` give `true` or `false`).
    static func documentedDefaults(_ help: String) -> [String: String] {
        var result: [String: String] = [:]
        // Option lines and their continuations, joined, so a default on the next line counts.
        var entries: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("-") || trimmed.isEmpty || line.first != " " {
                entries.append(String(trimmed))
            } else if !entries.isEmpty {
                entries[entries.count - 1] += " " + trimmed
            }
        }
        for entry in entries where entry.hasPrefix("--") && entry.hasSuffix(")") {
            // ArgumentParser's own note ends the entry: `(default: X)` or
            // `(values: …; default: X)`.
            guard let open = entry.range(of: "(", options: .backwards),
                let marker = entry.range(of: "default: ", range: open.upperBound..<entry.endIndex)
            else { continue }
            let value = entry[marker.upperBound...].dropLast()
            let flag = entry.prefix { $0 != " " && $0 != "/" }
            let name = String(flag.dropFirst(2))
            if value.hasPrefix("--") {
                result[name] = value == "--" + name ? "true" : "false"
            } else {
                result[name] = String(value)
            }
        }
        return result
    }

    func testTheDefaultsInTheHelpAreTheDefaultsUsed() throws {
        let folder = NSTemporaryDirectory()
        for (task, files) in Self.tasks {
            let help = try Self.run(["train", "--task", task, "--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            let documented = Self.documentedDefaults(help.stdout)
            XCTAssertFalse(documented.isEmpty, "no defaults in the help of \(task)")
            let resolved = try Self.run(
                ["train", "--task", task] + files + [
                    "--output", folder + "unused-\(getpid()).model", "--print-options",
                ])
            XCTAssertEqual(resolved.status, 0, "\(task): \(resolved.stderr)")
            let used = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [String: String],
                resolved.stdout)
            for (name, value) in documented {
                XCTAssertEqual(
                    used[name], value, "train --task \(task): --\(name) is documented as \(value)")
            }
            for (name, value) in used where value != "true" && value != "false" {
                XCTAssertNotNil(
                    documented[name], "train --task \(task): --\(name) has no documented default")
            }
        }
    }

    func testTaskOptionAndSubcommandAreTheSame() throws {
        for (task, _) in Self.tasks {
            let a = try Self.run(["train", "--task", task, "--help"])
            let b = try Self.run(["train", task, "--help"])
            let c = try Self.run(["train", "--task=\(task)", "--help"])
            XCTAssertEqual(a.stdout, b.stdout)
            XCTAssertEqual(a.stdout, c.stdout)
        }
    }

    func testBadOptionsExit64WithTheTasksUsage() throws {
        let folder = NSTemporaryDirectory()
        let missingFolder = try Self.run([
            "train", "--task", "ner", "--train", "x", "--dev", "x", "--output",
            folder + "no-such-folder-\(getpid())/ner.model",
        ])
        XCTAssertEqual(missingFolder.status, 64)
        XCTAssertTrue(missingFolder.stderr.contains("does not exist"), missingFolder.stderr)
        XCTAssertTrue(
            missingFolder.stderr.contains("Usage: tagger train ner"), missingFolder.stderr)

        let charlm = try Self.run([
            "train", "--task", "charlm", "--train", "x", "--output", folder + "x.model",
            "--dropout", "1.5",
        ])
        XCTAssertEqual(charlm.status, 64)
        XCTAssertTrue(charlm.stderr.contains("Usage: tagger train charlm"), charlm.stderr)

        let sentencesWithoutDev = try Self.run([
            "train", "--task", "sentences", "--train", "x", "--output", folder + "x.model",
        ])
        XCTAssertEqual(sentencesWithoutDev.status, 64)
        XCTAssertTrue(sentencesWithoutDev.stderr.contains("--dev"), sentencesWithoutDev.stderr)
    }
}
