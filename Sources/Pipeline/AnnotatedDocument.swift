import Corpora
import Tagging
import Text

/// A half-open range of a document's text in the three units users count in: Unicode
/// scalars (code points: Python's `str` indices, and UD's evaluation script), UTF-16 code
/// units (JavaScript, Java, `NSString`), and UTF-8 bytes (Rust, Go, byte offsets in files).
public struct TextRange: Hashable, Sendable {
    /// The range in Unicode scalars from the start of the document's text.
    public var scalars: Range<Int>
    /// The range in UTF-16 code units from the start of the document's text.
    public var utf16: Range<Int>
    /// The range in UTF-8 bytes from the start of the document's text.
    public var utf8: Range<Int>

    /// A range from its three forms, which must describe the same characters.
    public init(scalars: Range<Int>, utf16: Range<Int>, utf8: Range<Int>) {
        self.scalars = scalars
        self.utf16 = utf16
        self.utf8 = utf8
    }

    /// The range from the start of `self` to the end of `other`.
    public func extended(to other: TextRange) -> TextRange {
        TextRange(
            scalars: scalars.lowerBound..<other.scalars.upperBound,
            utf16: utf16.lowerBound..<other.utf16.upperBound,
            utf8: utf8.lowerBound..<other.utf8.upperBound)
    }
}

/// How offsets are counted in an output format.
public enum OffsetUnit: String, CaseIterable, Sendable {
    /// Unicode scalars (code points).
    case scalars
    /// UTF-16 code units.
    case utf16
    /// UTF-8 bytes.
    case utf8

    /// The range of `range` in this unit.
    public func of(_ range: TextRange) -> Range<Int> {
        switch self {
        case .scalars: return range.scalars
        case .utf16: return range.utf16
        case .utf8: return range.utf8
        }
    }
}

/// One surface token of an annotated document: `don't` is one token of two words.
public struct AnnotatedToken: Hashable, Sendable {
    /// The token exactly as in the text.
    public var text: String
    /// Where it is in the document's text.
    public var range: TextRange
    /// Its syntactic words, as indices into ``AnnotatedDocument/words``.
    public var words: Range<Int>
    /// Whether white space (or the end of the text) follows it.
    public var spaceAfter: Bool
}

/// One syntactic word with its tags: the unit the taggers label.
public struct AnnotatedWord: Hashable, Sendable {
    /// The word (for a multiword token, the word's own form, such as `n't`).
    public var text: String
    /// The index of its token in ``AnnotatedDocument/tokens``.
    public var token: Int
    /// The part-of-speech tag and its probability, when the pipeline runs POS.
    public var pos: TokenPrediction?
    /// The entity tag (`B-PER`, `I-ORG`, `O`, ...) and its probability, when the pipeline runs NER.
    public var ner: TokenPrediction?
}

/// A named entity: its type, its text and where it is.
public struct Entity: Hashable, Sendable {
    /// The type (`PER`, `ORG`, `LOC`, ... as the model was trained).
    public var type: String
    /// The entity's text, from its first token to its last.
    public var text: String
    /// Where it is in the document's text.
    public var range: TextRange
    /// Its tokens, as indices into ``AnnotatedDocument/tokens``.
    public var tokens: Range<Int>
    /// Its words, as indices into ``AnnotatedDocument/words``.
    public var words: Range<Int>
    /// The index of its sentence in ``AnnotatedDocument/sentences``.
    public var sentence: Int
}

/// A sentiment classification: the label, its probability, and every label's probability.
public struct Sentiment: Hashable, Sendable {
    /// The most probable label (`negative` or `positive` for the shipped model).
    public var label: String
    /// Its probability.
    public var probability: Float
    /// Every label the model knows, in the model's order.
    public var labels: [String]
    /// The probability of each label in `labels`.
    public var probabilities: [Float]

    /// The classification of a probability distribution over `labels`.
    public init(labels: [String], probabilities: [Float]) {
        precondition(
            labels.count == probabilities.count && !labels.isEmpty,
            "\(probabilities.count) probabilities for \(labels.count) labels")
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        self.label = labels[best]
        self.probability = probabilities[best]
        self.labels = labels
        self.probabilities = probabilities
    }
}

