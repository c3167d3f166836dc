import Corpora
import Foundation
import Text
import XCTest

/// Corpus files as hostile input: numbers too large for any integer, ranges of billions of
/// words, thousands of columns, byte order marks and CR line ends shifting line numbers,
/// and every truncation and single-byte change of valid files. Each gives sentences or a
/// `CorpusError` naming file and line; none traps or allocates by a number in the file.
final class MalformedCorpusTests: XCTestCase {
    private func word(_ id: String, _ form: String = "w") -> String {
        "\(id)\t\(form)\t_\t_\t_\t_\t_\t_\t_\t_"
    }

    private func conllu(_ text: String) throws -> [CoNLLUSentence] {
        try CoNLLUReader(string: text, name: "t.conllu").readAll()
    }

    private func conllu(bytes: [UInt8]) throws -> [CoNLLUSentence] {
        try CoNLLUReader(lines: LineReader(bytes: bytes, name: "t.conllu")).readAll()
    }

    func testNumbersBeyondAnyIntegerAreInvalidIDs() {
        let huge = "99999999999999999999999"
        assertMalformed(try conllu("\(word(huge))\n"), line: 1, reason: .invalidID(huge))
        assertMalformed(
            try conllu("\(word("1"))\n\(word("1.\(huge)"))\n"), line: 2,
            reason: .invalidID("1.\(huge)"))
        assertMalformed(
            try conllu("\(word("1-\(huge)"))\n"), line: 1, reason: .invalidID("1-\(huge)"))
        // Digits of other scripts are not IDs.
        assertMalformed(try conllu("\(word("١"))\n"), line: 1, reason: .invalidID("١"))
        assertMalformed(try conllu("\(word("+1"))\n"), line: 1, reason: .invalidID("+1"))
    }

    /// A multiword range of 10^18 words is reported when its words do not follow, without
    /// anything of its size being made; 19 digits are beyond any ID.
    func testARangeOfBillionsOfWordsIsReportedNotAllocated() {
        assertMalformed(
            try conllu("\(word("1-999999999999999999"))\n\(word("1"))\n\(word("2"))\n\n"),
            line: 1,
            reason: .badMultiwordRange(
                range: "1-999999999999999999",
                problem: "sentence ends before word 999999999999999999"))
        assertMalformed(
            try conllu("\(word("1-9223372036854775807"))\n"), line: 1,
            reason: .invalidID("1-9223372036854775807"))
        let start = 999_999_999_999_999_998
        assertMalformed(
            try conllu("\(word("1"))\n\(word("2-\(start)"))\n"), line: 2,
            reason: .badMultiwordRange(
                range: "2-\(start)", problem: "sentence ends before word \(start)"))
    }

    func testByteOrderMarkAndCarriageReturnsKeepLineNumbers() {
        let text = "\u{FEFF}# c\r\n\(word("1"))\r\n\(word("3"))\r\n"
        assertMalformed(
            try conllu(text), line: 3, reason: .unexpectedID(expected: "2", found: "3"))
        let mixed = "# c\r\(word("1"))\n\(word("2"))\r\n\(word("2"))\r"
        assertMalformed(
            try conllu(mixed), line: 4, reason: .unexpectedID(expected: "3", found: "2"))
    }

    func testNULAndControlCharactersAreDataNotTerminators() throws {
        let sentences = try conllu(
            bytes: Array("1\ta".utf8) + [0x00, 0x07] + Array("b\t_\t_\t_\t_\t_\t_\t_\t_\n".utf8))
        XCTAssertEqual(sentences.first?.words.first?.form, "a\u{0}\u{7}b")
    }

    func testThousandsOfColumnsAreAColumnCountError() {
        let line = Array(repeating: "x", count: 5000).joined(separator: "\t")
        assertMalformed(
            try conllu("\(line)\n"), line: 1, reason: .wrongColumnCount(expected: 10, found: 5000))
        var format = ColumnFormat.indexTokenTag
        format.tagScheme = nil
        assertMalformed(
            try ColumnReader(string: "1\ta\tO\n\(line)\n", format: format, name: "t.iob2")
                .readAll(),
            line: 2, reason: .wrongColumnCount(expected: 3, found: 5000))
    }

    func testColumnIndexBeyondAnyInteger() {
        var format = ColumnFormat.indexTokenTag
        format.tagScheme = nil
        let huge = "123456789012345678901234567890"
        assertMalformed(
            try ColumnReader(string: "\(huge)\ta\tO\n", format: format, name: "t.iob2").readAll(),
            line: 1, reason: .invalidID(huge))
    }

