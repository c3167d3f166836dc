import Corpora
import Text
import Tokenization
import XCTest

/// What the lexicon learns from a treebank: abbreviations by their periods inside sentences,
/// the seeded English titles and bound prefixes, and chunk exceptions against the rules as
/// a sentence is tokenized.
final class TokenizerTrainerTests: XCTestCase {
    /// A CoNLL-U sentence from its tokens: `(form, spaceAfter)` pairs, one word each.
    private func sentence(_ tokens: [(String, Bool)]) -> String {
        var text = ""
        var lines: [String] = []
        for (k, (form, spaceAfter)) in tokens.enumerated() {
            text += form + (spaceAfter && k + 1 < tokens.count ? " " : "")
            lines.append(
                "\(k + 1)\t\(form)\t_\t_\t_\t_\t_\t_\t_\t\(spaceAfter ? "_" : "SpaceAfter=No")")
        }
        return "# text = \(text)\n" + lines.joined(separator: "\n") + "\n\n"
    }

    private func learn(_ sentences: [String], trainer: TokenizerTrainer = TokenizerTrainer())
        throws -> TokenizerLexicon
    {
        let gold = try CoNLLUReader(string: sentences.joined(), name: "t.conllu").readAll()
        return trainer.learn(from: gold).0
    }

    func testASentenceFinalPeriodDoesNotCountAgainstAnAbbreviation() throws {
        let medial = sentence([("pens", true), ("etc.", true), ("and", true), ("more", true)])
        let final = sentence([("pens", true), ("etc", false), (".", true)])
        let lexicon = try learn([medial, medial, final, final, final])
        XCTAssertTrue(lexicon.abbreviations.contains("etc."))
        // The rules then give both: the period inside, and the period of the sentence.
        let tokenizer = Tokenizer(lexicon: lexicon)
        XCTAssertEqual(
            tokenizer.document("pens etc. and pens etc.", sentences: .whole).tokens.map(\.text),
            ["pens", "etc.", "and", "pens", "etc", "."])
        XCTAssertNil(lexicon.chunkExceptions["etc."])
        // A period split off inside sentences still wins.
        let split = sentence([("pens", true), ("etc", false), (".", true), ("and", true)])
        XCTAssertFalse(try learn([medial, split, split]).abbreviations.contains("etc."))
    }

    func testSeededTitlesAndPrefixesUnlessTheTreebankSaysOtherwise() throws {
        let plain = sentence([("Hello", true), ("there", true)])
        let lexicon = try learn([plain])
        XCTAssertTrue(lexicon.abbreviations.contains("Capt."))
        XCTAssertTrue(lexicon.hyphenPrefixes.contains("mis"))
        let splitTitle = sentence([("Capt", false), (".", true), ("Kirk", true), ("came", true)])
        let splitPrefix = sentence([("mis", false), ("-", false), ("match", true)])
        let against = try learn([splitTitle, splitPrefix])
        XCTAssertFalse(against.abbreviations.contains("Capt."))
        XCTAssertFalse(against.hyphenPrefixes.contains("mis"))
        var unseeded = TokenizerTrainer()
        unseeded.seedAbbreviations = []
        unseeded.seedHyphenPrefixes = []
        let bare = try learn([plain], trainer: unseeded)
        XCTAssertFalse(bare.abbreviations.contains("Capt."))
        XCTAssertFalse(bare.hyphenPrefixes.contains("mis"))
    }
}
