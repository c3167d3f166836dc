import Evaluation
import XCTest

final class TokenizationEvaluationTests: XCTestCase {
    func testPerfectOutputScoresOne() throws {
        var gold = SegmentedText()
        gold.appendSentence([("I", []), ("don't", ["do", "n't"]), ("know", []), (".", [])])
        let score = try TokenizationEvaluation.score(gold: gold, system: gold)
        XCTAssertEqual(score.tokens, F1Score(correct: 4, gold: 4, system: 4))
        XCTAssertEqual(score.words, F1Score(correct: 5, gold: 5, system: 5))
        XCTAssertEqual(score.sentences.f1, 1)
    }

    func testMultiwordWordsAreAlignedByLCS() throws {
        var gold = SegmentedText()
        gold.appendSentence([("I", []), ("don't", ["do", "n't"]), ("go", [])])
        var system = SegmentedText()
        system.appendSentence([("I", []), ("don't", ["don", "'t"]), ("go", [])])
        let score = try TokenizationEvaluation.score(gold: gold, system: system)
        XCTAssertEqual(score.tokens.correct, 3)
        XCTAssertEqual(score.words.correct, 2)
        var split = SegmentedText()
        split.appendSentence([("I", []), ("do", []), ("n't", []), ("go", [])])
        let second = try TokenizationEvaluation.score(gold: gold, system: split)
        XCTAssertEqual(second.tokens, F1Score(correct: 2, gold: 3, system: 4))
        XCTAssertEqual(second.words, F1Score(correct: 4, gold: 4, system: 4))
    }

    /// UPOS F1 counts aligned words whose tags also agree, inside multiword tokens too
    /// (aligned by LCS), and is absent when one side has no tags.
    func testTaggedWordsCountAlignedWordsWithEqualTags() throws {
        var gold = SegmentedText()
        gold.appendSentence(
            [("I", []), ("don't", ["do", "n't"]), ("go", [])],
            tags: ["PRON", "AUX", "PART", "VERB"])
        var system = SegmentedText()
        system.appendSentence(
            [("I", []), ("do", []), ("n't", []), ("go", [])], tags: ["PRON", "AUX", "ADV", "NOUN"])
        let score = try TokenizationEvaluation.score(gold: gold, system: system)
        XCTAssertEqual(score.words, F1Score(correct: 4, gold: 4, system: 4))
        XCTAssertEqual(score.taggedWords, F1Score(correct: 2, gold: 4, system: 4))
        var merged = SegmentedText()
        merged.appendSentence(
            [("I", []), ("don't", ["do", "not"]), ("go", [])],
            tags: ["PRON", "AUX", "PART", "VERB"])
        XCTAssertEqual(
            try TokenizationEvaluation.score(gold: gold, system: merged).taggedWords,
            F1Score(correct: 3, gold: 4, system: 4))
        var untagged = SegmentedText()
        untagged.appendSentence([("I", []), ("don't", ["do", "n't"]), ("go", [])])
        XCTAssertNil(try TokenizationEvaluation.score(gold: gold, system: untagged).taggedWords)
    }

    func testSentenceSpansAndTextMismatch() throws {
        var gold = SegmentedText()
        gold.appendSentence([("A", []), (".", [])])
        gold.appendSentence([("B", [])])
        var system = SegmentedText()
        system.appendSentence([("A", []), (".", []), ("B", [])])
        XCTAssertEqual(
            try TokenizationEvaluation.score(gold: gold, system: system).sentences,
            F1Score(correct: 0, gold: 2, system: 1))
        var other = SegmentedText()
        other.appendSentence([("A", []), ("!", []), ("B", [])])
        XCTAssertThrowsError(try TokenizationEvaluation.score(gold: gold, system: other)) { error in
            guard case .textMismatch(let offset, _, _)? = error as? TokenizationEvaluationError
            else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 1)
        }
    }
}
