import Evaluation
import XCTest

final class LabelCoverageTests: XCTestCase {
    func testCountsUnknownLabelsMostFrequentFirst() {
        var coverage = LabelCoverage(known: ["NOUN", "VERB", "DET"])
        coverage.add(["O", "B-PER", "O", "NOUN", "I-PER", "O", "B-PER"])
        XCTAssertEqual(coverage.total, 7)
        XCTAssertEqual(coverage.unknown, 6)
        XCTAssertTrue(coverage.isMostlyUnknown)
        XCTAssertEqual(coverage.mostFrequentUnknown(limit: 2), ["O", "B-PER"])
        XCTAssertEqual(coverage.mostFrequentUnknown(limit: 9), ["O", "B-PER", "I-PER"])
    }

    func testHalfOrFewerUnknownPasses() throws {
        var coverage = LabelCoverage(known: ["O", "B-PER", "I-PER"])
        coverage.add(["O", "B-MISC", "O", "B-MISC"])
        XCTAssertFalse(coverage.isMostlyUnknown)
        XCTAssertNoThrow(try coverage.check(file: "t.iob2", task: "NER"))
        XCTAssertNoThrow(try LabelCoverage(known: []).check(file: "empty", task: "POS"))
    }

    func testCheckThrowsAOneLineMessage() {
        var coverage = LabelCoverage(known: ["ADJ", "ADP", "ADV", "AUX", "DET", "NOUN", "VERB"])
        coverage.add(["O", "O", "B-LOC", "NOUN"])
        XCTAssertThrowsError(try coverage.check(file: "test.iob2", task: "POS")) { error in
            XCTAssertEqual(
                error as? EvaluationError,
                .goldLabelsUnknownToModel(
                    file: "test.iob2", task: "POS", unknown: 3, total: 4, examples: ["O", "B-LOC"],
                    modelLabels: ["ADJ", "ADP", "ADV", "AUX", "DET", "NOUN", "VERB"]))
            XCTAssertEqual(
                error.localizedDescription,
                "test.iob2: 3 of 4 gold labels are unknown to this POS model (O, B-LOC; the model "
                    + "has ADJ, ADP, ADV, AUX, DET, …): the file was made for another task; "
                    + "evaluate a model of that task on it, or give a test file labelled for POS")
        }
    }
}
