import ArgumentParser
import Foundation
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
            the models/ directory found above the executable, else ./models; `make models` \
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

    /// One input line, tokenized.
    struct InputText {
        var text: String
        var words: [String]
    }

    func run() throws {
        let path = try model ?? ModelLocator().existingPath(of: .sentiment)
        let classifier = try SentimentModel.load(path: path)
        let tokenizer = try loadTokenizer(stream.lexicon)
        let lines = try stream.lineReader()
        let writer = ByteWriter.standardOutput()
        let prefetcher = Prefetcher(capacity: 2 * stream.batchSize) { () -> InputText? in
            guard let line = try lines.next() else { return nil }
            let text = line.text
            let tokens = try tokenizer.boundedTokens(of: line, text: text, source: lines.name)
            return InputText(text: text, words: tokens.flatMap(\.syntacticWords))
        }
        while true {
            let batch = try prefetcher.nextBatch(maximum: stream.batchSize)
            if batch.isEmpty { break }
            let probabilities = classifier.probabilitiesBounded(batch.map(\.words))
            for (text, p) in zip(batch, probabilities) {
                try writer.write(line(text, probabilities: p, labels: classifier.labels) + "\n")
            }
            try writer.flush()
        }
        try writer.close()
    }

    /// The output line (without terminator) for one text.
    func line(_ text: InputText, probabilities p: [Float], labels: [String]) -> String {
        guard !text.words.isEmpty, let best = p.indices.max(by: { p[$0] < p[$1] }) else {
            switch format {
            case .tsv: return ""
            case .json:
                return "{\"text\":" + JSONText.quoted(text.text)
                    + ",\"label\":null,\"probability\":null,\"probabilities\":null}"
            }
        }
        switch format {
        case .tsv:
            return labels[best] + "\t" + JSONText.probability(p[best])
        case .json:
            let all = labels.indices.map {
                JSONText.quoted(labels[$0]) + ":" + JSONText.probability(p[$0])
            }
            return "{\"text\":" + JSONText.quoted(text.text) + ",\"label\":"
                + JSONText.quoted(labels[best]) + ",\"probability\":"
                + JSONText.probability(p[best]) + ",\"probabilities\":{"
                + all.joined(separator: ",") + "}}"
        }
    }
}