    /// Two document-start lines in one block, with a blank line before the block or mixed
    /// line terminators, are written back byte for byte (found by the column fuzzer: the
    /// second boundary took the first one's blank lines and terminators).
    func testDocumentStartsInOneBlockRoundTripExactly() throws {
        let inputs = [
            "\n-DOCSTART- -X- -X- O\n-DOCSTART- -X- -X- O\nEU NNP B-NP I-ORG\n",
            "-DOCSTART- 0\r-DOCSTART- 0\rword\n",
            "-DOCSTART- 0\r\n-DOCSTART- 0\n\r\nword\r\n",
        ]
        var free = ColumnFormat.conll2003
        free.columnCount = nil
        free.tagColumn = nil
        for input in inputs {
            let items = try ColumnReader(string: input, format: free, name: "d.conll").readAll()
            XCTAssertEqual(
                String(decoding: ColumnWriter.bytes(items), as: UTF8.self), input,
                input.debugDescription)
        }
    }

    func testErrorsNameTheFileAndLine() {
        XCTAssertThrowsError(try conllu("\(word("1"))\n\(word("x"))\n")) { error in
            XCTAssertEqual(error.localizedDescription, "t.conllu:2: invalid ID 'x'")
        }
        XCTAssertThrowsError(
            try SentimentReader(string: "1 fine\n\n", labels: nil, name: "s.txt").readAll()
        ) { error in
            XCTAssertEqual(error.localizedDescription, "s.txt:2: blank line")
        }
        XCTAssertThrowsError(
            try ColumnReader(string: "a b\nc\n", format: .conll2003, name: "c.conll").readAll()
        ) { error in
            XCTAssertEqual(error.localizedDescription, "c.conll:1: expected 4 columns, found 2")
        }
    }

    /// Every prefix of a valid file and every single-byte change at every position is read
    /// to sentences or to a `CorpusError` with a line within the file.
    func testEveryTruncationAndByteChangeGivesSentencesOrACorpusError() {
        let samples: [(name: String, bytes: [UInt8], read: ([UInt8]) throws -> Int)] = [
            (
                "conllu", Array(CoNLLUReaderTests.sample.utf8),
                { try CoNLLUReader(lines: LineReader(bytes: $0, name: "f")).readAll().count }
            ),
            (
                "iob2", Array(ColumnReaderTests.uner.utf8),
                {
                    try ColumnReader(
                        lines: LineReader(bytes: $0, name: "f"), format: .indexTokenTag
                    ).readAll().count
                }
            ),
            (
                "conll2003", Array(ColumnReaderTests.conll2003.utf8),
                {
                    try ColumnReader(lines: LineReader(bytes: $0, name: "f"), format: .conll2003)
                        .readAll().count
                }
            ),
            (
                "sentiment", Array("1 a fine film\n0\tdull\n1 ok\r\n".utf8),
                { try SentimentReader(lines: LineReader(bytes: $0, name: "f")).readAll().count }
            ),
        ]
        let replacements: [UInt8] = [
            0x09, 0x0A, 0x0D, 0x20, 0x2D, 0x2E, 0x30, 0x5F, 0x00, 0xC3, 0xFF,
        ]
        for (name, bytes, read) in samples {
            var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes.prefix($0)) }
            for i in bytes.indices {
                for r in replacements where r != bytes[i] {
                    var changed = bytes
                    changed[i] = r
                    variants.append(changed)
                }
            }
            let lineCount = bytes.filter { $0 == 0x0A }.count + 2
            for variant in variants {
                do {
                    _ = try read(variant)
                } catch let error as CorpusError {
                    XCTAssertEqual(error.file, "f")
                    if let line = error.line {
                        XCTAssertTrue((1...lineCount).contains(line), "\(name): \(error)")
                    }
                    XCTAssertFalse(error.localizedDescription.isEmpty)
                } catch {
                    XCTFail("\(name): not a CorpusError: \(error)")
                }
            }
        }
    }
}

/// A sentence longer than the readers hold is an error naming its first line, before it is
/// read whole.
final class SentenceLengthLimitTests: XCTestCase {
    func testAnOverlongCoNLLUSentenceIsRefused() {
        var text = "# sent_id = 1\n# text = ok\n1\tok\tok\tX\t_\t_\t0\troot\t_\t_\n\n"
        for k in 1...(CorpusLimits.linesPerSentence + 1) {
            text += "\(k)\tw\tw\tX\t_\t_\t0\troot\t_\t_\n"
        }
        let reader = CoNLLUReader(string: text, name: "long.conllu")
        XCTAssertNoThrow(try reader.next())
        XCTAssertThrowsError(try reader.next()) { error in
            guard case .malformedLine(let file, let line, .sentenceTooLong)? = error as? CorpusError
            else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "long.conllu")
            XCTAssertEqual(line, 5)
            XCTAssertTrue(error.localizedDescription.contains("longer than 100000 lines"))
        }
    }

    func testAnOverlongColumnSentenceIsRefused() {
        let text = String(repeating: "w\tO\n", count: CorpusLimits.linesPerSentence + 1)
        XCTAssertThrowsError(
            try ColumnReader(string: text, format: .tokenTag, name: "long.iob2").readAll()
        ) { error in
            guard case .malformedLine(_, 1, .sentenceTooLong)? = error as? CorpusError
            else { return XCTFail("\(error)") }
        }
    }
}
