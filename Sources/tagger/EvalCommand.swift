import ArgumentParser
import Corpora
import Evaluation
import Foundation
import LanguageModel
import ModelStorage
import Pipeline
import Tagging
import Text
import Tokenization

extension RunningTextLayout: ExpressibleByArgument {}

/// The tasks `tagger eval` can score.
enum EvalTask: String, ExpressibleByArgument, CaseIterable {
    case tokenize
}

/// `tagger eval --task …`: scores the toolkit on a gold file.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a task on a gold file.",
        discussion: """
            --task tokenize rebuilds the raw text from the # text comments of a CoNLL-U file, \
            tokenizes it and prints Tokens, Words and Sentences precision, recall and F1 with the \
            CoNLL 2018 shared task definitions. By default each sentence's text is tokenized on \
            its own; with --split-sentences each document's sentences (from # newdoc) are joined \
            with spaces (or laid out in paragraphs, one document a line or one paragraph a line, \
            with --layout) and \
            split by the sentence splitter.
            """)

    @Option(help: "The task to evaluate: tokenize (with --model, the model's task).")
    var task: EvalTask?

    @OptionGroup(title: "Trained models (pos, ner, sentiment)") var modelEvaluation:
        ModelEvaluationOptions

    @Option(help: "The gold CoNLL-U file (plain text for a character language model).")
    var test: String

    @Flag(help: "Running text: join each document's sentences with spaces and split them.")
    var splitSentences = false

    @Option(
        help: ArgumentHelp(
            "With --split-sentences, how each document's sentences are laid out.",
            discussion:
                "spaces: joined with single spaces, no line breaks, each document a text. paragraphs: as the raw text files of the CoNLL 2018 shared task, paragraphs (# newpar) separated by a blank line and lines wrapped after at most 80 characters, the whole file one text. lines: one document a line (its sentences joined with single spaces), the whole file one text. paragraph-lines: one paragraph a line (no blank lines), the whole file one text."
        ))
    var layout: RunningTextLayout = .spaces

    @Option(help: "A tokenizer lexicon (default: the bundled English one).")
    var lexicon: String?

    @Option(help: "Also print up to this many gold ⇄ system token differences.")
    var differences = 0

    @OptionGroup var segmentation: SegmentationOptions

    func run() throws {
        StandardError.openMissingDescriptors()
        if let path = modelEvaluation.model {
            let file = try ModelFile.read(from: path)
            if file.architecture == CharacterLanguageModel.architecture {
                try CharLMEvaluation.run(file: file, path: path, test: test)
                return
            }
            try modelEvaluation.run(test: test, tokenizer: try loadTokenizer(lexicon))
            return
        }
        guard let task else { throw ValidationError("--task or --model is required") }
        switch task {
        case .tokenize:
            let tokenizer = try loadTokenizer(lexicon)
            let gold = try CoNLLUReader.read(path: test)
            let result = try TokenizationEvaluation.evaluate(
                tokenizer: tokenizer, gold: gold, runningText: splitSentences, layout: layout,
                segmenter: splitSentences ? try segmentation.load(tokenizer: tokenizer) : nil)
            if differences > 0 {
                for line in TokenizationEvaluation.tokenDifferences(
                    gold: result.gold, system: result.system, limit: differences)
                {
                    print(line)
                }
            }
            let view: String
            switch (splitSentences, layout) {
            case (false, _): view = "one sentence per line"
            case (true, .spaces): view = "running text (documents joined with spaces)"
            case (true, .paragraphs):
                view =
                    "running text (paragraphs separated by blank lines, lines of at most 80 characters)"
            case (true, .lines): view = "running text (one document a line)"
            case (true, .paragraphLines): view = "running text (one paragraph a line)"
            }
            print("Tokenization of \(test), \(view)")
            print("Metric     | Precision |    Recall |  F1 Score")
            for (name, score) in [
                ("Tokens", result.score.tokens), ("Words", result.score.words),
                ("Sentences", result.score.sentences),
            ] {
                print(
                    name.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + String(
                            format: " | %9.2f | %9.2f | %9.2f", 100 * score.precision,
                            100 * score.recall, 100 * score.f1))
            }
        }
    }
}
