import Foundation
import NeuralNetwork
import Pipeline
import Tagging
import Text
import Tokenization

/// The cost of the whole pipeline against its components, from raw text (one sentence a
/// line, tokenizer included), in one run: POS alone, NER alone, sentiment alone, and the
/// three together on one tokenization. Each row is the best of `repetitions` timings.
public struct PipelineBenchmark {
    /// One row: which components ran, and how fast.
    public struct Row: Sendable, Codable {
        /// The components, comma-separated (`pos`, `ner`, `sentiment`, `pos,ner,sentiment`).
        public var components: String
        /// Threads.
        public var threads: Int
        /// Seconds for the whole text, best of the repetitions.
        public var seconds: Double
        /// Words per second.
        public var tokensPerSecond: Double
    }

    /// Everything one run measures.
    public struct Result: Sendable, Codable {
        /// Lines (sentences) and words of the text.
        public var lines: Int, tokens: Int
        /// The component rows, then the pipeline row, for each thread count.
        public var rows: [Row]
        /// For each thread count (as a string, `"1"`, `"2"`): the pipeline's time over the sum
        /// of the component rows'.
        public var pipelineOverSum: [String: Double]
    }

    /// The pipeline with every component loaded.
    public var pipeline: Pipeline
    /// The text, one sentence a line.
    public var lines: [String]
    /// Thread counts to measure.
    public var threadCounts: [Int]
    /// Timed repetitions (the best is kept).
    public var repetitions: Int

    /// A benchmark of `pipeline` (which must run POS, NER and sentiment) on `lines`.
    public init(
        pipeline: Pipeline, lines: [String], threadCounts: [Int] = [1, 2], repetitions: Int = 3
    ) {
        precondition(
            pipeline.components == PipelineComponent.allCases,
            "the pipeline must run every component")
        self.pipeline = pipeline
        self.lines = lines
        self.threadCounts = threadCounts
        self.repetitions = repetitions
    }

    /// Runs every row, reporting each to `progress`.
    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        var rows: [Row] = []
        var ratios: [String: Double] = [:]
        var tokens = 0
        for threads in threadCounts {
            func measure(_ components: [PipelineComponent]) throws -> Row {
                let names = components.map(\.rawValue).joined(separator: ",")
                progress("pipeline: \(names), \(threads) thread(s)")
                let part = try Pipeline(
                    tokenizer: pipeline.tokenizer, segmenter: pipeline.segmenter,
                    pos: components.contains(.pos) ? pipeline.pos : nil,
                    ner: components.contains(.ner) ? pipeline.ner : nil,
                    sentiment: components.contains(.sentiment) ? pipeline.sentiment : nil,
                    threads: threads)
                var words = 0
                let seconds = Stopwatch.best(repetitions: repetitions) {
                    let documents = lines.map { part.tokenizer.document($0, sentences: .whole) }
                    words = part.annotate(documents: documents).reduce(0) { $0 + $1.words.count }
                }
                tokens = words
                return Row(
                    components: names, threads: threads, seconds: seconds,
                    tokensPerSecond: Double(words) / seconds)
            }
            let parts = try PipelineComponent.allCases.map { try measure([$0]) }
            let whole = try measure(PipelineComponent.allCases)
            rows += parts + [whole]
            ratios[String(threads)] = whole.seconds / parts.reduce(0) { $0 + $1.seconds }
        }
        return Result(lines: lines.count, tokens: tokens, rows: rows, pipelineOverSum: ratios)
    }
}
