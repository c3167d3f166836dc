import Text
import Tokenization
import XCTest

/// One test per UD English EWT convention, plus ranges and bad input.
final class TokenizerTests: XCTestCase {
    let tokenizer = Tokenizer.english

    func forms(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        tokenizer.tokenize(text).map(\.text)
    }

    func words(_ text: String) -> [[String]] {
        tokenizer.tokenize(text).map(\.syntacticWords)
    }

    func testPunctuationIsSplitOff() {
        XCTAssertEqual(
            forms("Hello, world (really)!"), ["Hello", ",", "world", "(", "really", ")", "!"])
        XCTAssertEqual(
            forms("\"Yes\"; no: maybe."), ["\"", "Yes", "\"", ";", "no", ":", "maybe", "."])
    }

    func testNegationCliticIsAMultiwordToken() {
        let tokens = tokenizer.tokenize("I don't know.")
        XCTAssertEqual(tokens.map(\.text), ["I", "don't", "know", "."])
        XCTAssertEqual(tokens[1].words, ["do", "n't"])
        XCTAssertEqual(words("can't won't"), [["ca", "n't"], ["wo", "n't"]])
    }

    func testCannotIsCanPlusNot() {
        XCTAssertEqual(words("I cannot go"), [["I"], ["can", "not"], ["go"]])
    }

    func testPronounCliticsAreSplit() {
        XCTAssertEqual(
            words("I'm sure we're fine"), [["I", "'m"], ["sure"], ["we", "'re"], ["fine"]])
        XCTAssertEqual(words("you’ll see"), [["you", "’ll"], ["see"]])
    }

    func testPossessiveIsAWordOfItsOwn() {
        XCTAssertEqual(
            words("Bush's plan and the parents' car"),
            [["Bush", "'s"], ["plan"], ["and"], ["the"], ["parents", "'"], ["car"]])
    }

    func testGonnaIsGonPlusNa() {
        XCTAssertEqual(words("I'm gonna go"), [["I", "'m"], ["gon", "na"], ["go"]])
    }

    func testURLsAreKeptWhole() {
        XCTAssertEqual(
            forms("See http://www.example.com/a?b=c."),
            ["See", "http://www.example.com/a?b=c", "."])
        XCTAssertEqual(forms("(www.juancole.com)"), ["(", "www.juancole.com", ")"])
    }

    func testEmailAddressesAreKeptWhole() {
        XCTAssertEqual(
            forms("Mail carol.st.clair@enron.com, please."),
            ["Mail", "carol.st.clair@enron.com", ",", "please", "."])
    }

    func testHandlesAndHashtagsAreKeptWhole() {
        XCTAssertEqual(
            forms("@john_doe loves #SwiftLang!"), ["@john_doe", "loves", "#SwiftLang", "!"])
    }

    func testNumbersWithSeparatorsAreKeptWhole() {
        XCTAssertEqual(
            forms("It cost $1,000.50 on 08/16/2000."),
            ["It", "cost", "$", "1,000.50", "on", "08/16/2000", "."])
        XCTAssertEqual(forms("Call 713-853-3242"), ["Call", "713-853-3242"])
    }

    func testTimesAreKeptWhole() {
        XCTAssertEqual(forms("at 10:30 am"), ["at", "10:30", "am"])
        XCTAssertEqual(forms("at 5pm"), ["at", "5", "pm"])
    }

    func testAbbreviationsKeepTheirPeriod() {
        XCTAssertEqual(
            forms("Mr. Smith went to the U.S. e.g. today."),
            ["Mr.", "Smith", "went", "to", "the", "U.S.", "e.g.", "today", "."])
    }

    func testEmoticonsAreKeptWhole() {
        XCTAssertEqual(forms("great :) and sad :("), ["great", ":)", "and", "sad", ":("])
    }

    func testEllipsesAreKeptWhole() {
        XCTAssertEqual(forms("Well... ok…"), ["Well", "...", "ok", "…"])
    }

    func testHyphenationFollowsEWT() {
        XCTAssertEqual(
            forms("Al-Zaman is long-term"), ["Al", "-", "Zaman", "is", "long", "-", "term"])
        XCTAssertEqual(forms("send an e-mail"), ["send", "an", "e-mail"])
    }

    func testEmojiAndCombiningMarksStayWhole() {
        let text = "Cafe\u{301}👍🏽 ok🇫🇷"
        XCTAssertEqual(forms(text), ["Cafe\u{301}", "👍🏽", "ok", "🇫🇷"])
    }

