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

    /// Lookups answer as a `[String: Int]` would: canonically equivalent strings are one
    /// symbol, including the three non-ASCII scalars whose NFC form is ASCII.
    func testLookupsFollowStringEquality() throws {
        let v = Vocabulary(
            symbols: ["<unk>", "K", "caf\u{E9}", ";", "x`y", "\u{212A}\u{301}"], unknown: "<unk>")
        XCTAssertEqual(v.id(of: "\u{212A}"), 1)
        XCTAssertEqual(v.id(of: "cafe\u{301}"), 2)
        XCTAssertEqual(v.id(of: "\u{37E}"), 3)
        XCTAssertEqual(v.id(of: "x\u{1FEF}y"), 4)
        XCTAssertEqual(v.id(of: "K\u{301}"), 5)
        XCTAssertEqual(v.id(of: "\u{1E30}"), 5)
        XCTAssertEqual(v.id(of: "k"), 0)
        XCTAssertFalse(v.contains("K\u{300}"))
        XCTAssertNil(Vocabulary(validating: ["\u{212A}", "K"]))
        XCTAssertNil(Vocabulary(validating: ["a;b", "a\u{37E}b"]))
        XCTAssertEqual(
            Vocabulary(symbols: ["\u{212A}"]), Vocabulary(symbols: ["K"]),
            "equal as arrays of strings")
    }

    /// Random strings over an alphabet of ASCII, the three ASCII-equivalent scalars,
    /// precomposed and combining forms and emoji, inserted one by one (so that the table
    /// grows many times) and looked up: every answer is the one of a `[String: Int]`.
    func testRandomStringsAgreeWithADictionary() {
        let alphabet: [String] = [
            "a", "b", "K", ";", "`", "\u{212A}", "\u{37E}", "\u{1FEF}", "\u{E9}", "e", "\u{301}",
            "\u{300}", "\u{1E30}", "😀", "\u{FE0F}", "ß", "\u{7F}", "\u{80}",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func randomString() -> String {
            (0..<(1 + next(4))).map { _ in alphabet[next(alphabet.count)] }.joined()
        }
        var vocabulary = Vocabulary(symbols: [])
        var reference: [String: Int] = [:]
        for _ in 0..<3000 {
            let s = randomString()
            let id = vocabulary.insert(s)
            if let known = reference[s] {
                XCTAssertEqual(id, known, s.debugDescription)
            } else {
                XCTAssertEqual(id, reference.count, s.debugDescription)
                reference[s] = id
            }
        }
        XCTAssertEqual(vocabulary.count, reference.count)
        for _ in 0..<3000 {
            let s = randomString()
            XCTAssertEqual(vocabulary.id(of: s), reference[s], s.debugDescription)
        }
        let rebuilt = Vocabulary(symbols: vocabulary.symbols)
        XCTAssertEqual(rebuilt, vocabulary)
        for (s, id) in reference { XCTAssertEqual(rebuilt.id(of: s), id, s.debugDescription) }
    }
}
