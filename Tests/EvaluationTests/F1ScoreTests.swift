import Evaluation
import XCTest

final class F1ScoreTests: XCTestCase {
    func testRatiosFromCounts() {
        let score = F1Score(correct: 3, gold: 4, system: 6)
        XCTAssertEqual(score.precision, 0.5)
        XCTAssertEqual(score.recall, 0.75)
        XCTAssertEqual(score.f1, 0.6, accuracy: 1e-12)
        XCTAssertEqual(score.f1, 2 * 0.5 * 0.75 / (0.5 + 0.75), accuracy: 1e-12)
    }

    /// conlleval and the CoNLL 2018 script: a ratio with a zero denominator is 0, so
    /// nothing expected and nothing produced scores 0 everywhere, not 1.
    func testEmptyInputScoresZero() {
        let empty = F1Score()
        XCTAssertEqual(empty, F1Score(correct: 0, gold: 0, system: 0))
        XCTAssertEqual(empty.precision, 0)
        XCTAssertEqual(empty.recall, 0)
        XCTAssertEqual(empty.f1, 0)
    }

    func testOneSideEmptyScoresZero() {
        let nothingPredicted = F1Score(correct: 0, gold: 5, system: 0)
        XCTAssertEqual(nothingPredicted.precision, 0)
        XCTAssertEqual(nothingPredicted.recall, 0)
        XCTAssertEqual(nothingPredicted.f1, 0)
        let nothingExpected = F1Score(correct: 0, gold: 0, system: 2)
        XCTAssertEqual(nothingExpected.precision, 0)
        XCTAssertEqual(nothingExpected.recall, 0)
        XCTAssertEqual(nothingExpected.f1, 0)
    }

    func testPerfectScoresOne() {
        let perfect = F1Score(correct: 7, gold: 7, system: 7)
        XCTAssertEqual(perfect.precision, 1)
        XCTAssertEqual(perfect.recall, 1)
        XCTAssertEqual(perfect.f1, 1)
    }

    func testAddingMicroAveragesTheCounts() {
        var total = F1Score(correct: 1, gold: 2, system: 1)
        total += F1Score(correct: 2, gold: 2, system: 4)
        XCTAssertEqual(total, F1Score(correct: 3, gold: 4, system: 5))
        XCTAssertEqual(total.f1, 6.0 / 9.0, accuracy: 1e-12)
    }

    func testCodableRoundTrip() throws {
        let score = F1Score(correct: 2, gold: 3, system: 4)
        let data = try JSONEncoder().encode(score)
        XCTAssertEqual(try JSONDecoder().decode(F1Score.self, from: data), score)
    }
}
