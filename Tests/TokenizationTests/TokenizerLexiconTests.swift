import Foundation
import Text
import Tokenization
import XCTest

/// The lexicon file's parser: every kind of entry, comments, line endings, and the error
/// (with its line) of each malformed line.
final class TokenizerLexiconTests: XCTestCase {
    private let header = TokenizerLexicon.formatHeader

    func testEveryKindOfEntryIsRead() throws {
        let text = """
            \(header)
            # provenance: a test
            abbrev\tMr.
            hyphen\te
            emoticon\t:-)
            mwt\tdon't\t2
            mwt\tgonna\t3
            chunk\t(a)\t1 1 1
            chunk\tdon't.\t2+3 1
            boundary\tnext=The\t-1.25
            boundary\tword=naïve\t3e-2

            # a comment
            """
        let lexicon = try TokenizerLexicon(tsv: text)
        XCTAssertEqual(lexicon.provenance, "a test")
        XCTAssertEqual(lexicon.abbreviations, ["Mr."])
        XCTAssertEqual(lexicon.hyphenPrefixes, ["e"])
        XCTAssertEqual(lexicon.emoticons, [":-)"])
        XCTAssertEqual(lexicon.multiwords, ["don't": [2], "gonna": [3]])
        XCTAssertEqual(
            lexicon.chunkExceptions,
            [
                "(a)": ChunkSegmentation(tokens: [[1], [1], [1]]),
                "don't.": ChunkSegmentation(tokens: [[2, 3], [1]]),
            ])
        XCTAssertEqual(lexicon.boundaryWeights, ["next=The": -1.25, "word=naïve": 0.03])
        XCTAssertEqual(try TokenizerLexicon(tsv: lexicon.tsv), lexicon)
    }

    func testWindowsLineEndingsAndAMissingFinalLineBreakAreAccepted() throws {
        let lexicon = try TokenizerLexicon.bundledEnglish()
        let unix = lexicon.tsv
        XCTAssertEqual(
            try TokenizerLexicon(tsv: unix.replacingOccurrences(of: "\n", with: "\r\n")), lexicon)
        XCTAssertEqual(try TokenizerLexicon(tsv: String(unix.dropLast())), lexicon)
    }

    func testTheBundledLexiconIsTheSameReadFromItsFile() throws {
        let lexicon = try TokenizerLexicon.bundledEnglish()
        XCTAssertGreaterThan(lexicon.boundaryWeights.count, 1000)
        XCTAssertGreaterThan(lexicon.multiwords.count, 100)
        XCTAssertEqual(try TokenizerLexicon(tsv: lexicon.tsv).tsv, lexicon.tsv)
    }

    func testMalformedLinesAreNamedWithTheirLine() {
        let cases: [(String, TokenizerError)] = [
            (
                "\(header)\nabbrev\n",
                .malformedLexicon(
                    line: 2, reason: "\"abbrev\" needs 1 non-empty tab-separated fields")
            ),
            (
                "\(header)\n\nmwt\tcannot\t\n",
                .malformedLexicon(line: 3, reason: "\"mwt\" needs 2 non-empty tab-separated fields")
            ),
            (
                "\(header)\nhyphen\te\textra\n",
                .malformedLexicon(
                    line: 2, reason: "\"hyphen\" needs 1 non-empty tab-separated fields")
            ),
            (
                "\(header)\r\nmwt\tdon't\t9\r\n",
                .malformedLexicon(line: 2, reason: "bad word offsets \"9\" for \"don't\"")
            ),
            (
                "\(header)\nmwt\tcannot\t3 1\n",
                .malformedLexicon(line: 2, reason: "bad word offsets \"3 1\" for \"cannot\"")
            ),
            (
                "\(header)\nchunk\tab\t1 2\n",
                .malformedLexicon(line: 2, reason: "segmentation \"1 2\" does not cover \"ab\"")
            ),
            (
                "\(header)\nboundary\tx\tnan\n",
                .malformedLexicon(line: 2, reason: "weight \"nan\" is not a finite number")
            ),
            (
                "\(header)\nboundary\tx\t1.5x\n",
                .malformedLexicon(line: 2, reason: "weight \"1.5x\" is not a finite number")
            ),
            (
                "\(header)\nsynonym\ta\tb\n",
                .malformedLexicon(line: 2, reason: "unknown entry kind \"synonym\"")
            ),
            // A combining mark joins the `#` into another character: not a comment.
            (
                "\(header)\n#\u{301} x\n",
                .malformedLexicon(line: 2, reason: "unknown entry kind \"#\u{301} x\"")
            ),
            ("", .unsupportedLexiconFormat(found: "", supported: header)),
            ("\n\n", .unsupportedLexiconFormat(found: "", supported: header)),
            (
                "# tokenizer-lexicon v9\n",
                .unsupportedLexiconFormat(found: "# tokenizer-lexicon v9", supported: header)
            ),
            (
                "abbrev\tMr.\n",
                .unsupportedLexiconFormat(found: "abbrev\tMr.", supported: header)
            ),
            (
                "\n\(header)\nabbrev\tMr.\n",
                .unsupportedLexiconFormat(found: "abbrev\tMr.", supported: header)
            ),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try TokenizerLexicon(tsv: text), text.debugDescription) { error in
                XCTAssertEqual(error as? TokenizerError, expected, text.debugDescription)
            }
        }
    }
}
