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

    func testAppendedSyntacticWordsAreTheSyntacticWords() {
        let tokens = Tokenizer.english.tokenize("I don't know, can't you?")
        XCTAssertTrue(tokens.contains { $0.isMultiword })
        var appended: [String] = ["start"]
        for token in tokens { token.appendSyntacticWords(to: &appended) }
        XCTAssertEqual(appended, ["start"] + tokens.flatMap(\.syntacticWords))
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

    func testItsAndYourBeforeAnArticleOrAdverbAreContractions() {
        XCTAssertEqual(
            words("its a reel and its not easy"),
            [["it", "s"], ["a"], ["reel"], ["and"], ["it", "s"], ["not"], ["easy"]])
        XCTAssertEqual(words("your going to love it"), [["you", "r"], ["going"], ["to"], ["love"], ["it"]])
        // The possessives: a noun or an adjective follows, or nothing does.
        XCTAssertEqual(
            words("its own name and your help, its"),
            [["its"], ["own"], ["name"], ["and"], ["your"], ["help"], [","], ["its"]])
        // Only when white space follows: `its,` keeps its word.
        XCTAssertEqual(words("its, a"), [["its"], [","], ["a"]])
    }

    func testFinalAbbreviationPeriodIsASentencePeriod() {
        let document = tokenizer.document("They moved to the U.S.", sentences: .whole)
        XCTAssertEqual(document.tokens.map(\.text), ["They", "moved", "to", "the", "U.S", "."])
        XCTAssertEqual(document.sentences, [0..<6])
        XCTAssertEqual(document.tokens[4].spaceAfter, false)
        XCTAssertEqual(document.tokens[5].scalarRange, 21..<22)
        XCTAssertEqual(document.tokens[5].utf8Range, 21..<22)
        // Inside the sentence the abbreviation keeps its period.
        XCTAssertEqual(
            tokenizer.document("books, pens, etc. and more etc.", sentences: .whole).tokens.map(
                \.text),
            ["books", ",", "pens", ",", "etc.", "and", "more", "etc", "."])
        XCTAssertEqual(
            tokenizer.document("Ask Dr. Smith\nat 5 p.m.", sentences: .lines).tokens.map(\.text),
            ["Ask", "Dr.", "Smith", "at", "5", "p.m", "."])
        XCTAssertEqual(tokenizer.words("Call Capt. Kirk at 5 p.m."), ["Call", "Capt.", "Kirk", "at", "5", "p.m", "."])
        // Ranges after a separated period move; an empty range stays empty.
        let tokens = tokenizer.tokenize("Mr. X. Y")
        let separated = Tokenizer.separatingFinalPeriods(tokens, sentences: [0..<2, 2..<2, 2..<3])
        XCTAssertEqual(separated.tokens.map(\.text), ["Mr.", "X", ".", "Y"])
        XCTAssertEqual(separated.sentences, [0..<3, 3..<3, 3..<4])
    }

    func testTitlesKeepTheirPeriod() {
        XCTAssertEqual(
            forms("Capt. Kirk, Sgt. Pepper and Drs. Smith and Jones"),
            ["Capt.", "Kirk", ",", "Sgt.", "Pepper", "and", "Drs.", "Smith", "and", "Jones"])
        XCTAssertEqual(forms("PVT. Ryan"), ["PVT.", "Ryan"])
    }

    func testBoundPrefixesKeepTheirHyphen() {
        XCTAssertEqual(forms("mis-matches and ultra-light"), ["mis-matches", "and", "ultra-light"])
        XCTAssertEqual(forms("in mid-2004 and the mid-80s"), ["in", "mid-2004", "and", "the", "mid-80s"])
    }

    func testPhoneExtensionsDatesAndAreaCodesAreKeptWhole() {
        XCTAssertEqual(forms("call Bert (3-5076)"), ["call", "Bert", "(", "3-5076", ")"])
        XCTAssertEqual(forms("on 11-20-2000."), ["on", "11-20-2000", "."])
        XCTAssertEqual(forms("see 02-05-02.doc"), ["see", "02-05-02.doc"])
        XCTAssertEqual(forms("at 713/853-6197"), ["at", "713/853-6197"])
        // A range stays three tokens.
        XCTAssertEqual(forms("1-2 or 10-12 days"), ["1", "-", "2", "or", "10", "-", "12", "days"])
    }

    func testFractionsOfDigitsAreThreeTokens() {
        XCTAssertEqual(forms("3/4 of a cup"), ["3", "/", "4", "of", "a", "cup"])
        XCTAssertEqual(forms("on 9/11 and 3/4/2001"), ["on", "9/11", "and", "3/4/2001"])
    }

    func testSignedNumbers() {
        XCTAssertEqual(forms("# 1 and #1 vs #tag"), ["#", "1", "and", "#", "1", "vs", "#tag"])
        XCTAssertEqual(forms("call +44 20 7484"), ["call", "+44", "20", "7484"])
        XCTAssertEqual(forms("in '72 and the ’60s"), ["in", "'72", "and", "the", "’60s"])
        XCTAssertEqual(forms("(.15)"), ["(", ".15", ")"])
    }

    func testCodeLetterStaysOnTheNumber() {
        XCTAssertEqual(forms("my 3G... and 4G"), ["my", "3G", "...", "and", "4G"])
        XCTAssertEqual(forms("2K and 24C and 11AM"), ["2", "K", "and", "24", "C", "and", "11", "AM"])
    }

    func testRulesArrowsAndCensoredWordsAreKeptWhole() {
        XCTAssertEqual(
            forms("----== Posted ==---- ->"), ["----==", "Posted", "==----", "->"])
        XCTAssertEqual(forms("<> and -- and ***"), ["<", ">", "and", "--", "and", "***"])
        XCTAssertEqual(forms("oh sh*t, b**** !"), ["oh", "sh*t", ",", "b****", "!"])
        XCTAssertEqual(forms("price* and **bold"), ["price", "*", "and", "**", "bold"])
    }

    func testEllipsisBeforeAQuestionMarkIsItsOwnToken() {
        XCTAssertEqual(forms("really...? ok..? no?!"), ["really", "...", "?", "ok", "..?", "no", "?!"])
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
