import Foundation
import XCTest

/// `tagger eval --task tokenize --split-sentences --layout …` from the command line.
final class EvalLayoutCommandTests: XCTestCase {
    func testEvalNamesTheParagraphLayout() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tiny.conllu").path
        try BenchmarkCommandTests.treebank.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try TaggerProcess.run(
            [
                "eval", "--task", "tokenize", "--test", file, "--split-sentences", "--layout",
                "paragraphs", "--splitter", "perceptron",
            ], input: [])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("paragraphs separated by blank lines"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Sentences"), result.stdout)
        let wrong = try TaggerProcess.run(
            [
                "eval", "--task", "tokenize", "--test", file, "--split-sentences", "--layout",
                "lines",
            ],
            input: [])
        XCTAssertNotEqual(wrong.status, 0)
    }
}
