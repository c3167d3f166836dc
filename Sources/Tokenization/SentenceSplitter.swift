import Text
/// How a text is cut into sentences.
public enum SentenceMode: String, CaseIterable, Sendable {
    /// Each line of the input is one sentence (empty lines give none).
    case lines
    /// Running text: sentences are found by ``SentenceSplitter``; a blank line always ends one.
    case runningText = "running-text"
    /// The whole text is one sentence.
    case whole
}

/// Finds sentence boundaries in a token sequence with an averaged-perceptron model over
/// the tokens around each gap (weights learned from a treebank and stored in the
/// ``TokenizerLexicon``); without weights it falls back to punctuation rules.
public struct SentenceSplitter: Sendable {
    /// Feature weights by name; a gap is a boundary when their sum over its features is positive.
    public let weights: [String: Double]
    /// Abbreviations that the fallback rules never end a sentence after.
    public let abbreviations: Set<String>

    /// A splitter with the boundary weights and abbreviations of `lexicon`.
    public init(lexicon: TokenizerLexicon) {
        weights = lexicon.boundaryWeights
        abbreviations = lexicon.abbreviations
    }

    /// A boundary is forced after this many tokens, so that memory stays bounded on
    /// pathological input (a long line of punctuation without sentence ends).
    public static let maximumSentenceLength = 1000

    /// The sentences of `tokens` (tokenized from `text`) as ranges of token indices.
    public func split(_ tokens: [Token], in text: String) -> [Range<Int>] {
        var stream = SentenceStream(splitter: self, text: text)
        var sentences: [Range<Int>] = []
        var start = 0
        func take(_ done: [[Token]]) {
            for sentence in done {
                sentences.append(start..<(start + sentence.count))
                start += sentence.count
            }
        }
        for token in tokens { take(stream.add(token)) }
        take(stream.finish())
        return sentences
    }

    /// Whether the bytes between two tokens hold an empty line (two line feeds with only
    /// spaces, tabs and carriage returns between them).
    public static func containsBlankLine(_ gap: ArraySlice<UInt8>) -> Bool {
        var newlines = 0
        for b in gap {
            if b == 0x0A {
                newlines += 1
            } else if b != 0x0D && b != 0x20 && b != 0x09 {
                newlines = 0
            }
            if newlines >= 2 { return true }
        }
        return false
    }

    /// Whether the gap after token `i` ends the sentence that started at token `sentenceStart`.
    /// `genre` is ``genre(of:)`` of the whole text.
    public func isBoundary(_ tokens: [Token], after i: Int, sentenceStart: Int, genre: String = "")
        -> Bool
    {
        if weights.isEmpty { return ruleBoundary(tokens, after: i) }
        var score = 0.0
        for feature in Self.features(tokens, after: i, sentenceStart: sentenceStart, genre: genre) {
            score += weights[feature] ?? 0
        }
        return score > 0
    }

    func ruleBoundary(_ tokens: [Token], after i: Int) -> Bool {
        var k = i
        while k > 0 && ["\"", "'", ")", "”", "’", "]"].contains(tokens[k].text) { k -= 1 }
        guard let last = tokens[k].text.unicodeScalars.last, [".", "!", "?", "…"].contains(last)
        else { return false }
        if abbreviations.contains(tokens[k].text) && tokens[k].text.count > 2 { return false }
        let next = tokens[i + 1].text.unicodeScalars.first!
        let c = ScalarClass.of(next.value)
        return c == .upper || c == .digit || c == .punctuation || c == .letter
    }

    /// The features of the gap after token `i` in a sentence that started at token
    /// `sentenceStart`: the case-folded tokens and shapes around it and the sentence length.
    /// `genre` (``genre(of:)`` of the whole text) tells prose from lists, headers and signatures.
    public static func features(
        _ tokens: [Token], after i: Int, sentenceStart: Int, genre: String = ""
    ) -> [String] {
        let p = fold(tokens[i].text)
        let n = fold(tokens[i + 1].text)
        let ps = shape(tokens[i].text)
        let ns = shape(tokens[i + 1].text)
        let pps = i > 0 ? shape(tokens[i - 1].text) : "^"
        let pp = i > 0 ? fold(tokens[i - 1].text) : "^"
        let nns = i + 2 < tokens.count ? shape(tokens[i + 2].text) : "$"
        var features = [
            "b", "p=" + p, "n=" + n, "ps=" + ps, "ns=" + ns, "ps|ns=" + ps + "|" + ns,
            "p|ns=" + p + "|" + ns,
            "ps|n=" + ps + "|" + n, "pp|p=" + pp + "|" + p,
            "pps|ps|ns=" + pps + "|" + ps + "|" + ns,
            "ns|nns=" + ns + "|" + nns, "p|n=" + p + "|" + n, "pp|ps|n=" + pp + "|" + ps + "|" + n,
            "nn=" + (i + 2 < tokens.count ? fold(tokens[i + 2].text) : "$"),
            "g=" + genre, "g|ps|ns=" + genre + "|" + ps + "|" + ns, "g|p=" + genre + "|" + p,
            "g|n=" + genre + "|" + n,
        ]
        if ns.hasPrefix("X") {
            features.append("nX=" + n)
            features.append("ps|nX=" + ps + "|" + n)
        }
        if ps.hasPrefix("X") { features.append("pX=" + p) }
        return features
    }

