import ArgumentParser
import Foundation
import Pipeline
import Tagging
import Text

/// The output formats of `tagger classify`.
enum ClassifyFormat: String, ExpressibleByArgument, CaseIterable {
    /// `LABEL<TAB>PROBABILITY` a line.
    case tsv
    /// One JSON object a line.
    case json
}

/// `tagger classify`: a sentiment label for each input line, streamed in batches.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify the sentiment of each input line.",
        discussion: """
            Each input line is one text, tokenized by the tokenizer; each gives exactly one \
            output line, in order. tsv (the default) is LABEL<TAB>PROBABILITY, the label as in \
            the training file and the model's probability of it with four decimals; json is \
            {"text", "label", "probability", "probabilities": {label: probability, ...}}. \
            A blank (or white-space-only) line gives an empty line in tsv and null label and \
            probability in json.

            Without --model the shipped sentiment-en.model is used, from $TAGGER_MODELS, else \
            the package's models/ directory, else a models/ directory beside or above the \
            executable, else ./models; `make models` \
            trains it. Lines are read on a second thread and classified in batches of whatever \
            has arrived (at most --batch-size); output is flushed after each batch. A text of \
            more than 1,000 words gets the mean of the probabilities of its 1,000-word windows \
            (weighted by their words); a line of more than 100,000 tokens is an error.
            """)

    @Option(
        help: "A model trained by `tagger train --task sentiment` (default: the shipped model).")
    var model: String?

    @Option(help: "Output format: tsv or json.")
    var format: ClassifyFormat = .tsv

    @OptionGroup var stream: StreamInputOptions

    @OptionGroup var stray: StrayFileArgument

    func run() throws {
        let pipeline = try Pipeline(
            components: [.sentiment], modelFiles: model.map { [.sentiment: $0] } ?? [:],
            splitter: .perceptron, tokenizer: stream.tokenizer())
        // Each line is one text, classified as one sentence.
        let reader = DocumentReader(
            lines: try stream.lineReader(), format: .text, layout: .sentencePerLine,
            pipeline: pipeline)
        let writer = ByteWriter.standardOutput()
        try pipeline.annotate(reader, batchSize: stream.batchSize) { _, document in
            try writer.write(line(document) + "\n")
        } batchDone: {
            try writer.flush()
        }
        try writer.close()
    }

    /// The output line (without terminator) for one text.
    func line(_ document: AnnotatedDocument) -> String {
        guard let sentiment = document.sentences.first?.sentiment else {
            switch format {
            case .tsv: return ""
            case .json:
                return "{\"text\":" + JSONText.quoted(document.text)
                    + ",\"label\":null,\"probability\":null,\"probabilities\":null}"
            }
        }
        switch format {
        case .tsv:
            return sentiment.label + "\t" + JSONText.probability(sentiment.probability)
        case .json:
            let json = JSONText.sentiment(sentiment)
            return "{\"text\":" + JSONText.quoted(document.text) + "," + json.dropFirst()
        }
    }
}
