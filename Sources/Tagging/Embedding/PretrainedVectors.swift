import Foundation
import LinearAlgebra
import NeuralNetwork
import Text

#if canImport(Glibc)
    import Glibc
#endif

/// Word vectors trained elsewhere: word2vec, GloVe and fastText files.
///
/// Text files have one word a line followed by its values separated by spaces,
/// optionally after a `count dimension` header line (word2vec and fastText `.vec`
/// have it, GloVe does not). Binary word2vec files have the same header, then each
/// word, a space and `dimension` little-endian 32-bit floats. Either may be
/// gzip-compressed; the file is streamed, never loaded whole.
public struct PretrainedVectors: Sendable {
    /// The on-disk layout of a vectors file.
    public enum Format: String, Sendable, CaseIterable {
        /// Decide from the content: binary word2vec if the first vector is not text.
        case automatic
        /// One word and its values a line.
        case text
        /// The binary word2vec format.
        case binary
    }

    /// The vector length.
    public let dimension: Int
    /// The words in file order.
    public let words: [String]
    /// The vectors, row `i` for `words[i]`: exact, or in 8 bits a value as a shared table
    /// stores them (read through `rows.copyRow(_:into:)` without expanding them all).
    public let rows: SharedRows<Float>.Table
    private let index: [String: Int]

    /// The vectors, `[words.count, dimension]`, row `i` for `words[i]`; for vectors held in 8
    /// bits, expanded into a new matrix at each call.
    public var vectors: Matrix<Float> { rows.expanded() }

    /// Vectors over the given words, which must be distinct.
    public init(words: [String], vectors: Matrix<Float>) {
        self.init(words: words, rows: .exact(vectors))
    }

    /// Vectors over the given words, exact or in 8 bits.
    public init(words: [String], rows: SharedRows<Float>.Table) {
        precondition(words.count == rows.rows, "\(words.count) words for \(rows.rows) vectors")
        self.words = words
        self.rows = rows
        self.dimension = rows.columns
        var index: [String: Int] = [:]
        for (i, w) in words.enumerated() where index[w] == nil { index[w] = i }
        self.index = index
    }

    /// The row of `word`: exact match first, then its lowercase form.
    public func row(of word: String) -> Int? {
        index[word] ?? index[word.lowercased()]
    }

    /// The vector of `word` (see `row(of:)`), or `nil`.
    public func vector(for word: String) -> [Float]? {
        guard let r = row(of: word) else { return nil }
        return [Float](unsafeUninitializedCapacity: dimension) { out, initialized in
            rows.copyRow(r, into: out.baseAddress!)
            initialized = dimension
        }
    }

    // MARK: Building an embedding table

    /// What a vocabulary word without a pretrained vector gets.
    public enum UnknownWordPolicy: String, Sendable, CaseIterable {
        /// Uniform random values with the spread of the pretrained vectors.
        case random
        /// A zero vector.
        case zero
        /// The mean of all pretrained vectors.
        case average
    }

    /// An embedding table for `vocabulary`, `[vocabulary.count, dimension]`, with
    /// each row taken from the pretrained vectors when the word has one, and filled
    /// by `policy` otherwise. The padding symbol, if any, gets zeros. Returns the
    /// table and how many words were found.
    public func embeddingTable(
        for vocabulary: Vocabulary, policy: UnknownWordPolicy, random: inout SeededRandom
    ) -> (table: Matrix<Float>, found: Int) {
        var table = Matrix<Float>(rows: vocabulary.count, columns: dimension)
        let n = max(1, vectors.rows)
        var mean = [Double](repeating: 0, count: dimension)
        var squares = 0.0
        for r in 0..<vectors.rows {
            for c in 0..<dimension {
                let v = Double(vectors[r, c])
                mean[c] += v / Double(n)
                squares += v * v
            }
        }
        // Uniform in ±a has variance a²/3: match the pretrained values' variance.
        let limit = (3 * squares / Double(max(1, vectors.count))).squareRoot()
        var found = 0
        for (id, word) in vocabulary.symbols.enumerated() {
            if word == Vocabulary.padding { continue }
            if let r = row(of: word) {
                found += 1
                for c in 0..<dimension { table[id, c] = vectors[r, c] }
                continue
            }
            for c in 0..<dimension {
                switch policy {
                case .random: table[id, c] = Float(random.uniform(-limit, limit))
                case .zero: table[id, c] = 0
                case .average: table[id, c] = Float(mean[c])
                }
            }
        }
        return (table, found)
    }

