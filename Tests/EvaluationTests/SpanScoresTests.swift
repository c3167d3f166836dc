import Evaluation
import Text
import XCTest

final class SpanScoresTests: XCTestCase {
    /// One PER found exactly, one LOC found with the wrong extent, one ORG invented.
    func testExactMatchPerTypeAndMicroAverage() {
        var scores = SpanScores()
        scores.add(
            gold: ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"],
            predicted: ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"],
            goldScheme: .iob2, predictedScheme: .iob2)
        XCTAssertEqual(scores.perType["PER"], F1Score(correct: 1, gold: 1, system: 1))
        XCTAssertEqual(scores.perType["LOC"], F1Score(correct: 0, gold: 1, system: 1))
        XCTAssertEqual(scores.perType["ORG"], F1Score(correct: 0, gold: 0, system: 1))
        XCTAssertEqual(scores.overall, F1Score(correct: 1, gold: 2, system: 3))
        XCTAssertEqual(scores.overall.f1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(scores.tokens, 6)
        XCTAssertEqual(scores.correctTokens, 4)
        XCTAssertEqual(scores.tokenAccuracy, 4.0 / 6.0, accuracy: 1e-12)
    }

    func testOverallIsTheSumOfTheTypes() {
        var scores = SpanScores()
        scores.add(
            gold: ["B-PER", "O", "B-LOC"], predicted: ["B-PER", "B-LOC", "B-LOC"],
            goldScheme: .iob2, predictedScheme: .iob2)
        scores.add(
            gold: ["B-ORG", "I-ORG"], predicted: ["B-ORG", "I-ORG"], goldScheme: .iob2,
            predictedScheme: .iob2)
        XCTAssertEqual(scores.perType.values.reduce(F1Score(), +), scores.overall)
    }

    /// Sentences without entities on either side give the conlleval figures: 0, not 1.
    func testNoEntitiesAnywhereScoresZero() {
        var scores = SpanScores()
        scores.add(
            gold: ["O", "O"], predicted: ["O", "O"], goldScheme: .iob2, predictedScheme: .iob2)
        XCTAssertEqual(scores.overall, F1Score())
        XCTAssertEqual(scores.overall.f1, 0)
        XCTAssertEqual(scores.tokenAccuracy, 1)
    }
}
