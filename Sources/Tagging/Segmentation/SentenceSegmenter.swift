import Text
import Tokenization

/// Cuts the tokens of a running text into sentences.
public protocol SentenceSegmenter {
    /// The sentences of `tokens` (tokenized from `text`) as consecutive ranges of token
    /// indices covering every token.
    func sentences(of tokens: [Token], in text: String) -> [Range<Int>]

    /// The sentences of several independent texts (a segmenter may batch them).
    func sentences(ofTexts texts: [(tokens: [Token], text: String)]) -> [[Range<Int>]]
}

extension SentenceSegmenter {
    /// One text at a time.
    public func sentences(ofTexts texts: [(tokens: [Token], text: String)]) -> [[Range<Int>]] {
        texts.map { sentences(of: $0.tokens, in: $0.text) }
    }
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
        documents([text], segmenter: segmenter)[0]
    }

    /// Tokenizes several independent running texts and cuts them into sentences with
    /// `segmenter`, which may batch them (much faster for a neural splitter); an
    /// abbreviation's period that ends a sentence becomes a token of its own
    /// (``Tokenizer/separatingFinalPeriods(_:sentences:)``).
    public func documents(_ texts: [String], segmenter: SentenceSegmenter) -> [Document] {
        let tokenized = texts.map { (tokens: tokenize($0), text: $0) }
        return zip(tokenized, segmenter.sentences(ofTexts: tokenized)).map {
            let separated = Tokenizer.separatingFinalPeriods($0.tokens, sentences: $1)
            return Document(
                text: $0.text, tokens: separated.tokens, sentences: separated.sentences)
        }
    }
}