/// One sentence of an annotated document.
public struct AnnotatedSentence: Hashable, Sendable {
    /// Where it is in the document's text, from its first token to its last.
    public var range: TextRange
    /// Its tokens, as indices into ``AnnotatedDocument/tokens``.
    public var tokens: Range<Int>
    /// Its words, as indices into ``AnnotatedDocument/words``.
    public var words: Range<Int>
    /// Its entities, as indices into ``AnnotatedDocument/entities``.
    public var entities: Range<Int>
    /// Its sentiment, when the pipeline runs the sentiment classifier.
    public var sentiment: Sentiment?
}

/// A text with everything the pipeline found in it: tokens, sentences, words with their
/// tags, entities and sentiment. Ranges count from the start of ``text``, in Unicode
/// scalars, UTF-16 code units and UTF-8 bytes (``TextRange``).
///
/// ```swift
/// let document = try Pipeline().annotate("Alice moved to Paris. She loves it.")
/// for word in document.words { print(word.text, word.pos?.tag ?? "") }
/// for entity in document.entities { print(entity.type, entity.text, entity.range.utf16) }
/// for sentence in document.sentences { print(sentence.sentiment?.label ?? "") }
/// ```
public struct AnnotatedDocument: Sendable {
    /// The text, unchanged.
    public var text: String
    /// The surface tokens in text order.
    public var tokens: [AnnotatedToken]
    /// The syntactic words in text order, with their tags.
    public var words: [AnnotatedWord]
    /// The sentences in text order.
    public var sentences: [AnnotatedSentence]
    /// The entities in text order.
    public var entities: [Entity]
    /// The sentiment of the whole document: the mean of its sentences' probabilities,
    /// weighted by their words (`nil` without the sentiment classifier or without words).
    public var sentiment: Sentiment?
    /// The components that annotated it, in pipeline order.
    public var components: [PipelineComponent]
    /// For CoNLL-U input, each sentence as read (one per sentence), so writers keep every
    /// column and comment; empty otherwise.
    public var conllu: [CoNLLUSentence]

    /// The text of `sentence`, from its first token to its last.
    public func text(of sentence: AnnotatedSentence) -> Substring { slice(sentence.range) }

    /// The text of `range`.
    public func slice(_ range: TextRange) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.utf8.lowerBound)
        let end = utf8.index(start, offsetBy: range.utf8.count)
        return text[start..<end]
    }

    /// The tokens of `sentence`.
    public func tokens(of sentence: AnnotatedSentence) -> ArraySlice<AnnotatedToken> {
        tokens[sentence.tokens]
    }

    /// The words of `sentence`.
    public func words(of sentence: AnnotatedSentence) -> ArraySlice<AnnotatedWord> {
        words[sentence.words]
    }

    /// The entities of `sentence`.
    public func entities(of sentence: AnnotatedSentence) -> ArraySlice<Entity> {
        entities[sentence.entities]
    }
}

/// Computes ``TextRange``s for the tokens of one text in a single pass over its scalars.
struct OffsetTable {
    /// The UTF-16 offset of each token's start and end, in token order.
    private(set) var utf16Starts: [Int] = []
    private(set) var utf16Ends: [Int] = []

    /// Whether UTF-16 offsets are the scalar offsets: the text has no scalar beyond the
    /// Basic Multilingual Plane (no UTF-8 sequence of four bytes), as most texts.
    private let utf16IsScalars: Bool

    /// The table for `tokens` (in text order, non-overlapping) of `text`.
    init(text: String, tokens: [Token]) {
        utf16IsScalars = !text.utf8.contains { $0 >= 0xF0 }
        if utf16IsScalars { return }
        utf16Starts.reserveCapacity(tokens.count)
        utf16Ends.reserveCapacity(tokens.count)
        var scalar = 0
        var utf16 = 0
        var iterator = text.unicodeScalars.makeIterator()
        func advance(to target: Int) {
            while scalar < target, let next = iterator.next() {
                utf16 += next.value > 0xFFFF ? 2 : 1
                scalar += 1
            }
        }
        for token in tokens {
            advance(to: token.scalarRange.lowerBound)
            utf16Starts.append(utf16)
            advance(to: token.scalarRange.upperBound)
            utf16Ends.append(utf16)
        }
    }

    /// The range of token number `index`, which is `token`.
    func range(of token: Token, at index: Int) -> TextRange {
        TextRange(
            scalars: token.scalarRange,
            utf16: utf16IsScalars ? token.scalarRange : utf16Starts[index]..<utf16Ends[index],
            utf8: token.utf8Range)
    }
}
