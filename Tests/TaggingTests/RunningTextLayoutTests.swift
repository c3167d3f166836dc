import Corpora
import Evaluation
import Tagging
import Text
import Tokenization
import XCTest

final class RunningTextLayoutTests: XCTestCase {
    /// Two documents; the first has two paragraphs, the second one long sentence.
    static let treebank = """
        # newdoc id = mail-1
        # newpar id = mail-1-p1
        # text = Hi John
        1\tHi\t_\t_\t_\t_\t_\t_\t_\t_
        2\tJohn\t_\t_\t_\t_\t_\t_\t_\t_

        # newpar id = mail-1-p2
        # text = See you soon
        1\tSee\t_\t_\t_\t_\t_\t_\t_\t_
        2\tyou\t_\t_\t_\t_\t_\t_\t_\t_
        3\tsoon\t_\t_\t_\t_\t_\t_\t_\t_

        # text = Mary
        1\tMary\t_\t_\t_\t_\t_\t_\t_\t_

        # newdoc id = essay-1
        # text = \(longSentence)
        \(longSentenceLines)

        """

    static let longSentence = (1...40).map { "word\($0)" }.joined(separator: " ")
    static let longSentenceLines = (1...40).map { "\($0)\tword\($0)\t_\t_\t_\t_\t_\t_\t_\t_" }
        .joined(separator: "\n")

    func testParagraphsAreSeparatedByBlankLinesAndLinesWrapped() throws {
        let gold = try CoNLLUReader(string: Self.treebank).readAll()
        XCTAssertEqual(gold.map(\.startsParagraph), [true, true, false, true])
        let spaces = CoNLLUSentence.runningTexts(gold, layout: .spaces)
        let paragraphs = CoNLLUSentence.runningTexts(gold, layout: .paragraphs)
        XCTAssertEqual(spaces.map(\.text), CoNLLUSentence.runningTexts(gold).map(\.text))
        XCTAssertEqual(paragraphs[0].text, "Hi John\n\nSee you soon Mary")
        // Each sentence ends at its offset (line breaks inside it read as spaces).
        let documents = CoNLLUSentence.documents(gold)
        for (layout, document) in zip(paragraphs, documents) {
            let scalars = Array(layout.text.unicodeScalars)
            for (end, sentence) in zip(layout.sentenceEnds, document) {
                let length = sentence.rawText.unicodeScalars.count
                let found = String(String.UnicodeScalarView(scalars[(end - length)..<end]))
                XCTAssertEqual(found.replacingOccurrences(of: "\n", with: " "), sentence.rawText)
            }
        }
        for (p, s) in zip(paragraphs, spaces) {
            XCTAssertEqual(
                p.text.replacingOccurrences(of: "\n\n", with: " ")
                    .replacingOccurrences(of: "\n", with: " "), s.text)
        }
        let lines = paragraphs[1].text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertGreaterThan(lines.count, 3)
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, RunningTextLayout.lineLength)
            // Greedy: the next word would not have fitted on the line.
            if line != lines.last {
                XCTAssertGreaterThan(line.count, RunningTextLayout.lineLength - "word40 ".count)
            }
        }
    }

    /// One paragraph a line: a single line break before each paragraph, no wrapping.
    func testOneParagraphALine() throws {
        let gold = try CoNLLUReader(string: Self.treebank).readAll()
        let texts = CoNLLUSentence.runningTexts(gold, layout: .paragraphLines)
        XCTAssertEqual(texts.map(\.text), ["Hi John\nSee you soon Mary", Self.longSentence])
        XCTAssertEqual(texts[0].sentenceEnds, [7, 20, 25])
    }

    func testAWordLongerThanALineStaysWhole() throws {
        let word = String(repeating: "x", count: 100)
        let treebank = """
            # text = a \(word) b
            1\ta\t_\t_\t_\t_\t_\t_\t_\t_
            2\t\(word)\t_\t_\t_\t_\t_\t_\t_\t_
            3\tb\t_\t_\t_\t_\t_\t_\t_\t_

            """
        let gold = try CoNLLUReader(string: treebank).readAll()
        let text = CoNLLUSentence.runningTexts(gold, layout: .paragraphs)[0].text
        XCTAssertEqual(text, "a\n\(word)\nb")
    }

    func testParagraphBreaksEndSentencesInEvaluation() throws {
        let gold = try CoNLLUReader(string: Self.treebank).readAll()
        let spaces = try TokenizationEvaluation.evaluate(
            tokenizer: .english, gold: gold, runningText: true, layout: .spaces)
        let paragraphs = try TokenizationEvaluation.evaluate(
            tokenizer: .english, gold: gold, runningText: true, layout: .paragraphs)
        // Without punctuation, only the blank line and the document break end sentences.
        XCTAssertEqual(paragraphs.score.sentences.gold, 4)
        XCTAssertGreaterThan(
            paragraphs.score.sentences.correct, spaces.score.sentences.correct)
        XCTAssertEqual(paragraphs.score.tokens.f1, spaces.score.tokens.f1)
    }
}
