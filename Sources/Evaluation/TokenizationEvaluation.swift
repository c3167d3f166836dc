import Foundation
import Text

/// Tokens, Words and Sentences scores with the definitions of the CoNLL 2018 shared task:
/// units are spans over the concatenated non-space characters; words inside multiword
/// tokens are aligned by the longest common subsequence of their lowercased forms.
public struct TokenizationScore: Hashable, Sendable, Codable {
    /// Token (surface token and multiword token) spans.
    public var tokens: F1Score
    /// Syntactic words.
    public var words: F1Score
    /// Sentence spans.
    public var sentences: F1Score
    /// Words whose tag also matches (UPOS in CoNLL 2018), when both sides carry tags.
    public var taggedWords: F1Score? = nil

    /// A score from its parts.
    public init(
        tokens: F1Score, words: F1Score, sentences: F1Score, taggedWords: F1Score? = nil
    ) {
        self.tokens = tokens
        self.words = words
        self.sentences = sentences
        self.taggedWords = taggedWords
    }
}

/// The text of gold and system output differs, so spans cannot be compared.
public enum TokenizationEvaluationError: LocalizedError, Equatable {
    /// The non-space characters differ at `characterOffset`.
    case textMismatch(characterOffset: Int, gold: String, system: String)

    /// A message quoting both sides around the first difference.
    public var errorDescription: String? {
        switch self {
        case .textMismatch(let offset, let gold, let system):
            return
                "gold and system text differ at non-space character \(offset): gold \"\(gold)\", system \"\(system)\""
        }
    }
}

/// One side (gold or system) of a tokenization evaluation: sentences of tokens, each token
/// a surface form with its syntactic words.
public struct SegmentedText: Sendable {
    struct Unit {
        var start: Int
        var end: Int
    }
    struct Word {
        var start: Int
        var end: Int
        var form: String
        var multiword: Bool
        var tag: String? = nil
    }
    var characters: [Unicode.Scalar] = []
    var tokens: [Unit] = []
    var words: [Word] = []
    var sentences: [Unit] = []

    /// An empty side.
    public init() {}

    /// Appends a sentence given as (form, words) pairs; `words` empty for a single word.
    /// `tags`, if given, has one tag per syntactic word, in order (for tagging scores).
    public mutating func appendSentence(
        _ sentence: [(form: String, words: [String])], tags: [String]? = nil
    ) {
        guard !sentence.isEmpty else { return }
        let sentenceStart = characters.count
        let firstWord = self.words.count
        for (form, words) in sentence {
            let start = characters.count
            for u in form.unicodeScalars where !Self.isSpace(u) { characters.append(u) }
            let end = characters.count
            tokens.append(Unit(start: start, end: end))
            if words.isEmpty {
                self.words.append(
                    Word(start: start, end: end, form: form.lowercased(), multiword: false))
            } else {
                for w in words {
                    self.words.append(
                        Word(start: start, end: end, form: w.lowercased(), multiword: true))
                }
            }
        }
        sentences.append(Unit(start: sentenceStart, end: characters.count))
        if let tags {
            precondition(
                tags.count == self.words.count - firstWord,
                "\(tags.count) tags for \(self.words.count - firstWord) words")
            for (k, tag) in tags.enumerated() { self.words[firstWord + k].tag = tag }
        }
    }

    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.generalCategory == .spaceSeparator || u == " " || u == "\t" || u == "\n"
            || u == "\r"
    }

    /// Appends the sentences of a tokenized document.
    public mutating func append(_ document: Document) {
        for range in document.sentences {
            appendSentence(document.tokens[range].map { ($0.text, $0.words) })
        }
    }
}

