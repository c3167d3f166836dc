import Corpora
import Foundation
import Text
import XCTest

final class SentimentTests: XCTestCase {
    private func read(_ text: String, labels: [String]? = SentimentReader.binaryLabels) throws
        -> [SentimentExample]
    {
        try SentimentReader(string: text, labels: labels, name: "s.txt").readAll()
    }

    func testReadsSpaceAndTabSeparatedLines() throws {
        let text = "1 a stirring , funny film\n0\tapparently reassembled\t from tabs \r\n1 last"
        let examples = try read(text)
        XCTAssertEqual(examples.map(\.label), ["1", "0", "1"])
        XCTAssertEqual(
            examples.map(\.text),
            ["a stirring , funny film", "apparently reassembled\t from tabs ", "last"])
        XCTAssertEqual(examples.map(\.separator), [.space, .tab, .space])
        XCTAssertEqual(examples.map(\.lineNumber), [1, 2, 3])
        XCTAssertEqual(SentimentWriter.string(examples), text)
        XCTAssertEqual(
            SentimentWriter.string([SentimentExample(label: "pos", text: "good")]), "pos good\n")
    }

    func testLabelSets() throws {
        XCTAssertEqual(try read("pos fine\n", labels: nil).first?.label, "pos")
        assertMalformed(
            try read("1 ok\n2 bad\n"), line: 2, reason: .unknownLabel("2", allowed: ["0", "1"]))
    }

    func testMalformedLines() {
        assertMalformed(try read("1 ok\nnolabel\n"), line: 2, reason: .missingLabel)
        assertMalformed(try read("1 ok\n text without label\n"), line: 2, reason: .missingLabel)
        assertMalformed(try read("1 ok\n1 \n"), line: 2, reason: .missingText)
        assertMalformed(try read("1 ok\n0\n"), line: 2, reason: .missingLabel)
        assertMalformed(try read("1 ok\n\n0 ok\n"), line: 2, reason: .blankLine)
        XCTAssertThrowsError(try read("")) { error in
            XCTAssertEqual(error as? CorpusError, .emptyCorpus(file: "s.txt"))
        }
        XCTAssertThrowsError(
            try SentimentReader(
                lines: LineReader(bytes: Array("1 ok\n0 b".utf8) + [0xFF], name: "s.txt")
            ).readAll()
        ) {
            error in
            guard case .invalidUTF8(_, let line, let offset, _)? = error as? CorpusError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(line, 2)
            XCTAssertEqual(offset, 8)
        }
    }

    func testRoundTripWholeCorpusFiles() throws {
        let directory = try corporaDirectory()
        for split in ["train", "dev", "test"] {
            let path = "\(directory)/sst2/\(split).txt"
            let reader = try SentimentReader(path: path)
            let examples = try reader.readAll()
            XCTAssertTrue(
                SentimentWriter.bytes(examples, byteOrderMark: reader.hadByteOrderMark)
                    == (try fileBytes(path)),
                "\(split) does not round-trip")
        }
    }
}
