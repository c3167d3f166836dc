import Evaluation
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