    // MARK: Loading

    /// Reads a vectors file, keeping at most `limit` words (the first ones: such files
    /// are usually sorted by frequency) and, when `keep` is given, only the words for
    /// which it returns true.
    public static func load(
        path: String, format: Format = .automatic, limit: Int = .max,
        keep: ((String) -> Bool)? = nil
    ) throws -> PretrainedVectors {
        let reader = try CompressedFileReader(path: path)
        var parser = Parser(path: path, reader: reader, limit: limit, keep: keep)
        return try parser.parse(format: format)
    }

    private struct Parser {
        let path: String
        let reader: CompressedFileReader
        let limit: Int
        let keep: ((String) -> Bool)?
        var line = 0
        var dimension = 0
        var words: [String] = []
        var values: [Float] = []
        var seen = Set<String>()
        static let maximumLine = 1 << 24

        init(path: String, reader: CompressedFileReader, limit: Int, keep: ((String) -> Bool)?) {
            self.path = path
            self.reader = reader
            self.limit = limit
            self.keep = keep
        }

        func malformed(_ reason: String) -> PretrainedVectorsError {
            .malformedLine(path: path, line: line, reason: reason)
        }

        mutating func parse(format: Format) throws -> PretrainedVectors {
            guard let first = try reader.read(upTo: 0x0A, maximumLength: Parser.maximumLine) else {
                throw PretrainedVectorsError.empty(path: path)
            }
            line = 1
            let fields = split(first)
            var declaredCount: Int?
            var pending: [UInt8]? = first
            if fields.count == 2, let c = Int(ascii: fields[0]), let d = Int(ascii: fields[1]) {
                guard c >= 0, d > 0, d <= 100_000 else {
                    throw malformed("header declares \(c) vectors of dimension \(d)")
                }
                declaredCount = c
                dimension = d
                pending = nil
            }
            var binary = format == .binary
            if format == .automatic, declaredCount != nil {
                // After a header, a binary file's first word is followed by raw floats.
                binary = try looksBinary()
            }
            if binary {
                guard let count = declaredCount else {
                    throw malformed("a binary word2vec file starts with a `count dimension` header")
                }
                try parseBinary(count: count)
            } else {
                if let pending { try parseTextLine(pending) }
                while words.count < limit,
                    let bytes = try reader.read(upTo: 0x0A, maximumLength: Parser.maximumLine)
                {
                    line += 1
                    try parseTextLine(bytes)
                }
            }
            guard !words.isEmpty || (keep != nil && line > 0) else {
                throw PretrainedVectorsError.empty(path: path)
            }
            return PretrainedVectors(
                words: words,
                vectors: Matrix(rows: words.count, columns: dimension, scalars: values))
        }

        func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
            bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
        }

        func word(_ bytes: ArraySlice<UInt8>) throws -> String {
            try bytes.withUnsafeBufferPointer { b in
                if let (i, defect) = UTF8Validation.firstDefect(in: b) {
                    throw malformed("invalid UTF-8 in the word at byte \(i): \(defect.reason)")
                }
                return String(decoding: b, as: UTF8.self)
            }
        }

        /// Whether the record after the header is binary: it is text when its first
        /// line is a word followed by exactly `dimension` numbers.
        func looksBinary() throws -> Bool {
            let window = try reader.peek(count: 64 * 1024)
            let firstLine = window.prefix { $0 != 0x0A }
            let fields = firstLine.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard fields.count == dimension + 1 else { return true }
            return !fields.dropFirst().allSatisfy { Float(ascii: $0) != nil }
        }

