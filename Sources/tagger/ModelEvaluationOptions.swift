import ArgumentParser
import Benchmarks
import Corpora
import Evaluation
import Foundation
import ModelStorage
import NeuralNetwork
import Pipeline
import Tagging
import Text
import Tokenization

/// The options of `tagger eval --model FILE --test FILE` (POS, NER and sentiment models).
struct ModelEvaluationOptions: ParsableArguments {
    @Option(
        help:
            "A trained POS, NER, joint POS+NER or sentiment model; the task comes from the model (a joint model scores UPOS on a .conllu test and entity spans on any other)."
    )
    var model: String?

    @Option(
        name: .customLong("test-format"),
        help: "Format of the test file (default: from the task and extension).")
    var testFormat: CorpusFormat?

    @Option(
        name: .customLong("test-tag-column"),
        help: "The tag column of the test file, counted from 1.")
    var testTagColumn: Int?

    @Option(help: "How many of the most frequent confusions to print.")
    var confusions = 10

    @Option(name: .customLong("eval-batch-size"), help: "Sentences per batch when tagging.")
    var evalBatchSize = 32

    @Flag(
        help: """
            POS models and CoNLL-U tests: tag the raw text of each sentence (tokenizer \
            included) and print Tokens, Words and UPOS F1 as in CoNLL 2018.
            """)
    var rawText = false

    /// Scores `model` on `test` and prints the figures to stdout. A sentiment model reads
    /// each test text as `tagger classify` does: cut by `tokenizer` and classified through
    /// the pipeline, so both give the same figure on the same sentences.
    func run(test: String, tokenizer: Tokenizer) throws {
        guard let path = model else { throw ValidationError("--model is required") }
        let file = try ModelFile.read(from: path)
        let start = Stopwatch.now()
        var lines: [String] = []
        var errors: [Confusion] = []
        if file.architecture == ModelArchitecture.sentenceClassifier {
            let model = try SentimentModel(file: file, path: path)
            let format = testFormat ?? .sentiment
            guard format == .sentiment else {
                throw TrainingDataError.formatMismatch(path: test, format: format, task: .sentiment)
            }
            let examples = try SentimentReader.read(path: test, labels: nil)
            var coverage = LabelCoverage(known: Set(model.labels))
            coverage.add(examples.map(\.label))
            try coverage.check(file: test, task: "sentiment")
            let pipeline = try Pipeline(
                tokenizer: tokenizer, segmenter: SentenceSplitter(lexicon: tokenizer.lexicon),
                sentiment: model)
            let scores = SentimentEvaluation.scores(
                pipeline: pipeline, examples: examples, batchSize: evalBatchSize)
            guard scores.total > 0 else { throw TrainingDataError.noSentences(path: test) }
            lines.append("Sentiment of \(test): \(scores.total) sentences")
            lines.append(
                String(format: "accuracy %.2f  F1 %.2f", 100 * scores.accuracy, 100 * scores.f1))
            for label in scores.perLabel.keys.sorted() {
                let c = scores.perLabel[label]!
                lines.append(
                    String(
                        format: "%@: precision %.2f  recall %.2f  F1 %.2f  (%d gold)", label,
                        100 * c.precision, 100 * c.recall,
                        100 * c.f1, c.gold))
            }
            errors = scores.confusions.mostFrequentErrors(limit: confusions)
        } else {
            let model: TaggerModel
            if file.architecture == JointTaggerModel.architecture {
                // The task the test file annotates: UPOS in CoNLL-U, entities in columns.
                let joint = try JointTaggerModel(file: file, path: path)
                let format = testFormat ?? CorpusFormat.infer(path: test, task: .ner)
                model = format == .conllu ? joint.pos : joint.ner
            } else {
                model = try TaggerModel(file: file, path: path)
            }
            if rawText {
                guard model.task == .pos else {
                    throw ValidationError("--raw-text applies to POS models")
                }
                let gold = try CoNLLUReader.read(path: test)
                guard !gold.isEmpty else { throw TrainingDataError.noSentences(path: test) }
                let score = try TokenizationEvaluation.evaluateTagging(
                    model: model, tokenizer: tokenizer, gold: gold, threads: 2)
                print("Raw text of \(test), one sentence per line, tokenized and tagged")
                print("Metric     | Precision |    Recall |  F1 Score")
                for (name, s) in [
                    ("Tokens", score.tokens), ("Words", score.words),
                    ("UPOS", score.taggedWords ?? F1Score()),
                ] {
                    print(
                        name.padding(toLength: 10, withPad: " ", startingAt: 0)
                            + String(
                                format: " | %9.2f | %9.2f | %9.2f", 100 * s.precision,
                                100 * s.recall, 100 * s.f1))
                }
                return
            }
            let format = testFormat ?? CorpusFormat.infer(path: test, task: model.task)
            let sentences = try TrainingData.readTagged(
                path: test, format: format, tagColumn: testTagColumn)
            guard !sentences.isEmpty else { throw TrainingDataError.noSentences(path: test) }
            var coverage = LabelCoverage(known: Set(model.tags))
            for sentence in sentences { coverage.add(sentence.tags) }
            try coverage.check(file: test, task: model.task == .ner ? "NER" : "POS")
            if model.task == .ner {
                let scheme = model.configuration.outputScheme ?? .iob2
                try TrainingData.validate(sentences, scheme: scheme, path: test)
                let scores = ModelEvaluation.spanScores(
                    model: model, sentences: sentences, batchSize: evalBatchSize)
                lines.append(
                    "NER spans of \(test) (exact match, \(scheme.name)): \(sentences.count) sentences, \(scores.tokens) tokens, \(scores.overall.gold) gold and \(scores.overall.system) predicted spans"
                )
                lines.append(
                    String(
                        format: "token accuracy %.2f", 100 * scores.tokenAccuracy))
                lines.append("type       | Precision |    Recall |  F1 Score |  gold")
                for type in scores.perType.keys.sorted() + ["overall"] {
                    let c = type == "overall" ? scores.overall : scores.perType[type]!
                    lines.append(
                        type.padding(toLength: 10, withPad: " ", startingAt: 0)
                            + String(
                                format: " | %9.2f | %9.2f | %9.2f | %5d", 100 * c.precision,
                                100 * c.recall, 100 * c.f1, c.gold))
                }
                errors = scores.confusions.mostFrequentErrors(limit: confusions)
            } else {
                let scores = ModelEvaluation.tokenAccuracy(
                    model: model, sentences: sentences, batchSize: evalBatchSize)
                lines.append(
                    "Tagging of \(test): \(sentences.count) sentences, \(scores.total) tokens")
                lines.append(String(format: "accuracy %.2f", 100 * scores.accuracy))
                lines.append(
                    String(
                        format: "known words %.2f (%d tokens)", 100 * scores.knownAccuracy,
                        scores.knownTotal))
                lines.append(
                    String(
                        format: "unknown words %.2f (%d tokens)", 100 * scores.unknownAccuracy,
                        scores.unknownTotal))
                errors = scores.confusions.mostFrequentErrors(limit: confusions)
            }
        }
        if !errors.isEmpty {
            lines.append("most frequent errors (gold → predicted: count):")
            for e in errors { lines.append("  \(e.gold) → \(e.predicted): \(e.count)") }
        }
        for line in lines { print(line) }
        var err = StandardError()
        print(String(format: "evaluated in %.2f s", Stopwatch.now() - start), to: &err)
    }
}
