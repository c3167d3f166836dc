import Evaluation
import XCTest

final class ClassificationScoresTests: XCTestCase {
    func testAccuracyAndPositiveClassF1() {
        var scores = ClassificationScores()
        for (gold, predicted) in [("1", "1"), ("1", "0"), ("0", "0"), ("0", "1"), ("1", "1")] {
            scores.add(gold: gold, predicted: predicted)
        }
        XCTAssertEqual(scores.total, 5)
        XCTAssertEqual(scores.accuracy, 0.6)
        XCTAssertEqual(scores.perLabel["1"], F1Score(correct: 2, gold: 3, system: 3))
        XCTAssertEqual(scores.perLabel["0"], F1Score(correct: 1, gold: 2, system: 2))
        XCTAssertEqual(scores.f1, scores.perLabel["1"]!.f1)
        XCTAssertEqual(
            scores.confusions.mostFrequentErrors(limit: 1),
            [Confusion(gold: "0", predicted: "1", count: 1)])
    }

    func testMacroAverageOverThreeLabels() {
        var scores = ClassificationScores()
        scores.add(gold: "a", predicted: "a")
        scores.add(gold: "b", predicted: "c")
        let expected = (1.0 + 0 + 0) / 3
        XCTAssertEqual(scores.f1, expected, accuracy: 1e-12)
    }

    func testEmptyScoresZero() {
        let scores = ClassificationScores()
        XCTAssertEqual(scores.accuracy, 0)
        XCTAssertEqual(scores.f1, 0)
    }
}
