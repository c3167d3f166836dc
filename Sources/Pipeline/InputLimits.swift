import Foundation
import Tagging
import Text
import Tokenization

/// Bounds that keep the memory of the pipeline (and so of `annotate`, `tag`, `classify` and
/// `tokenize`) flat however large or oddly shaped the input is.
public enum InputLimits {
    /// A sentence longer than this many words is tagged (or classified) as consecutive
    /// windows of this many words, each read by the network on its own.
    public static let windowWords = SentenceSplitter.maximumSentenceLength
    /// Words the network reads in one call; sentences and windows are grouped up to this.
    public static let wordsPerCall = 16384
    /// Tokens allowed on one line of text input (one sentence a line), or in one sentence of
    /// token input; more is an error, since every token is held until its line is written.
    public static let tokensPerLine = 100_000
    /// Bytes allowed in one sentence of token input (the sum of its tokens); more is an
    /// error, since every token is held (and copied into the output) until the sentence is
    /// written.
    public static let tokenSentenceBytes = 1 << 22
    /// Tokens given to the sentence splitter at once: a longer piece of running text (a
    /// line of hundreds of kilobytes without white space) is split in slices of this many
    /// tokens, each ending a sentence, so that the splitter's memory stays bounded.
    public static let tokensPerSegmentation = 1 << 16
    /// Running text (`--split-sentences`) is split into sentences in pieces of about this
    /// many bytes: a paragraph is cut at a line break, a longer line at white space.
    public static let paragraphBytes = 1 << 18
}

/// A line or sentence with more tokens than `InputLimits.tokensPerLine`, or a token
/// sentence of more than `InputLimits.tokenSentenceBytes` bytes.
public struct TooManyTokens: LocalizedError, Equatable {
    /// Where the input comes from, such as `<stdin>`.
    public var source: String
    /// The 1-based line, and the byte offset of its start.
    public var line: Int, byteOffset: Int

    /// Whether the sentence is too long in bytes rather than in tokens.
    public var tooManyBytes = false

    /// An error for the line starting at `byteOffset`, line number `line`, of `source`.
    public init(source: String, line: Int, byteOffset: Int, tooManyBytes: Bool = false) {
        self.source = source
        self.line = line
        self.byteOffset = byteOffset
        self.tooManyBytes = tooManyBytes
    }

    /// The message, naming the line and its byte offset.
    public var errorDescription: String? {
        if tooManyBytes {
            return
                "\(source):\(line): more than \(InputLimits.tokenSentenceBytes >> 20) MiB in one sentence of tokens (the line starts at byte offset \(byteOffset)); put a blank line after each sentence"
        }
        return
            "\(source):\(line): more than \(InputLimits.tokensPerLine) tokens in one sentence (the line starts at byte offset \(byteOffset)); put one sentence a line, or use --split-sentences for running text"
    }
}

extension Tokenizer {
    /// The tokens of one input line, or `TooManyTokens` as soon as there are too many.
    public func boundedTokens(of line: Line, text: String, source: String) throws -> [Token] {
        var tokens: [Token] = []
        try forEachToken(in: text) { token in
            guard tokens.count < InputLimits.tokensPerLine else {
                throw TooManyTokens(source: source, line: line.number, byteOffset: line.byteOffset)
            }
            tokens.append(token)
        }
        return tokens
    }
}

/// Consecutive windows of at most `InputLimits.windowWords` words of each sentence, grouped
/// into calls of at most `InputLimits.wordsPerCall` words.
public struct Windows {
    /// Each window: the sentence it comes from and its words.
    public var windows: [(sentence: Int, words: ArraySlice<String>)] = []
    /// Ranges of `windows`, one per call.
    public var calls: [Range<Int>] = []

    /// The windows of `sentences` and their grouping into calls.
    public init(_ sentences: [[String]]) {
        var start = 0
        var words = 0
        for (s, sentence) in sentences.enumerated() {
            var from = 0
            repeat {
                let to = min(sentence.count, from + InputLimits.windowWords)
                if words + (to - from) > InputLimits.wordsPerCall, start < windows.count {
                    calls.append(start..<windows.count)
                    start = windows.count
                    words = 0
                }
                windows.append((s, sentence[from..<to]))
                words += to - from
                from = to
            } while from < sentence.count
        }
        if start < windows.count { calls.append(start..<windows.count) }
    }
}