    /// How punctuated a text is: sentence-final marks per 100 words, bucketed (`0`, `1-3`,
    /// `4-6`, `7-9`, `10+`); lists, headers and signatures have few.
    public static func genre(of text: String) -> String {
        var words = 0
        var finals = 0
        var previousSpace = true
        var previousFinal = false
        for u in text.unicodeScalars {
            let space = ScalarClass.of(u.value) == .space
            if !space && previousSpace { words += 1 }
            if space && previousFinal { finals += 1 }
            previousFinal = u == "." || u == "!" || u == "?"
            previousSpace = space
        }
        if previousFinal { finals += 1 }
        let rate = words == 0 ? 0 : finals * 100 / words
        switch rate {
        case 0: return "0"
        case 1...3: return "1-3"
        case 4...6: return "4-6"
        case 7...9: return "7-9"
        default: return "10+"
        }
    }

    static func lengthBucket(_ length: Int) -> String {
        switch length {
        case ..<5: return String(length)
        case 5..<8: return "5-7"
        case 8..<13: return "8-12"
        case 13..<25: return "13-24"
        default: return "25+"
        }
    }

    static func fold(_ s: String) -> String {
        let f = UnicodeText.caseFold(s)
        return f.unicodeScalars.count > 20 ? String(f.unicodeScalars.prefix(20)) : f
    }

    /// The shape of a token: `X` for uppercase, `x` for lowercase, `d` for digits, other
    /// characters as themselves, repeats collapsed, at most six symbols.
    public static func shape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var last: Unicode.Scalar? = nil
        for u in s.unicodeScalars {
            let c: Unicode.Scalar
            switch ScalarClass.of(u.value) {
            case .upper: c = "X"
            case .lower, .letter: c = "x"
            case .digit, .number: c = "d"
            case .mark: continue
            default: c = u
            }
            if c != last {
                out.append(c)
                last = c
                if out.count >= 6 { break }
            }
        }
        return String(out)
    }
}

/// Incremental sentence splitting: tokens go in one at a time and each sentence comes out
/// as soon as the two tokens after its end are known, so memory stays bounded by the
/// sentence length (at most ``SentenceSplitter/maximumSentenceLength``) whatever the text's size.
public struct SentenceStream {
    let splitter: SentenceSplitter
    let utf8: [UInt8]
    let genre: String
    var buffer: [Token] = []
    var start = 0
    var next = 0

    /// A stream over the tokens of `text`, which must be added in order.
    public init(splitter: SentenceSplitter, text: String) {
        self.splitter = splitter
        utf8 = Array(text.utf8)
        genre = splitter.weights.isEmpty ? "" : SentenceSplitter.genre(of: text)
    }

    /// Adds the next token; returns the sentences completed by it (usually none).
    public mutating func add(_ token: Token) -> [[Token]] {
        buffer.append(token)
        var done: [[Token]] = []
        while next + 2 < buffer.count { decide(&done) }
        return done
    }

    /// Ends the text; returns the remaining sentences.
    public mutating func finish() -> [[Token]] {
        var done: [[Token]] = []
        while next + 1 < buffer.count { decide(&done) }
        if start < buffer.count { done.append(Array(buffer[start...])) }
        buffer.removeAll()
        start = 0
        next = 0
        return done
    }

    mutating func decide(_ done: inout [[Token]]) {
        let i = next
        next += 1
        var boundary = false
        if buffer[i].spaceAfter {
            let gap = utf8[buffer[i].utf8Range.upperBound..<buffer[i + 1].utf8Range.lowerBound]
            boundary =
                SentenceSplitter.containsBlankLine(gap)
                || splitter.isBoundary(buffer, after: i, sentenceStart: start, genre: genre)
        }
        if !boundary && i + 1 - start >= SentenceSplitter.maximumSentenceLength { boundary = true }
        guard boundary else { return }
        done.append(Array(buffer[start...i]))
        start = i + 1
        if start > 2 {
            let drop = start - 2
            buffer.removeFirst(drop)
            start -= drop
            next -= drop
        }
    }
}

extension Tokenizer {
    /// Tokenizes `text` and cuts it into sentences as `mode` says; an abbreviation's period
    /// that ends a sentence becomes a token of its own (``separatingFinalPeriods(_:sentences:)``).
    public func document(_ text: String, sentences mode: SentenceMode) -> Document {
        let tokens = tokenize(text)
        let sentences = Self.sentences(of: tokens, in: text, mode: mode, lexicon: lexicon)
        let separated = Self.separatingFinalPeriods(tokens, sentences: sentences)
        return Document(text: text, tokens: separated.tokens, sentences: separated.sentences)
    }

    static func sentences(
        of tokens: [Token], in text: String, mode: SentenceMode, lexicon: TokenizerLexicon
    ) -> [Range<Int>] {
        switch mode {
        case .whole:
            return tokens.isEmpty ? [] : [0..<tokens.count]
        case .runningText:
            return SentenceSplitter(lexicon: lexicon).split(tokens, in: text)
        case .lines:
            var sentences: [Range<Int>] = []
            var start = 0
            let utf8 = Array(text.utf8)
            for i in 0..<tokens.count {
                let gapEnd = i + 1 < tokens.count ? tokens[i + 1].utf8Range.lowerBound : utf8.count
                let gap = utf8[tokens[i].utf8Range.upperBound..<gapEnd]
                if i + 1 == tokens.count || gap.contains(0x0A) || gap.contains(0x0D) {
                    sentences.append(start..<(i + 1))
                    start = i + 1
                }
            }
            return sentences
        }
    }
}
