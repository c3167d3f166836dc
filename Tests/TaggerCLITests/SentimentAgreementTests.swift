import Foundation
import Tagging
import XCTest

/// `tagger eval` of a sentiment model gives the figure that `tagger classify`'s output gives
/// on the same sentences: both tokenize each text with the shipped tokenizer.
final class SentimentAgreementTests: XCTestCase {
    /// How many sentences of SST-2 test the test reads (about a third of them are cut
    /// differently by the tokenizer than by their spaces: `-lrb-`, `'re`, hyphens).
    static let sampleSize = 200

    /// The figures `tagger eval` prints: `accuracy A  F1 F`.
    func evalFigures(model: String, test: String) throws -> String {
        let result = try TaggerProcess.run(["eval", "--model", model, "--test", test])
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("accuracy ") }
        return String(try XCTUnwrap(line, result.stdout))
    }

    /// The same figures from `tagger classify`'s labels against the gold ones (`negative`
    /// and `positive`, as classify names them).
    func classifyFigures(model: String, examples: [(label: String, text: String)]) throws
        -> String
    {
        let input = examples.map(\.text).joined(separator: "\n") + "\n"
        let result = try TaggerProcess.run(
            ["classify", "--model", model], input: Array(input.utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        let labels = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        XCTAssertEqual(labels.count, examples.count, result.stdout)
        var correct = 0
        var positive = (gold: 0, system: 0, correct: 0)
        for (example, label) in zip(examples, labels) {
            let gold = example.label
            if gold == label { correct += 1 }
            if gold == "positive" { positive.gold += 1 }
            if label == "positive" { positive.system += 1 }
            if gold == "positive", label == "positive" { positive.correct += 1 }
        }
        let f1 = 2 * Double(positive.correct) / Double(positive.gold + positive.system)
        return String(
            format: "accuracy %.2f  F1 %.2f", 100 * Double(correct) / Double(examples.count),
            100 * f1)
    }

    func testEvalGivesTheFigureOfClassifysOutput() throws {
        let repository = BenchmarkCommandTests.repository
        let corpora =
            ProcessInfo.processInfo.environment["CORPORA"]
            ?? repository.appendingPathComponent("corpora").path
        let path = corpora + "/sst2/test.txt"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "no \(path)")
        let lines = try String(contentsOfFile: path, encoding: .utf8)
            .split(separator: "\n").prefix(Self.sampleSize)
        let examples = lines.map { line in
            let cut = line.firstIndex(of: " ")!
            return (label: String(line[..<cut]), text: String(line[line.index(after: cut)...]))
        }
        let directory =
            NSTemporaryDirectory()
            + "sentiment-agreement-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        // The shipped model has SST's labels `0` and `1`, the tiny one `negative` and
        // `positive` (the names classify prints for both).
        let names = ["0": "negative", "1": "positive"]
        var runs = [(model: TinyModels.sentiment, labels: names)]
        let shipped = repository.appendingPathComponent("models/sentiment-en.model").path
        if FileManager.default.fileExists(atPath: shipped) {
            runs.append((shipped, ["0": "0", "1": "1"]))
        }
        for (k, run) in runs.enumerated() {
            let test = directory + "/test\(k).txt"
            let file = examples.map { run.labels[$0.label]! + " " + $0.text }
            try (file.joined(separator: "\n") + "\n").write(
                toFile: test, atomically: true, encoding: .utf8)
            XCTAssertEqual(
                try evalFigures(model: run.model, test: test),
                try classifyFigures(
                    model: run.model, examples: examples.map { (names[$0.label]!, $0.text) }),
                run.model)
        }
    }
}
