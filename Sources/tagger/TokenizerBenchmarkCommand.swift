import ArgumentParser
import Benchmarks
import Corpora
import Foundation
import NeuralNetwork
import Pipeline
import Tagging
import Text
import Tokenization

/// `tagger benchmark tokenizer`: tokens per second of tokenization alone.
struct TokenizerBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract:
            "Tokens per second of the tokenizer on the raw text of a CoNLL-U file, one sentence a line."
    )

    @Option(
        help:
            "The CoNLL-U file whose # text lines are tokenized (default: $CORPORA/ud-english-ewt/test.conllu)."
    )
    var test: String?

    @Option(help: "Timed repetitions; the median is reported.")
    var repetitions = 20

    @Flag(
        help:
            "Running text: tokenize each document's sentences joined with spaces and split them into sentences."
    )
    var splitSentences = false

    @OptionGroup var segmentation: SegmentationOptions

    func run() throws {
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? "corpora"
        let path = test ?? corpora + "/ud-english-ewt/test.conllu"
        let gold = try CoNLLUReader.read(path: path)
        let tokenizer = Tokenizer.english
        if splitSentences {
            try runningText(gold, path: path, tokenizer: tokenizer)
            return
        }
        let lines = gold.map(\.rawText)
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        var tokens = 0
        let seconds = Stopwatch.median(repetitions: repetitions) {
            var count = 0
            for line in lines { count += tokenizer.tokenize(line).count }
            tokens = count
        }
        print("tokenizer on \(path): \(lines.count) lines, \(bytes) bytes, \(tokens) tokens")
        print(
            String(
                format: "median of %d runs: %.2f ms, %.0f tokens/s, %.1f MB/s (one core)",
                repetitions, seconds * 1000, Double(tokens) / seconds, Double(bytes) / seconds / 1e6
            ))
    }

    func runningText(_ gold: [CoNLLUSentence], path: String, tokenizer: Tokenizer) throws {
        let texts = CoNLLUSentence.runningTexts(gold).map(\.text)
        let segmenter = try segmentation.load(tokenizer: tokenizer)
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        var tokens = 0
        var sentences = 0
        let seconds = Stopwatch.median(repetitions: repetitions) {
            var count = 0
            var sentenceCount = 0
            // Documents in groups of at least 16 KB, as `tagger tokenize --split-sentences`
            // hands paragraphs to the splitter.
            var group: [String] = []
            var bytes = 0
            func run() {
                for document in tokenizer.documents(group, segmenter: segmenter) {
                    count += document.tokens.count
                    sentenceCount += document.sentences.count
                }
                group = []
                bytes = 0
            }
            for text in texts {
                group.append(text)
                bytes += text.utf8.count
                if bytes >= 16384 { run() }
            }
            run()
            tokens = count
            sentences = sentenceCount
        }
        print(
            "tokenizer + \(type(of: segmenter)) on \(path): \(texts.count) documents as running text, \(bytes) bytes, \(tokens) tokens, \(sentences) sentences"
        )
        print(
            String(
                format: "median of %d runs: %.2f ms, %.0f tokens/s, %.1f MB/s (one core)",
                repetitions, seconds * 1000, Double(tokens) / seconds, Double(bytes) / seconds / 1e6
            ))
    }
}
