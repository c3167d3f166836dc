import Corpora
import Foundation
import Text
import XCTest

final class ColumnReaderTests: XCTestCase {
    static let conll2003 = """
        -DOCSTART- -X- -X- O

        EU NNP B-NP I-ORG
        rejects VBZ B-VP O
        German JJ B-NP I-MISC
        call NN I-NP O
        . . O O

        Peter NNP B-NP I-PER
        Blackburn NNP I-NP I-PER

        -DOCSTART- -X- -X- O

        BRUSSELS NNP B-NP I-LOC

        """

    static let uner = """
        # newdoc id = d1
        # sent_id = s1
        # text = Al-Zaman : American forces
        1\tAl\tB-ORG
        2\t-\tI-ORG
        3\tZaman\tI-ORG
        4\t:\tO

        # sent_id = s2
        1\tBush\tB-PER

        """

    private func read(_ text: String, _ format: ColumnFormat) throws -> [ColumnItem] {
        try ColumnReader(string: text, format: format, name: "t.txt").readAll()
    }

    func testCoNLL2003DocumentsAndSentences() throws {
        let items = try read(Self.conll2003, .conll2003)
        XCTAssertEqual(items.count, 5)
        guard case .documentBoundary(let boundary) = items[0] else { return XCTFail("\(items[0])") }
        XCTAssertEqual(boundary.fields, ["-DOCSTART-", "-X-", "-X-", "O"])
        let sentences = items.compactMap(\.sentence)
        XCTAssertEqual(sentences.count, 3)
        XCTAssertEqual(sentences[0].tokens, ["EU", "rejects", "German", "call", "."])
        XCTAssertEqual(sentences[0].tags, ["I-ORG", "O", "I-MISC", "O", "O"])
        XCTAssertEqual(sentences[0].column(1), ["NNP", "VBZ", "JJ", "NN", "."])
        XCTAssertEqual(sentences[1].lineNumber, 9)
        XCTAssertEqual(
            try TagScheme.iob1.spans(from: sentences[1].tags), [Span(0..<2, type: "PER")])
        XCTAssertEqual(ColumnWriter.string(items), Self.conll2003)
        // nextSentence skips boundaries.
        let reader = ColumnReader(string: Self.conll2003, format: .conll2003)
        var count = 0
        while try reader.nextSentence() != nil { count += 1 }
        XCTAssertEqual(count, 3)
    }

    func testIndexTokenTagLayout() throws {
        let items = try read(Self.uner, .indexTokenTag)
        let sentences = items.compactMap(\.sentence)
        XCTAssertEqual(sentences.count, 2)
        XCTAssertEqual(sentences[0].comments.count, 3)
        XCTAssertEqual(sentences[0].tokens, ["Al", "-", "Zaman", ":"])
        XCTAssertEqual(sentences[1].tags, ["B-PER"])
        XCTAssertEqual(ColumnWriter.string(items), Self.uner)
    }

    func testRoundTripVariants() throws {
        let format = ColumnFormat()  // automatic separator, any column count
        for text in [
            "a b c\nd e f\n\ng h i\n",
            "a\tb\nc\td\n\n\n\ne\tf",
            "\r\na b\r\n\r\nc d\r\n",
            "one\n\ntwo\n",  // one column
            "a b\r\nc d\n\r\r\ne f\r",  // mixed terminators
        ] {
            XCTAssertEqual(ColumnWriter.string(try read(text, format)), text, text.debugDescription)
        }
        // DOCSTART directly followed by rows.
        for direct in [
            "-DOCSTART- -X- -X- O\nEU NNP B-NP I-ORG\n",
            "\n-DOCSTART- -X- -X- O\r\nEU NNP B-NP I-ORG\n\r\n",
        ] {
            XCTAssertEqual(
                ColumnWriter.string(try read(direct, .conll2003)), direct, direct.debugDescription)
        }
        // Runs of whitespace are accepted in .whitespace mode and written as single spaces.
        let messy = try read("a  b\tc\n", ColumnFormat(separator: .whitespace))
        XCTAssertEqual(messy[0].sentence?.rows, [["a", "b", "c"]])
        XCTAssertEqual(ColumnWriter.string(messy), "a b c\n")
    }