        mutating func parseTextLine(_ raw: [UInt8]) throws {
            let fields = split(raw)
            if fields.isEmpty { return }  // blank lines carry nothing
            if dimension == 0 { dimension = fields.count - 1 }
            guard fields.count - 1 == dimension else {
                throw malformed(
                    "expected \(dimension) values after the word, found \(fields.count - 1)")
            }
            guard dimension > 0 else { throw malformed("a word without values") }
            let w = try word(fields[0])
            if let keep, !keep(w) { return }
            guard seen.insert(w).inserted else { return }  // first occurrence wins
            let start = values.count
            values.reserveCapacity(start + dimension)
            for (k, field) in fields.dropFirst().enumerated() {
                guard let v = Float(ascii: field), v.isFinite else {
                    values.removeSubrange(start...)
                    seen.remove(w)
                    throw malformed(
                        "value \(k + 1) of \(w.debugDescription) is not a finite number")
                }
                values.append(v)
            }
            words.append(w)
        }

        mutating func parseBinary(count: Int) throws {
            for record in 0..<count {
                if words.count >= limit { break }
                line = record + 2  // records are counted like lines after the header
                // Records may be separated by a newline.
                while let b = try reader.peek(), b == 0x0A { reader.skipByte() }
                guard let wordBytes = try reader.read(upTo: 0x20, maximumLength: 4096),
                    let raw = try reader.read(count: 4 * dimension)
                else {
                    throw PretrainedVectorsError.truncated(
                        path: path, expected: count, found: record)
                }
                let w = try word(wordBytes[...])
                if let keep, !keep(w) { continue }
                guard seen.insert(w).inserted else { continue }
                for k in 0..<dimension {
                    var bits: UInt32 = 0
                    for b in 0..<4 { bits |= UInt32(raw[4 * k + b]) << (8 * UInt32(b)) }
                    let v = Float(bitPattern: bits)
                    guard v.isFinite else {
                        throw malformed("value \(k + 1) of \(w.debugDescription) is not finite")
                    }
                    values.append(v)
                }
                words.append(w)
            }
        }
    }
}

extension Int {
    fileprivate init?(ascii bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty, bytes.count < 19, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else {
            return nil
        }
        self = bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}

extension Float {
    /// Parses a decimal number with `strtof`, requiring the whole field to be used.
    fileprivate init?(ascii bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty, bytes.count < 64 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count + 1)
        for (i, b) in bytes.enumerated() { text[i] = CChar(bitPattern: b) }
        let parsed: Float? = text.withUnsafeBufferPointer { p in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtof(p.baseAddress!, &endPointer)
            guard let endPointer,
                endPointer - UnsafeMutablePointer(mutating: p.baseAddress!) == bytes.count
            else { return nil }
            return value
        }
        guard let parsed else { return nil }
        self = parsed
    }
}

/// What can be wrong with a pretrained vectors file.
public enum PretrainedVectorsError: Error, LocalizedError, Equatable {
    /// The file cannot be opened.
    case cannotOpen(path: String)
    /// Reading or decompressing failed.
    case readFailed(path: String, reason: String)
    /// The file holds no vectors.
    case empty(path: String)
    /// A line (or binary record) is not a word followed by its values.
    case malformedLine(path: String, line: Int, reason: String)
    /// The file ends before the number of vectors its header declares.
    case truncated(path: String, expected: Int, found: Int)
    /// A line is longer than the reader accepts.
    case lineTooLong(path: String, offset: Int, limit: Int)

    /// A message naming the file, the line and the problem.
    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path):
            return "\(path): cannot open the vectors file"
        case .readFailed(let path, let reason):
            return "\(path): reading failed: \(reason)"
        case .empty(let path):
            return "\(path): no word vectors in the file"
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .truncated(let path, let expected, let found):
            return
                "\(path): truncated: the header declares \(expected) vectors, the file ends after \(found)"
        case .lineTooLong(let path, let offset, let limit):
            return "\(path): a line starting near byte \(offset) is longer than \(limit) bytes"
        }
    }
}
