import Corpora
import Evaluation
import Foundation
import Tagging
import Text
import Tokenization
import XCTest

/// How single line breaks of running text are read (`LineBreaks`, `LineBreakSegmenter`).
final class LineBreaksTests: XCTestCase {
    /// A paragraph wrapped greedily at `width` scalars.
    static func wrapped(_ words: [String], width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in words {
            if line.isEmpty {
                line = word
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    static let prose = Array(
        repeating: "the committee met on Tuesday and agreed that the report should go out",
        count: 8
    ).joined(separator: " ").split(separator: " ").map(String.init)

    func testWrappedParagraphsAreDetected() {
        for width in [50, 72, 80, 100] {
            let text = Self.wrapped(Self.prose, width: width)
            XCTAssertGreaterThan(text.split(separator: "\n").count, 3)
            XCTAssertTrue(LineBreaks.isHardWrapped(Array(text.utf8)), "width \(width)")
            // A URL longer than the width does not change it.
            let withURL = text + "\nhttps://example.com/" + String(repeating: "a", count: 150)
            XCTAssertTrue(LineBreaks.isHardWrapped(Array(withURL.utf8)), "width \(width) + URL")
            // Carriage returns are not part of a line.
            let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
            XCTAssertTrue(LineBreaks.isHardWrapped(Array(crlf.utf8)), "width \(width), CRLF")
        }
    }

    func testLinesOfSentencesListsAndSingleLinesAreNotWrapped() {
        let documents = """
            I bought this phone last week. The battery lasts two days and the screen is sharp
            Terrible service
            We waited an hour for a table and the food came cold. Never again. Not recommended
            Great place for brunch
            The staff were friendly and the rooms clean. We will be back next year for sure!
            Avoid
            Prices are fair. Parking is hard to find on weekends, so come early or take the bus.
            Good coffee, slow service
            """
        XCTAssertFalse(LineBreaks.isHardWrapped(Array(documents.utf8)))
        let list = "Milk\nEggs\nBread\nTwo lemons\nCoffee"
        XCTAssertFalse(LineBreaks.isHardWrapped(Array(list.utf8)))
        let single = Self.prose.joined(separator: " ")
        XCTAssertFalse(LineBreaks.isHardWrapped(Array(single.utf8)))
        XCTAssertFalse(LineBreaks.isHardWrapped([UInt8]()))
        XCTAssertTrue(LineBreaks.auto.endSentences(in: Array(documents.utf8)))
        XCTAssertTrue(
            LineBreaks.boundary.endSentences(in: Array(Self.wrapped(Self.prose, width: 72).utf8)))
        XCTAssertFalse(LineBreaks.wrap.endSentences(in: Array(documents.utf8)))
    }

    /// A splitter that never cuts, to see only what the line breaks do.
    struct NoSplits: SentenceSegmenter {
        func sentences(of tokens: [Token], in text: String) -> [Range<Int>] {
            tokens.isEmpty ? [] : [0..<tokens.count]
        }
    }

    func testLineBreaksEndSentencesUnlessTheTextIsWrapped() {
        let tokenizer = Tokenizer.english
        let lines = "Terrible service\nWe waited an hour for a table\n\nNever again"
        let segmenter = LineBreakSegmenter(base: NoSplits())
        let document = tokenizer.document(lines, segmenter: segmenter)
        XCTAssertEqual(
            document.sentences.map { document.tokens[$0].map(\.text).joined(separator: " ") },
            ["Terrible service", "We waited an hour for a table", "Never again"])
        let wrapped = Self.wrapped(Self.prose, width: 72)
        let whole = tokenizer.document(wrapped, segmenter: segmenter)
        XCTAssertEqual(whole.sentences, [0..<whole.tokens.count])
        let forced = tokenizer.document(
            wrapped, segmenter: LineBreakSegmenter(base: NoSplits(), lineBreaks: .boundary))
        XCTAssertEqual(forced.sentences.count, wrapped.split(separator: "\n").count)
        let ignored = tokenizer.document(
            lines, segmenter: LineBreakSegmenter(base: NoSplits(), lineBreaks: .wrap))
        XCTAssertEqual(ignored.sentences, [0..<ignored.tokens.count])
    }

    /// Each line goes to the splitter as a text of its own, so a line is split exactly as
    /// the same text alone; the ranges cover every token once, in order.
    func testEachLineIsSplitAsATextOfItsOwn() {
        let tokenizer = Tokenizer.english
        let perceptron = SentenceSplitter(lexicon: tokenizer.lexicon)
        let lines = [
            "Dr. Smith arrived at 5 p.m. on Monday. He left soon after.",
            "thanks for the help  see you tomorrow",
            "Is it open? Yes! It opens at 9.",
        ]
        let together = tokenizer.document(
            lines.joined(separator: "\n"), segmenter: LineBreakSegmenter(base: perceptron))
        let alone = lines.map { tokenizer.document($0, segmenter: perceptron) }
        XCTAssertEqual(
            together.sentences.map { together.tokens[$0].map(\.text) },
            alone.flatMap { document in document.sentences.map { document.tokens[$0].map(\.text) } }
        )
        XCTAssertEqual(together.sentences.first?.lowerBound, 0)
        XCTAssertEqual(together.sentences.last?.upperBound, together.tokens.count)
        for (a, b) in zip(together.sentences, together.sentences.dropFirst()) {
            XCTAssertEqual(a.upperBound, b.lowerBound)
        }
    }

    /// With `.paragraphs`, a line break becomes a blank line for the splitter: the text it
    /// gets has one more line break where a gap held a single one, with every token's
    /// ranges moved to the same token, and the sentences are those of the text written with
    /// blank lines.
    func testParagraphLineBreaksAreReadAsBlankLines() {
        let tokenizer = Tokenizer.english
        let text = "Héllo 😀 there\nSecond line here.\n\nThird paragraph\r\nends now"
        let document = tokenizer.document(text, sentences: .whole)
        let (tokens, blank) = LineBreakSegmenter.withBlankLines(document.tokens, in: text)
        XCTAssertEqual(blank, "Héllo 😀 there\n\nSecond line here.\n\nThird paragraph\r\n\nends now")
        XCTAssertEqual(tokens.map(\.text), document.tokens.map(\.text))
        let bytes = Array(blank.utf8)
        let scalars = Array(blank.unicodeScalars)
        for token in tokens {
            XCTAssertEqual(String(decoding: bytes[token.utf8Range], as: UTF8.self), token.text)
            XCTAssertEqual(
                String(String.UnicodeScalarView(scalars[token.scalarRange])), token.text)
        }
        let perceptron = SentenceSplitter(lexicon: tokenizer.lexicon)
        let segmenter = LineBreakSegmenter(base: perceptron, lineBreaks: .paragraphs)
        let written = "Héllo 😀 there\n\nSecond line here.\n\nThird paragraph\n\nends now"
        let reference = tokenizer.document(written, sentences: .whole)
        let sentences = segmenter.sentences(of: document.tokens, in: text)
        XCTAssertEqual(sentences, perceptron.sentences(of: reference.tokens, in: written))
        XCTAssertEqual(sentences.count, 4)  // every line a paragraph, each a sentence here
    }

    /// On EWT test, one document a line scores exactly as each document split on its own,
    /// and the CoNLL 2018 layout's wrapped lines stay spaces (the same as `--line-breaks wrap`).
    func testOneDocumentALineScoresLikeSeparateDocuments() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? root.path + "/corpora"
        let path = corpora + "/ud-english-ewt/test.conllu"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "no \(path)")
        let gold = try CoNLLUReader.read(path: path)
        let tokenizer = Tokenizer.english
        let perceptron = SentenceSplitter(lexicon: tokenizer.lexicon)
        func score(_ layout: RunningTextLayout, _ lineBreaks: LineBreaks) throws -> F1Score {
            try TokenizationEvaluation.evaluate(
                tokenizer: tokenizer, gold: gold, runningText: true, layout: layout,
                segmenter: LineBreakSegmenter(base: perceptron, lineBreaks: lineBreaks)
            ).score.sentences
        }
        let spaces = try score(.spaces, .auto)
        XCTAssertEqual(try score(.lines, .auto), spaces)
        XCTAssertLessThan(try score(.lines, .wrap).f1, spaces.f1 - 0.02)
        XCTAssertEqual(try score(.paragraphs, .auto), try score(.paragraphs, .wrap))
        // One paragraph a line read as paragraphs scores as the CoNLL 2018 layout (its
        // wrapped lines are spaces, its blank lines paragraph ends).
        XCTAssertEqual(try score(.paragraphLines, .paragraphs), try score(.paragraphs, .auto))
    }
}