extension Windows {
    /// `tag`'s result for each of `sentences`, of any length, with bounded memory: each
    /// window of a long sentence is tagged as a sentence of its own (so context stops at
    /// window edges) and the windows' results are joined with `join`.
    static func tag<P>(
        _ sentences: [[String]], empty: P, join: (inout P, P) -> Void,
        tag: ([[String]]) -> [P]
    ) -> [P] {
        let windows = Windows(sentences)
        var results = [P](repeating: empty, count: sentences.count)
        for call in windows.calls {
            let part = windows.windows[call]
            let tagged = tag(part.map { Array($0.words) })
            for (window, predictions) in zip(part, tagged) {
                join(&results[window.sentence], predictions)
            }
        }
        return results
    }
}

extension TaggerModel {
    /// The tags of sentences of any length, with bounded memory: each window of a long
    /// sentence is tagged as a sentence of its own (so context stops at window edges);
    /// `threads` as in `tag(_:batchSize:threads:)`.
    public func tagBounded(_ sentences: [[String]], threads: Int) -> [[TokenPrediction]] {
        Windows.tag(sentences, empty: [], join: { $0 += $1 }) { tag($0, threads: threads) }
    }
}

extension JointTaggerModel {
    /// The POS and entity tags of sentences of any length, with bounded memory, windowed as
    /// `TaggerModel.tagBounded(_:threads:)` does; `threads` as in `tag(_:batchSize:threads:)`.
    public func tagBounded(_ sentences: [[String]], threads: Int) -> [JointPrediction] {
        Windows.tag(
            sentences, empty: JointPrediction(pos: [], ner: []),
            join: { whole, window in
                whole.pos += window.pos
                whole.ner += window.ner
            }
        ) { tag($0, threads: threads) }
    }
}

extension SentimentModel {
    /// The label probabilities of texts of any length, with bounded memory: a text of one
    /// window gets that window's probabilities (those of `probabilities`, to the bit), a
    /// longer one the mean of its windows' probabilities, weighted by their words; `threads` as in
    /// `probabilities(_:batchSize:threads:)`.
    public func probabilitiesBounded(_ sentences: [[String]], threads: Int = 1) -> [[Float]] {
        let windows = Windows(sentences)
        var parts = [[(probabilities: [Float], words: Int)]](repeating: [], count: sentences.count)
        for call in windows.calls {
            let part = windows.windows[call]
            let probabilities = self.probabilities(part.map { Array($0.words) }, threads: threads)
            for (window, p) in zip(part, probabilities) {
                parts[window.sentence].append((p, window.words.count))
            }
        }
        return zip(parts, sentences).map { parts, words in
            guard parts.count > 1 else { return parts.first?.probabilities ?? [] }
            var sum = [Float](repeating: 0, count: parts[0].probabilities.count)
            for part in parts {
                let weight = Float(max(1, part.words))
                for k in sum.indices { sum[k] += part.probabilities[k] * weight }
            }
            let total = Float(max(1, words.count))
            return sum.map { $0 / total }
        }
    }
}

/// Gathers running text into pieces for the sentence splitter: a paragraph ends at a blank
/// line, and is cut at a line break once it holds `InputLimits.paragraphBytes`; a single
/// line longer than that is cut at white space (a token is cut only when it is itself
/// longer than `InputLimits.paragraphBytes`).
public struct ParagraphBuffer {
    /// An empty buffer.
    public init() {}

    private var text = ""

    /// Adds one input line; returns the pieces that are complete.
    public mutating func add(_ line: String) -> [String] {
        if line.unicodeScalars.allSatisfy({ ScalarClass.of($0.value) == .space }) {
            return finish().map { [$0] } ?? []
        }
        var ready: [String] = []
        if !text.isEmpty, text.utf8.count + 1 + line.utf8.count > InputLimits.paragraphBytes {
            ready.append(text)
            text = ""
        }
        var rest = Substring(line)
        while rest.utf8.count > InputLimits.paragraphBytes, let cut = Self.cut(rest) {
            ready.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        if !text.isEmpty { text += "\n" }
        text += rest
        return ready
    }

    /// Whether no text waits in the buffer.
    public var isEmpty: Bool { text.isEmpty }

    /// The last piece, if any text is left.
    public mutating func finish() -> String? {
        defer { text = "" }
        return text.isEmpty ? nil : text
    }

    /// Where to cut `line`: after the last white space within the limit, else (a run of
    /// more than `InputLimits.paragraphBytes` without white space, which is no word) at the
    /// last scalar within the limit; `nil` when the line is within the limit.
    public static func cut(_ line: Substring) -> String.Index? {
        let scalars = line.unicodeScalars
        var lastWithin: String.Index?
        var lastScalar: String.Index?
        var bytes = 0
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            bytes += UTF8.width(scalar)
            if bytes > InputLimits.paragraphBytes { return lastWithin ?? lastScalar }
            let next = scalars.index(after: index)
            if ScalarClass.of(scalar.value) == .space { lastWithin = next }
            lastScalar = next
            index = next
        }
        return nil
    }
}