    func testRangesRebuildTheInput() {
        let text = "  Dr. Ünal's e-mail: x@y.org;\tdon't…  naïve\u{301} 👩‍👩‍👧 done!!\n"
        let tokens = tokenizer.tokenize(text)
        let scalars = Array(text.unicodeScalars)
        var rebuilt = ""
        var last = text.startIndex
        for token in tokens {
            let range = token.stringRange(in: text)
            XCTAssertEqual(String(text[range]), token.text)
            var fromScalars = String.UnicodeScalarView()
            fromScalars.append(contentsOf: scalars[token.scalarRange])
            XCTAssertEqual(String(fromScalars), token.text)
            rebuilt += text[last..<range.lowerBound] + text[range]
            last = range.upperBound
            XCTAssertEqual(
                token.spaceAfter,
                range.upperBound == text.endIndex || text[range.upperBound].isWhitespace)
        }
        rebuilt += text[last...]
        XCTAssertEqual(rebuilt, text)
        XCTAssertEqual(tokens.map(\.text).joined(), text.filter { !$0.isWhitespace })
    }

    func testEmptyAndBlankInput() {
        XCTAssertEqual(tokenizer.tokenize("").count, 0)
        XCTAssertEqual(tokenizer.tokenize(" \n\t\r\n").count, 0)
        XCTAssertEqual(tokenizer.document("", sentences: .runningText).sentences, [])
    }

    func testNULByteOrderMarkAndCRLFAreWhiteSpace() {
        XCTAssertEqual(forms("\u{FEFF}Hi\0there\r\nyou"), ["Hi", "there", "you"])
        let document = tokenizer.document("one line\r\ntwo lines\r\n", sentences: .lines)
        XCTAssertEqual(document.sentences.count, 2)
    }

    func testTenMegabyteLineWithoutSpaces() {
        let text = String(repeating: "abcdefghi,", count: 1_000_000)
        var count = 0
        var covered = 0
        tokenizer.forEachToken(in: text) { token in
            count += 1
            covered += token.utf8Range.count
        }
        XCTAssertEqual(covered, text.utf8.count)
        XCTAssertEqual(count, 2_000_000)
        let letters = String(repeating: "a", count: 10_000_000)
        let tokens = tokenizer.tokenize(letters)
        XCTAssertEqual(tokens.reduce(0) { $0 + $1.utf8Range.count }, letters.utf8.count)
    }

    func testLineModeMakesOneSentencePerLine() {
        let document = tokenizer.document("First one. Still first\nSecond", sentences: .lines)
        XCTAssertEqual(
            document.sentences.map { document.tokens[$0].map(\.text) },
            [["First", "one", ".", "Still", "first"], ["Second"]])
    }

    func testRunningTextIsSplitIntoSentences() {
        let document = tokenizer.document(
            "I met Mr. Smith yesterday. He was happy! Was he? Yes.", sentences: .runningText)
        XCTAssertEqual(
            document.sentences.indices.map { String(document.sentenceText($0)) },
            ["I met Mr. Smith yesterday.", "He was happy!", "Was he?", "Yes."])
    }

    func testLexiconRoundTripsAndRejectsBadLines() throws {
        let lexicon = try TokenizerLexicon.bundledEnglish()
        XCTAssertEqual(try TokenizerLexicon(tsv: lexicon.tsv), lexicon)
        XCTAssertThrowsError(try TokenizerLexicon(tsv: "# tokenizer-lexicon v1\nmwt\tdon't\t9\n")) {
            error in
            XCTAssertEqual(
                error as? TokenizerError,
                .malformedLexicon(line: 2, reason: "bad word offsets \"9\" for \"don't\""))
        }
        XCTAssertThrowsError(try TokenizerLexicon(tsv: "hello\n")) { error in
            XCTAssertEqual(
                error as? TokenizerError,
                .unsupportedLexiconFormat(found: "hello", supported: TokenizerLexicon.formatHeader))
        }
    }

    func testNormalisationAndCaseFolding() {
        XCTAssertEqual(UnicodeText.nfc("e\u{301}"), "\u{E9}")
        XCTAssertEqual(UnicodeText.caseFold("ÉCOLE Straße"), "école strasse")
        XCTAssertEqual(ScalarClass.of(0x1F600), .emoji)
        XCTAssertEqual(ScalarClass.of(0x0301), .mark)
        XCTAssertEqual(ScalarClass.of(0x00A0), .space)
    }
}
