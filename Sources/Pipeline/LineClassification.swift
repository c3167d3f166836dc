import Corpora
import Evaluation
import Tagging
import Text
import Tokenization

extension Document {
    /// One line of text as one sentence, without the sentence splitter: `tokens` (the
    /// line's tokens) all in one sentence, or no sentence when there are none, with the
    /// period of a final abbreviation a token of its own
    /// (``Tokenizer/separatingFinalPeriods(_:sentences:)``). This is how ``DocumentReader``
    /// reads sentence-per-line text, so `tagger classify` and ``Pipeline/annotate(lines:)``
    /// build the same documents.
    public init(line text: String, tokens: [Token]) {
        let separated = Tokenizer.separatingFinalPeriods(
            tokens, sentences: tokens.isEmpty ? [] : [0..<tokens.count])
        self.init(text: text, tokens: separated.tokens, sentences: separated.sentences)
    }
}

extension Pipeline {
    /// Annotates each text as one sentence (tokenized by the pipeline's tokenizer, not
    /// split into sentences), in order: what `tagger classify` does with each input line.
    public func annotate(lines texts: [String]) -> [AnnotatedDocument] {
        annotate(documents: texts.map { Document(line: $0, tokens: tokenizer.tokenize($0)) })
    }
}

/// Sentiment scores of labelled sentences classified as `tagger classify` classifies
/// text: each example's text tokenized by the pipeline's tokenizer and read by its
/// sentiment model as one sentence, so the figure is the one classify's output gives.
public enum SentimentEvaluation {
    /// The model's label (as in its training file) for each text, `nil` for a text
    /// without tokens, through ``Pipeline/annotate(lines:)`` in batches of `batchSize`.
    /// - Precondition: the pipeline has a sentiment model.
    public static func predictedLabels(
        pipeline: Pipeline, texts: [String], batchSize: Int = 32
    ) -> [String?] {
        guard let model = pipeline.sentiment else {
            preconditionFailure("the pipeline has no sentiment model")
        }
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        var labels: [String?] = []
        labels.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(texts.count, start + batchSize)
            for document in pipeline.annotate(lines: Array(texts[start..<end])) {
                labels.append(
                    document.sentences.first?.sentiment.map { sentiment in
                        // The pipeline names the labels (`negative`, `positive`); the
                        // model's own labels are those of its training file, in the same order.
                        model.labels[sentiment.labels.firstIndex(of: sentiment.label)!]
                    })
            }
            start = end
        }
        return labels
    }

    /// Accuracy and per-label scores of `examples`. A text without tokens (which
    /// classify answers with an empty line, and training skips) is not counted.
    public static func scores(
        pipeline: Pipeline, examples: [SentimentExample], batchSize: Int = 32
    ) -> ClassificationScores {
        let predicted = predictedLabels(
            pipeline: pipeline, texts: examples.map(\.text), batchSize: batchSize)
        var result = ClassificationScores()
        for (example, label) in zip(examples, predicted) {
            if let label { result.add(gold: example.label, predicted: label) }
        }
        return result
    }
}
