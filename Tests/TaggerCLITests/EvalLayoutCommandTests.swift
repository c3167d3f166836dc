import Foundation
import XCTest

/// `tagger eval --task tokenize --split-sentences --layout …` from the command line.
final class EvalLayoutCommandTests: XCTestCase {
    func testEvalNamesTheParagraphLayout() throws {
        let file = try BenchmarkCommandTests.temporaryTreebank()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try TaggerProcess.run(
            [
                "eval", "--task", "tokenize", "--test", file, "--split-sentences", "--layout",
                "paragraphs", "--splitter", "perceptron",
            ], input: [])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("paragraphs separated by blank lines"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Sentences"), result.stdout)
        let lines = try TaggerProcess.run(
            [
                "eval", "--task", "tokenize", "--test", file, "--split-sentences", "--layout",
                "lines", "--splitter", "perceptron",
            ], input: [])
        XCTAssertEqual(lines.status, 0, lines.stderr)
        XCTAssertTrue(lines.stdout.contains("one document a line"), lines.stdout)
        let wrong = try TaggerProcess.run(
            [
                "eval", "--task", "tokenize", "--test", file, "--split-sentences", "--layout",
                "columns",
            ],
            input: [])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("columns"), wrong.stderr)
    }
}
