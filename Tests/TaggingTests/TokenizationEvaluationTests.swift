import Corpora
import Evaluation
import Tagging
import Text
import XCTest

/// The tokenizer run end to end and scored (the scoring itself: EvaluationTests).
final class TokenizationEvaluationTests: XCTestCase {
    func testEWTDevScoresAboveTheBar() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("corpora")
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? root.path
        let path = corpora + "/ud-english-ewt/dev.conllu"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "CORPORA=\(corpora) has no \(path)")
        let gold = try CoNLLUReader.read(path: path)
        let result = try TokenizationEvaluation.evaluate(
            tokenizer: .english, gold: gold, runningText: false)
        XCTAssertGreaterThan(result.score.tokens.f1, 0.992)
        XCTAssertGreaterThan(result.score.words.f1, 0.990)
    }
}
