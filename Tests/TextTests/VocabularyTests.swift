import Text
import XCTest

final class VocabularyTests: XCTestCase {
    func testCountingOrdersByFrequencyThenCodePoint() {
        let v = Vocabulary(counting: ["b", "a", "c", "a", "b", "a", "d"])
        XCTAssertEqual(v.symbols, ["<pad>", "<unk>", "a", "b", "c", "d"])
        XCTAssertEqual(v.id(of: "a"), 2)
        XCTAssertEqual(v.id(of: "zebra"), 1, "unseen words map to <unk>")
        XCTAssertTrue(v.contains("c"))
        XCTAssertFalse(v.contains("zebra"))
        XCTAssertEqual(v.symbol(3), "b")
    }

    func testMinimumCountAndMaximumSize() {
        let words = ["x", "x", "x", "y", "y", "z"]
        XCTAssertEqual(
            Vocabulary(counting: words, minimumCount: 2).symbols, ["<pad>", "<unk>", "x", "y"])
        XCTAssertEqual(
            Vocabulary(counting: words, maximumSize: 3).symbols, ["<pad>", "<unk>", "x"])
    }

    func testClosedVocabularyReportsUnseenAsNil() {
        var tags = Vocabulary(symbols: ["NOUN", "VERB"])
        XCTAssertNil(tags.id(of: "ADJ"))
        XCTAssertEqual(tags.insert("ADJ"), 2)
        XCTAssertEqual(tags.insert("NOUN"), 0)
        XCTAssertEqual(tags.count, 3)
    }

    func testValidatingRejectsDuplicatesAndAMissingUnknownSymbol() throws {
        let words = try XCTUnwrap(
            Vocabulary(validating: ["<pad>", "<unk>", "the", "naïve"], unknown: "<unk>"))
        XCTAssertEqual(
            words, Vocabulary(symbols: ["<pad>", "<unk>", "the", "naïve"], unknown: "<unk>"))
        XCTAssertEqual(words.id(of: "naïve"), 3)
        XCTAssertEqual(words.id(of: "zebra"), 1)
        XCTAssertNil(Vocabulary(validating: ["<pad>", "<unk>", "the", "the"], unknown: "<unk>"))
        XCTAssertNil(Vocabulary(validating: ["<pad>", "the"], unknown: "<unk>"))
        // Canonically equivalent strings are the same symbol, as in a Set or a Dictionary.
        XCTAssertNil(Vocabulary(validating: ["\u{E9}", "e\u{301}"]))
        let tags = try XCTUnwrap(Vocabulary(validating: ["NOUN", "VERB"]))
        XCTAssertNil(tags.id(of: "ADJ"))
        XCTAssertEqual(tags.symbols, ["NOUN", "VERB"])
        XCTAssertEqual(Vocabulary(validating: [])?.count, 0)
    }
}
