/// One token of a text: its surface form, where it is in the original text, the
/// syntactic words it stands for, and whether white space follows it.
///
/// Ranges are half-open. `scalarRange` counts **Unicode scalars** (code points) from
/// the start of the tokenized text, as UD's evaluation script counts characters;
/// `utf8Range` counts UTF-8 bytes. Use ``Document/stringRange(of:)`` or
/// ``Token/stringRange(in:)`` for a `Range<String.Index>` into the original `String`.
public struct Token: Hashable, Sendable {
    /// The surface form, exactly as in the original text.
    public var text: String
    /// The half-open range in Unicode scalars from the start of the text.
    public var scalarRange: Range<Int>
    /// The half-open range in UTF-8 bytes from the start of the text.
    public var utf8Range: Range<Int>
    /// The syntactic words of a multiword token (`don't` → `do`, `n't`); empty when the
    /// token is a single word.
    public var words: [String]
    /// Whether white space (or the end of the text) follows the token.
    public var spaceAfter: Bool

    /// A token with the given form, ranges, multiword split and spacing.
    public init(
        text: String, scalarRange: Range<Int>, utf8Range: Range<Int>, words: [String] = [],
        spaceAfter: Bool = true
    ) {
        self.text = text
        self.scalarRange = scalarRange
        self.utf8Range = utf8Range
        self.words = words
        self.spaceAfter = spaceAfter
    }

    /// Whether the token stands for more than one syntactic word.
    public var isMultiword: Bool { !words.isEmpty }

    /// The syntactic words: `words` for a multiword token, otherwise the token itself.
    public var syntacticWords: [String] { words.isEmpty ? [text] : words }

    /// Calls `body` with each of the ``syntacticWords`` in order, without the array that
    /// property makes for a token of one word.
    public func forEachSyntacticWord(_ body: (String) throws -> Void) rethrows {
        if words.isEmpty {
            try body(text)
        } else {
            for word in words { try body(word) }
        }
    }

    /// Appends the ``syntacticWords`` to `list` (see ``forEachSyntacticWord(_:)``).
    public func appendSyntacticWords(to list: inout [String]) {
        forEachSyntacticWord { list.append($0) }
    }

    /// The range of the token in `original`, the string it was tokenized from (O(1) for
    /// native Swift strings).
    public func stringRange(in original: String) -> Range<String.Index> {
        let utf8 = original.utf8
        precondition(
            utf8Range.upperBound <= utf8.count,
            "token range \(utf8Range) outside a text of \(utf8.count) bytes")
        let start = utf8.index(utf8.startIndex, offsetBy: utf8Range.lowerBound)
        let end = utf8.index(start, offsetBy: utf8Range.count)
        return start..<end
    }
}

/// A tokenized text: the original string, its tokens in order and its sentences as
/// ranges of token indices.
public struct Document: Sendable {
    /// The original text, unchanged.
    public var text: String
    /// The tokens in text order.
    public var tokens: [Token]
    /// The sentences, each a non-empty half-open range of indices into `tokens`, in order and
    /// without gaps or overlaps.
    public var sentences: [Range<Int>]

    /// A document from its parts; sentences must be ordered ranges of valid token indices.
    public init(text: String, tokens: [Token], sentences: [Range<Int>]) {
        precondition(
            sentences.allSatisfy { $0.upperBound <= tokens.count },
            "sentence range outside \(tokens.count) tokens")
        self.text = text
        self.tokens = tokens
        self.sentences = sentences
    }

    /// The tokens of sentence number `index`.
    public func tokens(inSentence index: Int) -> ArraySlice<Token> { tokens[sentences[index]] }

    /// The range of `token` in `text`.
    public func stringRange(of token: Token) -> Range<String.Index> { token.stringRange(in: text) }

    /// The original text of sentence number `index`, from its first token to its last.
    public func sentenceText(_ index: Int) -> Substring {
        let range = sentences[index]
        let start = tokens[range.lowerBound].stringRange(in: text).lowerBound
        let end = tokens[range.upperBound - 1].stringRange(in: text).upperBound
        return text[start..<end]
    }
}
