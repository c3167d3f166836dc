import Evaluation
import Text
import XCTest

final class TokenAccuracyTests: XCTestCase {
    func testAccuracyOverallKnownAndUnknown() {
        var scores = TokenAccuracy()
        scores.add(
            gold: ["DET", "NOUN", "VERB", "ADV"], predicted: ["DET", "VERB", "VERB", "ADJ"],
            known: [true, true, false, false])
        XCTAssertEqual(scores.total, 4)
        XCTAssertEqual(scores.accuracy, 0.5)
        XCTAssertEqual(scores.knownTotal, 2)
        XCTAssertEqual(scores.knownAccuracy, 0.5)
        XCTAssertEqual(scores.unknownTotal, 2)
        XCTAssertEqual(scores.unknownAccuracy, 0.5)
        XCTAssertEqual(
            scores.confusions.mostFrequentErrors(limit: 5),
            [
                Confusion(gold: "ADV", predicted: "ADJ", count: 1),
                Confusion(gold: "NOUN", predicted: "VERB", count: 1),
            ])
    }

    func testEmptyAccuracyIsZero() {
        let scores = TokenAccuracy()
        XCTAssertEqual(scores.accuracy, 0)
        XCTAssertEqual(scores.knownAccuracy, 0)
        XCTAssertEqual(scores.unknownAccuracy, 0)
    }
}

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
