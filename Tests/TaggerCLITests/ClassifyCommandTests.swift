import Foundation
import Tagging
import XCTest

/// `tagger classify`: one line out per line in, tsv and json, and the error exits.
final class ClassifyCommandTests: XCTestCase {
    func classify(_ arguments: [String], _ input: String, environment: [String: String] = [:])
        throws -> TaggerProcess.Result
    {
        try TaggerProcess.run(
            ["classify"] + arguments, input: Array(input.utf8), environment: environment)
    }

    /// The probabilities the library gives for the tokenized texts, with four decimals.
    func expectedProbabilities(_ texts: [[String]]) throws -> [[Float]] {
        try SentimentModel.load(path: TinyModels.sentiment).probabilities(texts)
    }

    func testTSVHasOneLinePerInputLine() throws {
        let result = try classify(
            ["--model", TinyModels.sentiment], "a fine film\n\nhated it\r\nA dull film")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 5, result.stdout)
        guard lines.count == 5 else { return }
        XCTAssertEqual(lines[1], "")
        XCTAssertEqual(lines[4], "")
        let expected = try expectedProbabilities([
            ["a", "fine", "film"], ["hated", "it"], ["A", "dull", "film"],
        ])
        for (line, p) in zip([lines[0], lines[2], lines[3]], expected) {
            let fields = line.split(separator: "\t")
            XCTAssertEqual(fields.count, 2, String(line))
            guard fields.count == 2 else { continue }
            XCTAssertTrue(
                fields[1].range(of: #"^[01]\.[0-9]{4}$"#, options: .regularExpression) != nil)
            // Half a unit of the last printed digit: the probability is the model's own.
            XCTAssertEqual(Float(fields[1])!, p.max()!, accuracy: 5.1e-5)
        }
        XCTAssertEqual(lines[0].split(separator: "\t").first, "positive")
        XCTAssertEqual(lines[2].split(separator: "\t").first, "negative")
    }

    func testJSONLines() throws {
        let result = try classify(
            ["--model", TinyModels.sentiment, "--format", "json"], "loved \"it\"\n \n")
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stdout)
        guard lines.count == 2 else { return }
        let masked = lines[0].replacingOccurrences(
            of: #"[01]\.[0-9]{4}"#, with: "P", options: .regularExpression)
        XCTAssertEqual(
            masked,
            #"{"text":"loved \"it\"","label":"positive","probability":P,"probabilities":{"negative":P,"positive":P}}"#
        )
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let all = try XCTUnwrap(object["probabilities"] as? [String: Double])
        XCTAssertEqual(all.values.reduce(0, +), 1, accuracy: 1e-3)
        XCTAssertEqual(object["probability"] as? Double, all["positive"])
        XCTAssertEqual(
            lines[1], #"{"text":" ","label":null,"probability":null,"probabilities":null}"#)
    }

    func testFirstOutputArrivesBeforeTheInputEnds() throws {
        let run = try TaggerProcess.streamed(
            ["classify", "--model", TinyModels.sentiment], first: "a fine film\n",
            then: "hated it\n")
        XCTAssertTrue(run.first.hasPrefix("positive\t"), run.first)
        XCTAssertTrue(run.wasRunning)
        XCTAssertTrue(run.rest.hasPrefix("negative\t"), run.rest)
        XCTAssertEqual(run.status, 0)
    }

    func testDefaultModelAndErrors() throws {
        _ = TinyModels.sentiment
        let found = try classify(
            [], "a fine film\n", environment: ["TAGGER_MODELS": TinyModels.directory])
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stdout.hasPrefix("positive\t"), found.stdout)

        let missing = try classify(
            [], "a fine film\n", environment: ["TAGGER_MODELS": "/nonexistent/models"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("sentiment-en.model"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("make models"), missing.stderr)

        let wrongKind = try classify(["--model", TinyModels.pos], "a fine film\n")
        XCTAssertEqual(wrongKind.status, 1)
        XCTAssertTrue(wrongKind.stderr.contains(TinyModels.pos), wrongKind.stderr)

        let empty = try classify(["--model", TinyModels.sentiment], "")
        XCTAssertEqual(empty.status, 0)
        XCTAssertEqual(empty.stdout, "")

        let invalid = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment],
            input: Array("a fine film\nloved".utf8) + [0xE2, 0x28])
        XCTAssertEqual(invalid.status, 1)
        XCTAssertTrue(
            invalid.stderr.contains(":2: invalid UTF-8 at byte offset 17"), invalid.stderr)
        XCTAssertTrue(invalid.stdout.hasPrefix("positive\t"), invalid.stdout)

        let usage = try classify(["--model", TinyModels.sentiment, "--format", "conllu"], "")
        XCTAssertEqual(usage.status, 64)
    }
}
