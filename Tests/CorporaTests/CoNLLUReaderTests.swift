import Corpora
import Foundation
import Text
import XCTest

final class CoNLLUReaderTests: XCTestCase {
    /// A small sentence with a multiword token, an empty node and SpaceAfter=No.
    static let sample = """
        # newdoc id = d1
        # sent_id = s1
        # text = I don't know, you see.
        1\tI\tI\tPRON\tPRP\tCase=Nom\t4\tnsubj\t4:nsubj\t_
        2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
        2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_
        3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_
        4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No
        4.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t4:conj\tCopyOf=4
        5\t,\t,\tPUNCT\t,\t_\t4\tpunct\t4:punct\t_
        6\tyou\tyou\tPRON\tPRP\t_\t7\tnsubj\t7:nsubj\t_
        7\tsee\tsee\tVERB\tVBP\t_\t4\tparataxis\t4:parataxis\tSpaceAfter=No
        8\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_


        # sent_id = s2
        # text = Gonna go
        1-2\tGonna\t_\t_\t_\t_\t_\t_\t_\t_
        1\tGon\tgo\tVERB\tVBG\t_\t0\troot\t0:root\t_
        2\tna\tto\tPART\tTO\t_\t3\tmark\t3:mark\t_
        3\tgo\tgo\tVERB\tVB\t_\t1\txcomp\t1:xcomp\tSpaceAfter=No


        """

    private func read(_ text: String) throws -> [CoNLLUSentence] {
        try CoNLLUReader(string: text, name: "t.conllu").readAll()
    }

    func testParsesStructure() throws {
        let sentences = try read(Self.sample)
        XCTAssertEqual(sentences.count, 2)
        let s = sentences[0]
        XCTAssertEqual(s.comments.count, 3)
        XCTAssertEqual(s.sentenceID, "s1")
        XCTAssertEqual(s.text, "I don't know, you see.")
        XCTAssertEqual(s.comment("newdoc id"), "d1")
        XCTAssertEqual(s.words.map(\.form), ["I", "do", "n't", "know", ",", "you", "see", "."])
        XCTAssertEqual(s.words.map(\.id), (1...8).map { .word($0) })
        XCTAssertEqual(s.multiwordTokens.map(\.id), [.range(first: 2, last: 3)])
        XCTAssertEqual(s.emptyNodes.map(\.id), [.empty(after: 4, index: 1)])
        XCTAssertEqual(s.words[3].upos, "VERB")
        XCTAssertEqual(s.words[3].miscValue("SpaceAfter"), "No")
        XCTAssertEqual(s.emptyNodes[0].miscValue("CopyOf"), "4")
        XCTAssertEqual(s.lineNumber, 1)
        XCTAssertEqual(sentences[1].lineNumber, 16)
        XCTAssertEqual(sentences[0].layout.blankLinesAfter, 2)
        XCTAssertEqual(sentences[1].layout.blankLinesAfter, 1)
    }

    func testTokensAndReconstructedText() throws {
        let sentences = try read(Self.sample)
        let tokens = sentences[0].tokens
        XCTAssertEqual(tokens.map(\.form), ["I", "don't", "know", ",", "you", "see", "."])
        XCTAssertEqual(tokens[1].wordIndices, 1..<3)
        XCTAssertTrue(tokens[1].isMultiword)
        XCTAssertFalse(tokens[0].isMultiword)
        XCTAssertEqual(tokens.map(\.spaceAfter), [true, true, false, true, true, false, true])
        for sentence in sentences {
            XCTAssertEqual(sentence.reconstructedText, sentence.text)
        }
        XCTAssertEqual(sentences[1].tokens.map(\.form), ["Gonna", "go"])
        let spaced = try read(
            word("1", "a", misc: "SpacesAfter=\\s\\t\\u00A0\\p") + "\n" + word("2", "b") + "\n")
        XCTAssertEqual(spaced[0].reconstructedText, "a \t\u{A0}|b")
    }

