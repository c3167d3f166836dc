import ArgumentParser
import Foundation
import Tagging
import Text

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

    func run() throws {
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? "../shared/corpora"
        let path = test ?? corpora + "/ud-english-ewt/test.conllu"
        let lines = try GoldSentence.read(conllu: path).map(\.text)
        let tokenizer = Tokenizer.english
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
}