    func testChosenColumnsAndTagEditing() throws {
        let format = ColumnFormat(tokenColumn: 1, tagColumn: 0)
        var sentence = try XCTUnwrap(try read("N x 1\nV y 2\n", format)[0].sentence)
        XCTAssertEqual(sentence.tokens, ["x", "y"])
        XCTAssertEqual(sentence.tags, ["N", "V"])
        sentence.tags = ["A", "B"]
        XCTAssertEqual(ColumnWriter.string(sentences: [sentence]), "A x 1\nB y 2\n")
    }

    // MARK: - Malformed input

    func testWrongColumnCount() {
        assertMalformed(
            try read("a b c d\nx y z\n", .conll2003), line: 2,
            reason: .wrongColumnCount(expected: 4, found: 3))
        assertMalformed(
            try read("a b\n\nc d e\n", ColumnFormat()), line: 3,
            reason: .wrongColumnCount(expected: 2, found: 3))
        assertMalformed(
            try read("a b\n", ColumnFormat(tagColumn: 3)), line: 1,
            reason: .wrongColumnCount(expected: 4, found: 2))
        // Double space in a single-space file.
        assertMalformed(
            try read("a b c d\na  c d\n", .conll2003), line: 2,
            reason: .emptyField(column: "column 2"))
        assertMalformed(
            try read("a\tb\n\t\n", ColumnFormat()), line: 2, reason: .whitespaceOnlyLine)
        assertMalformed(
            try read("a\tb\nc\t\n", ColumnFormat()), line: 2,
            reason: .emptyField(column: "column 2"))
    }

    func testIndexErrors() {
        assertMalformed(
            try read("# c\n1\ta\tO\n3\tb\tO\n", .indexTokenTag), line: 3,
            reason: .unexpectedID(expected: "2", found: "3"))
        assertMalformed(
            try read("1\ta\tO\n1\tb\tO\n", .indexTokenTag), line: 2,
            reason: .unexpectedID(expected: "2", found: "1"))
        assertMalformed(
            try read("1\ta\tO\nx\tb\tO\n", .indexTokenTag), line: 2, reason: .invalidID("x"))
        assertMalformed(
            try read("1\ta\tO\n# late\tb\tO\n", .indexTokenTag), line: 2,
            reason: .invalidID("# late"))
        assertMalformed(
            try read("1\ta\tO\n\n# only comment\n", .indexTokenTag), line: 3,
            reason: .sentenceWithoutWords)
    }

    func testStrictTagSchemeErrorNamesLine() {
        let text = "# s\n1\ta\tO\n2\tb\tI-PER\n"
        XCTAssertThrowsError(try read(text, .indexTokenTag)) { error in
            guard case .malformedLine(_, let line, .invalidTag(let detail))? = error as? CorpusError
            else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(line, 3)
            XCTAssertTrue(detail.contains("I-PER"), detail)
        }
        // Without a scheme the same file reads.
        var format = ColumnFormat.indexTokenTag
        format.tagScheme = nil
        XCTAssertNoThrow(try read(text, format))
    }

    func testDocumentStartInsideSentenceAndEmptyFile() {
        assertMalformed(
            try read("EU NNP B-NP I-ORG\n-DOCSTART- -X- -X- O\n", .conll2003), line: 2,
            reason: .documentStartInsideSentence)
        for text in ["", "\n", "-DOCSTART- -X- -X- O\n\n"] {
            XCTAssertThrowsError(try read(text, .conll2003)) { error in
                XCTAssertEqual(error as? CorpusError, .emptyCorpus(file: "t.txt"))
            }
        }
    }

    // MARK: - Whole corpus

    func testRoundTripWholeCorpusFiles() throws {
        let directory = try corporaDirectory()
        for split in ["train", "dev", "test"] {
            let path = "\(directory)/uner-english-ewt/\(split).iob2"
            let reader = try ColumnReader(path: path, format: .indexTokenTag)
            let items = try reader.readAll()
            XCTAssertTrue(
                ColumnWriter.bytes(items, byteOrderMark: reader.hadByteOrderMark)
                    == (try fileBytes(path)),
                "\(split) does not round-trip")
        }
    }
}