    func testRoundTripInline() throws {
        for text in [
            Self.sample,
            Self.sample.replacingOccurrences(of: "\n", with: "\r\n"),
            "\n\n" + Self.sample,
            String(Self.sample.dropLast(2)),  // no final blank line, no final newline
            Self.sample + "\n\n",
            "1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n",  // no final blank line
            // Mixed terminators inside sentences and blank lines.
            "\r\n# c\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\r2\tb\t_\t_\t_\t_\t_\t_\t_\t_\r\n\n\r\n1\tc\t_\t_\t_\t_\t_\t_\t_\t_",
        ] {
            let sentences = try read(text)
            XCTAssertEqual(CoNLLUWriter.string(sentences), text)
        }
        // With a BOM.
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(Self.sample.utf8)
        let reader = CoNLLUReader(lines: LineReader(bytes: bytes))
        let sentences = try reader.readAll()
        XCTAssertEqual(CoNLLUWriter.bytes(sentences, byteOrderMark: reader.hadByteOrderMark), bytes)
    }

    func testBuiltSentenceSerialisesCanonically() {
        let sentence = CoNLLUSentence(
            comments: ["# text = can't"],
            words: [CoNLLUEntry(id: .word(1), form: "ca"), CoNLLUEntry(id: .word(2), form: "n't")],
            multiwordTokens: [CoNLLUEntry(id: .range(first: 1, last: 2), form: "can't")],
            emptyNodes: [CoNLLUEntry(id: .empty(after: 0, index: 1), form: "x")])
        XCTAssertEqual(
            CoNLLUWriter.string([sentence]),
            "# text = can't\n0.1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n1-2\tcan't\t_\t_\t_\t_\t_\t_\t_\t_\n"
                + "1\tca\t_\t_\t_\t_\t_\t_\t_\t_\n2\tn't\t_\t_\t_\t_\t_\t_\t_\t_\n\n")
        XCTAssertEqual(sentence.reconstructedText, "can't")
    }

    // MARK: - Malformed input

    private func word(_ id: String, _ form: String = "w", misc: String = "_") -> String {
        "\(id)\t\(form)\t_\t_\t_\t_\t_\t_\t_\t\(misc)"
    }

    func testWrongColumnCount() {
        assertMalformed(
            try read("# c\n\(word("1"))\n1\ta\tb\n"), line: 3,
            reason: .wrongColumnCount(expected: 10, found: 3))
        assertMalformed(
            try read("\(word("1"))\t_\n"), line: 1,
            reason: .wrongColumnCount(expected: 10, found: 11))
        assertMalformed(try read("\(word("1"))\n   \n"), line: 2, reason: .whitespaceOnlyLine)
    }

    func testBadIDs() {
        assertMalformed(try read("\(word("1"))\n\(word("x"))\n"), line: 2, reason: .invalidID("x"))
        assertMalformed(try read("\(word("0"))\n"), line: 1, reason: .invalidID("0"))
        assertMalformed(try read("\(word("01"))\n"), line: 1, reason: .invalidID("01"))
        assertMalformed(try read("\(word("1.0"))\n"), line: 1, reason: .invalidID("1.0"))
        assertMalformed(try read("\(word("-1"))\n"), line: 1, reason: .invalidID("-1"))
        assertMalformed(
            try read("\(word("1"))\n\(word("2"))\n\(word("2"))\n"), line: 3,
            reason: .unexpectedID(expected: "3", found: "2"))
        assertMalformed(
            try read("\(word("1"))\n\(word("3"))\n"), line: 2,
            reason: .unexpectedID(expected: "2", found: "3"))
        // Second sentence must restart at 1.
        assertMalformed(
            try read("\(word("1"))\n\n\(word("2"))\n"), line: 3,
            reason: .unexpectedID(expected: "1", found: "2"))
        assertMalformed(
            try read("\(word("1"))\n\(word("1.2"))\n"), line: 2,
            reason: .unexpectedID(expected: "1.1", found: "1.2"))
        assertMalformed(
            try read("\(word("1"))\n\(word("2"))\n\(word("1.1"))\n"), line: 3,
            reason: .unexpectedID(expected: "2.1", found: "1.1"))
    }

