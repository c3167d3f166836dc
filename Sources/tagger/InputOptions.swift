import ArgumentParser
import Foundation
import Pipeline
import Tagging
import Text
import Tokenization

extension InputFormat: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
extension CoNLLUColumn: ExpressibleByArgument {}
extension SplitterKind: ExpressibleByArgument {}
extension OffsetUnit: ExpressibleByArgument {}
extension TokenWriter.Format: ExpressibleByArgument {}

/// A comma-separated list of pipeline components (`pos,ner,sentiment`).
struct ComponentList: ExpressibleByArgument {
    /// The components in pipeline order, without repeats.
    var components: [PipelineComponent]

    init?(argument: String) {
        var set = Set<PipelineComponent>()
        for name in argument.split(separator: ",") {
            guard
                let component = PipelineComponent(
                    rawValue: name.trimmingCharacters(in: .whitespaces))
            else { return nil }
            set.insert(component)
        }
        guard !set.isEmpty else { return nil }
        components = PipelineComponent.allCases.filter(set.contains)
    }

    static var allValueStrings: [String] { PipelineComponent.allCases.map(\.rawValue) }
}

/// Options shared by the commands that read text: where the input comes from and how it
/// is read and tokenized.
struct StreamInputOptions: ParsableArguments {
    @Option(help: "Read this file instead of standard input.")
    var inputFile: String?

    @Flag(help: "Replace invalid UTF-8 by U+FFFD instead of stopping with an error.")
    var replaceInvalid = false

    @Option(
        help: ArgumentHelp(
            "Sentences tagged together at most; output is written and flushed after each batch.",
            valueName: "n"))
    var batchSize = 1024

    @Option(
        help:
            "A tokenizer lexicon trained by `tagger train --task tokenize` (default: the bundled English one)."
    )
    var lexicon: String?

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    /// The line reader over the input file or standard input; `markInvalid` returns lines
    /// with invalid UTF-8 marked instead of stopping.
    func lineReader(markInvalid: Bool = false) throws -> LineReader {
        let options = LineReader.Options(replaceInvalid: replaceInvalid, markInvalid: markInvalid)
        if let inputFile { return try LineReader(path: inputFile, options: options) }
        return LineReader.standardInput(options: options)
    }

    /// The tokenizer: the lexicon's, or the bundled English one.
    func tokenizer() throws -> Tokenizer { try loadTokenizer(lexicon) }
}

/// The options that choose the sentence splitter for running text.
extension LineBreaks: ExpressibleByArgument {}

struct SegmentationOptions: ParsableArguments {
    @Option(help: "Sentence splitter for running text: neural or perceptron.")
    var splitter: SplitterKind = .neural

    @Option(
        help:
            "A sentence model trained by `tagger train --task sentences` (default: models/sentence-en.model, found via $TAGGER_MODELS, the package or the directories above the executable)."
    )
    var sentenceModel: String?

    @Option(
        help: ArgumentHelp(
            "How single line breaks of running text are read: auto, boundary, paragraphs or wrap.",
            discussion:
                "auto: a line break ends a sentence unless the paragraph is hard-wrapped (most lines end where the next word would not have fitted). boundary: every line break ends a sentence, each line split on its own (one sentence or document a line). paragraphs: every line break ends a paragraph, the lines split together with their neighbours in view (one paragraph a line). wrap: line breaks are spaces. A blank line always ends a sentence."
        ))
    var lineBreaks: LineBreaks = .auto

    /// The chosen splitter behind the reading of line breaks (``LineBreakSegmenter``).
    func load(tokenizer: Tokenizer) throws -> any SentenceSegmenter {
        let splitter = try loadSplitter(tokenizer: tokenizer)
        return lineBreaks == .wrap
            ? splitter : LineBreakSegmenter(base: splitter, lineBreaks: lineBreaks)
    }

    /// The chosen splitter; without --sentence-model and no shipped model found, the
    /// perceptron with a note on standard error.
    private func loadSplitter(tokenizer: Tokenizer) throws -> any SentenceSegmenter {
        let perceptron = SentenceSplitter(lexicon: tokenizer.lexicon)
        guard splitter == .neural else { return perceptron }
        if let sentenceModel { return try NeuralSentenceSplitter(contentsOf: sentenceModel) }
        guard let found = ModelLocator().path(of: .sentences) else {
            var err = StandardError()
            print(
                "note: no \(ShippedModel.sentences.fileName) found (set TAGGER_MODELS or pass --sentence-model); using the perceptron splitter",
                to: &err)
            return perceptron
        }
        return try NeuralSentenceSplitter(contentsOf: found)
    }
}

/// Loads the tokenizer from a lexicon file, or the bundled English one.
func loadTokenizer(_ path: String?) throws -> Tokenizer {
    guard let path else { return Tokenizer(lexicon: try TokenizerLexicon.bundledEnglish()) }
    return Tokenizer(lexicon: try TokenizerLexicon(contentsOf: URL(fileURLWithPath: path)))
}

/// A positional argument where the commands read standard input: say how to give a file.
struct StrayFileArgument: ParsableArguments {
    @Argument(help: .hidden) var stray: [String] = []

    func validate() throws {
        guard let first = stray.first else { return }
        throw ValidationError(
            "unexpected argument '\(first)': the input is read from standard input; give a file with --input-file \(first) or `< \(first)`"
        )
    }
}
