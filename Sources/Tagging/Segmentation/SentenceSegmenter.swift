import Text

/// Cuts the tokens of a running text into sentences.
public protocol SentenceSegmenter {
    /// The sentences of `tokens` (tokenized from `text`) as consecutive ranges of token
    /// indices covering every token.
    func sentences(of tokens: [Token], in text: String) -> [Range<Int>]
}

extension SentenceSplitter: SentenceSegmenter {
    /// The averaged-perceptron splitter's sentences (``SentenceSplitter/split(_:in:)``).
    public func sentences(of tokens: [Token], in text: String) -> [Range<Int>] {
        split(tokens, in: text)
    }
}

extension Tokenizer {
    /// Tokenizes the running text `text` and cuts it into sentences with `segmenter`.
    public func document(_ text: String, segmenter: SentenceSegmenter) -> Document {
        let tokens = tokenize(text)
        return Document(
            text: text, tokens: tokens, sentences: segmenter.sentences(of: tokens, in: text))
    }
}