    func testBadMultiwordRanges() {
        assertMalformed(
            try read("\(word("1"))\n\(word("5-3"))\n"), line: 2,
            reason: .badMultiwordRange(range: "5-3", problem: "first word must precede last word"))
        assertMalformed(
            try read("\(word("1"))\n\(word("3-4"))\n"), line: 2,
            reason: .badMultiwordRange(range: "3-4", problem: "expected it to start at word 2"))
        // Range not followed by its first word.
        assertMalformed(
            try read("\(word("1-2"))\n\(word("0.1"))\n\(word("1"))\n\(word("2"))\n"), line: 2,
            reason: .badMultiwordRange(range: "1-2", problem: "not followed by word 1"))
        // Sentence ends inside the range: reported at the range line.
        assertMalformed(
            try read("# c\n\(word("1-3"))\n\(word("1"))\n\(word("2"))\n\n"), line: 2,
            reason: .badMultiwordRange(range: "1-3", problem: "sentence ends before word 3"))
        assertMalformed(
            try read("\(word("1-2"))\n\(word("1"))\n\(word("2-3"))\n"), line: 3,
            reason: .badMultiwordRange(range: "2-3", problem: "overlaps multiword token 1-2"))
    }

    func testEmptyFieldsCommentsAndEmptyFile() {
        assertMalformed(
            try read("\(word("1"))\n\(word("2", ""))\n"), line: 2,
            reason: .emptyField(column: "FORM"))
        assertMalformed(
            try read("\(word("1", misc: ""))\n"), line: 1, reason: .emptyField(column: "MISC"))
        assertMalformed(try read("\(word("1"))\n# late\n"), line: 2, reason: .commentInsideSentence)
        assertMalformed(
            try read("\(word("1"))\n\n# only\n# comments\n"), line: 3, reason: .sentenceWithoutWords
        )
        for text in ["", "\n\n", "\r\n"] {
            XCTAssertThrowsError(try read(text)) { error in
                XCTAssertEqual(error as? CorpusError, .emptyCorpus(file: "t.conllu"))
            }
        }
    }

    func testInvalidUTF8IsReportedWithLineAndOffset() {
        let bytes =
            Array("\(word("1"))\n".utf8) + Array("2\tb".utf8) + [0xE2, 0x28]
            + Array("\t_\t_\t_\t_\t_\t_\t_\t_\n".utf8)
        let reader = CoNLLUReader(lines: LineReader(bytes: bytes, name: "t.conllu"))
        XCTAssertThrowsError(try reader.readAll()) { error in
            guard
                case .invalidUTF8(let file, let line, let offset, let detail)? = error
                    as? CorpusError
            else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, "t.conllu")
            XCTAssertEqual(line, 2)
            XCTAssertEqual(offset, 20 + 3)
            XCTAssertTrue(
                detail.hasPrefix("t.conllu:2: invalid UTF-8 at byte offset 23 (byte 0xE2"), detail)
        }
    }

    func testErrorDescriptionNamesFileAndLine() {
        XCTAssertThrowsError(try read("\(word("1"))\n\(word("3"))\n")) { error in
            XCTAssertEqual(
                (error as? LocalizedError)?.errorDescription, "t.conllu:2: expected ID 2, found 3")
        }
    }

    // MARK: - Whole corpus

    func testRoundTripWholeCorpusFiles() throws {
        let directory = try corporaDirectory()
        for split in ["train", "dev", "test"] {
            let path = "\(directory)/ud-english-ewt/\(split).conllu"
            let reader = try CoNLLUReader(path: path)
            let sentences = try reader.readAll()
            let written = CoNLLUWriter.bytes(sentences, byteOrderMark: reader.hadByteOrderMark)
            XCTAssertTrue(written == (try fileBytes(path)), "\(split) does not round-trip")
            // Gold text is rebuilt from tokens and SpaceAfter=No.
            let mismatches = sentences.filter { $0.text != nil && $0.reconstructedText != $0.text }
            XCTAssertEqual(
                mismatches.count, 0, "first: \(mismatches.first.map { $0.sentenceID ?? "" } ?? "")")
        }
    }
}
