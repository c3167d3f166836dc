import Corpora
import Text
import XCTest

/// `word<TAB>tag` files (what `tagger tag --format conll` writes) read through the
/// CoNLL-2003 and Universal NER formats, which keep reading their own files as before.
final class TokenTagColumnTests: XCTestCase {
    static let tagged = "Alice\tB-PER\nSmith\tI-PER\nmoved\tO\n\n#hashtag\tO\n3\tO\n\n"

    private func read(_ text: String, _ format: ColumnFormat) throws -> [ColumnItem] {
        try ColumnReader(string: text, format: format, name: "t.txt").readAll()
    }

    func testTwoTabColumnsReadThroughEveryFormatThatAcceptsThem() throws {
        var free = ColumnFormat.conll2003
        free.columnCount = nil
        free.tagColumn = nil
        var unchecked = ColumnFormat.indexTokenTag
        unchecked.tagScheme = nil
        for format in [ColumnFormat.tokenTag, .conll2003, .indexTokenTag, free, unchecked] {
            let reader = ColumnReader(string: Self.tagged, format: format, name: "t.txt")
            let sentences = try reader.readAll().compactMap(\.sentence)
            XCTAssertEqual(
                sentences.map(\.tokens), [["Alice", "Smith", "moved"], ["#hashtag", "3"]])
            XCTAssertEqual(sentences.map(\.tags), [["B-PER", "I-PER", "O"], ["O", "O"]])
            XCTAssertEqual(reader.format.columnCount, 2)
            XCTAssertEqual(reader.format.separator, .tab)
            XCTAssertEqual(ColumnWriter.string(sentences: sentences), Self.tagged)
        }
    }

    func testDeclaredFormatsStillReadTheirOwnFiles() throws {
        let uner = try read(ColumnReaderTests.uner, .indexTokenTag).compactMap(\.sentence)
        XCTAssertEqual(uner.map(\.tokens), [["Al", "-", "Zaman", ":"], ["Bush"]])
        XCTAssertEqual(uner[0].comments.count, 3)
        let conll = try read(ColumnReaderTests.conll2003, .conll2003)
        XCTAssertEqual(
            conll.compactMap(\.sentence).map(\.tags)[0], ["I-ORG", "O", "I-MISC", "O", "O"])
        XCTAssertEqual(conll.filter { $0.sentence == nil }.count, 2)
    }

    /// An index column running 1, 2, 3… with a second column is a Universal NER file that
    /// lost its tags, not a token-tag file.
    func testIndexThenTokenIsStillAMissingColumn() {
        assertMalformed(
            try read("1\tAlice\n2\tSmith\n", .indexTokenTag), line: 1,
            reason: .wrongColumnCount(expected: 3, found: 2))
    }

    /// The first sentence decides: a later line of another shape is an error on its line.
    func testLaterRowsMustKeepTwoColumns() {
        assertMalformed(
            try read("Alice\tB-PER\n\n1\tBob\tB-PER\n", .indexTokenTag), line: 3,
            reason: .wrongColumnCount(expected: 2, found: 3))
        assertMalformed(
            try read("a b c d\n\nAlice\tB-PER\n", .conll2003), line: 3,
            reason: .wrongColumnCount(expected: 4, found: 1))
    }

    /// The strict IOB2 check of the Universal NER format applies to token-tag files read
    /// through it.
    func testTagSchemeOfTheDeclaredFormatStillApplies() {
        XCTAssertThrowsError(try read("Alice\tI-PER\n", .indexTokenTag)) { error in
            guard case .malformedLine(_, 1, .invalidTag)? = error as? CorpusError else {
                return XCTFail("\(error)")
            }
        }
    }

    func testDocumentStartBeforeTokenTagRows() throws {
        let text = "-DOCSTART- -X- -X- O\n\nAlice\tB-PER\n\n"
        let items = try read(text, .conll2003)
        XCTAssertEqual(items.count, 2)
        XCTAssertNil(items[0].sentence)
        XCTAssertEqual(items[1].sentence?.tokens, ["Alice"])
        XCTAssertEqual(ColumnWriter.string(items), text)
    }
}