/// The CoNLL 2018 tokenization metrics (the tokenizer-running part lives in `Tagging`).
public enum TokenizationEvaluation {
    /// Scores `system` against `gold`; both must have the same non-space characters.
    public static func score(gold: SegmentedText, system: SegmentedText) throws -> TokenizationScore
    {
        if gold.characters != system.characters {
            var k = 0
            while k < min(gold.characters.count, system.characters.count)
                && gold.characters[k] == system.characters[k]
            { k += 1 }
            func around(_ c: [Unicode.Scalar]) -> String {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: c[max(0, k - 10)..<min(c.count, k + 10)])
                return String(s)
            }
            throw TokenizationEvaluationError.textMismatch(
                characterOffset: k, gold: around(gold.characters), system: around(system.characters)
            )
        }
        let words = alignWords(gold.words, system.words)
        let tagged =
            gold.words.contains { $0.tag != nil } && system.words.contains { $0.tag != nil }
        return TokenizationScore(
            tokens: spans(gold.tokens, system.tokens), words: words.words,
            sentences: spans(gold.sentences, system.sentences),
            taggedWords: tagged ? words.tagged : nil)
    }

    static func spans(_ gold: [SegmentedText.Unit], _ system: [SegmentedText.Unit]) -> F1Score {
        var g = 0
        var s = 0
        var correct = 0
        while g < gold.count && s < system.count {
            let a = gold[g]
            let b = system[s]
            if a.start == b.start && a.end == b.end {
                correct += 1
                g += 1
                s += 1
            } else if a.end < b.end || (a.end == b.end && a.start > b.start) {
                g += 1
            } else {
                s += 1
            }
        }
        return F1Score(correct: correct, gold: gold.count, system: system.count)
    }

    /// Aligned words, and aligned words with equal tags.
    static func alignWords(_ gold: [SegmentedText.Word], _ system: [SegmentedText.Word]) -> (
        words: F1Score, tagged: F1Score
    ) {
        var g = 0
        var s = 0
        var correct = 0
        var correctTags = 0
        // Whether word `w` lies past a multiword region ending at `end`.
        func past(_ w: SegmentedText.Word, _ end: Int) -> Bool {
            w.multiword ? w.start >= end : w.end > end
        }
        while g < gold.count && s < system.count {
            let a = gold[g]
            let b = system[s]
            if a.multiword || b.multiword {
                var end: Int
                if a.multiword {
                    end = a.end
                    if !b.multiword && b.start < a.start { s += 1 }
                } else {
                    end = b.end
                    if !a.multiword && a.start < b.start { g += 1 }
                }
                let g0 = g
                let s0 = s
                while (g < gold.count && !past(gold[g], end))
                    || (s < system.count && !past(system[s], end))
                {
                    let takeGold =
                        g < gold.count && !past(gold[g], end)
                        && (s >= system.count || past(system[s], end)
                            || gold[g].start <= system[s].start)
                    if takeGold {
                        if gold[g].multiword { end = max(end, gold[g].end) }
                        g += 1
                    } else {
                        if system[s].multiword { end = max(end, system[s].end) }
                        s += 1
                    }
                }
                let pairs = lcsPairs(gold[g0..<g].map(\.form), system[s0..<s].map(\.form))
                correct += pairs.count
                for (x, y) in pairs where gold[g0 + x].tag == system[s0 + y].tag {
                    correctTags += 1
                }
            } else if a.start == b.start && a.end == b.end {
                correct += 1
                if a.tag == b.tag { correctTags += 1 }
                g += 1
                s += 1
            } else if a.end < b.end || (a.end == b.end && a.start > b.start) {
                g += 1
            } else {
                s += 1
            }
        }
        return (
            F1Score(correct: correct, gold: gold.count, system: system.count),
            F1Score(correct: correctTags, gold: gold.count, system: system.count)
        )
    }

    /// The index pairs of a longest common subsequence of `x` and `y`.
    static func lcsPairs(_ x: [String], _ y: [String]) -> [(Int, Int)] {
        guard !x.isEmpty && !y.isEmpty else { return [] }
        var table = [[Int]](
            repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                table[i][j] =
                    x[i] == y[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var (i, j) = (0, 0)
        while i < x.count && j < y.count {
            if x[i] == y[j] {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if table[i + 1][j] >= table[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    /// Up to `limit` token differences as lines `gold ⇄ system` around each mismatching
    /// region, for error analysis.
    public static func tokenDifferences(
        gold: SegmentedText, system: SegmentedText, limit: Int = 100
    ) -> [String] {
        var lines: [String] = []
        var g = 0
        var s = 0
        func text(_ u: SegmentedText.Unit, _ chars: [Unicode.Scalar]) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: chars[u.start..<u.end])
            return String(v)
        }
        while g < gold.tokens.count && s < system.tokens.count && lines.count < limit {
            let a = gold.tokens[g]
            let b = system.tokens[s]
            if a.start == b.start && a.end == b.end {
                g += 1
                s += 1
                continue
            }
            var gEnd = g
            var sEnd = s
            var end = max(a.end, b.end)
            while true {
                while gEnd < gold.tokens.count && gold.tokens[gEnd].start < end {
                    end = max(end, gold.tokens[gEnd].end)
                    gEnd += 1
                }
                while sEnd < system.tokens.count && system.tokens[sEnd].start < end {
                    end = max(end, system.tokens[sEnd].end)
                    sEnd += 1
                }
                if (gEnd >= gold.tokens.count || gold.tokens[gEnd].start >= end)
                    && (sEnd >= system.tokens.count || system.tokens[sEnd].start >= end)
                {
                    break
                }
            }
            let goldText = gold.tokens[g..<gEnd].map { text($0, gold.characters) }.joined(
                separator: " ")
            let systemText = system.tokens[s..<sEnd].map { text($0, system.characters) }.joined(
                separator: " ")
            lines.append("\(goldText)\t⇄\t\(systemText)")
            g = gEnd
            s = sEnd
        }
        return lines
    }
}
