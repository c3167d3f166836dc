import Text

/// How a block of lines (a sentence) sat in its file, so that a writer can
/// reproduce the file byte for byte. Readers fill it in; sentences built in
/// code get the standard layout (LF, one blank line after).
///
/// Normally every line of a block, and the blank lines around it, ends with
/// ``lineTerminator``. A file that mixes terminators inside one block also
/// gets ``lineTerminators``, one per line, so it too round-trips exactly.
public struct BlockLayout: Hashable, Sendable {
    /// Terminator written after each line.
    public var lineTerminator: LineTerminator
    /// Blank lines before the block (only the first block of a file can have them).
    public var blankLinesBefore: Int
    /// Blank lines after the block (1 normally; 0 for the last block of a file
    /// without a final blank line).
    public var blankLinesAfter: Int
    /// Whether the block's last line has a terminator (false only at the end of
    /// a file that does not end in a line break).
    public var lastLineTerminated: Bool
    /// The terminator of each line written (the blank lines before, the
    /// block's lines, the blank lines after), set only when they are not all
    /// ``lineTerminator``. Writers ignore it once its count no longer matches
    /// the lines being written (e.g. after rows were added).
    public var lineTerminators: [LineTerminator]?

    /// Creates a layout; the defaults give standard CoNLL output.
    public init(
        lineTerminator: LineTerminator = .lf, blankLinesBefore: Int = 0, blankLinesAfter: Int = 1,
        lastLineTerminated: Bool = true, lineTerminators: [LineTerminator]? = nil
    ) {
        self.lineTerminator = lineTerminator
        self.blankLinesBefore = blankLinesBefore
        self.blankLinesAfter = blankLinesAfter
        self.lastLineTerminated = lastLineTerminated
        self.lineTerminators = lineTerminators
    }

    /// Appends `lines` laid out as this layout says.
    func append(lines: [String], to output: inout [UInt8]) {
        if let terminators = lineTerminators,
            terminators.count == blankLinesBefore + lines.count + blankLinesAfter
        {
            var t = 0
            for _ in 0..<blankLinesBefore {
                output.append(contentsOf: terminators[t].bytes)
                t += 1
            }
            for line in lines {
                output.append(contentsOf: line.utf8)
                output.append(contentsOf: terminators[t].bytes)
                t += 1
            }
            for _ in 0..<blankLinesAfter {
                output.append(contentsOf: terminators[t].bytes)
                t += 1
            }
            return
        }
        let terminator = lineTerminator == .none ? LineTerminator.lf.bytes : lineTerminator.bytes
        for _ in 0..<blankLinesBefore { output.append(contentsOf: terminator) }
        for (k, line) in lines.enumerated() {
            output.append(contentsOf: line.utf8)
            if k < lines.count - 1 || lastLineTerminated { output.append(contentsOf: terminator) }
        }
        for _ in 0..<blankLinesAfter { output.append(contentsOf: terminator) }
    }
}

/// How long a sentence (a block of non-blank lines) of a corpus file may be: beyond these,
/// reading stops with ``CorpusError/Reason/sentenceTooLong(lines:bytes:)`` instead of
/// holding the block in memory (text input allows 100,000 tokens a line in the same way).
public enum CorpusLimits {
    /// Lines in one sentence: words, multiword ranges, empty nodes and comments.
    public static let linesPerSentence = 100_000
    /// Bytes in one sentence.
    public static let bytesPerSentence = 1 << 25
}

/// Groups the lines of a ``LineReader`` into blocks of non-blank lines,
/// counting the blank lines around each block.
final class BlockReader {
    let lines: LineReader
    private var pending: Line?
    private var started = false

    init(_ lines: LineReader) { self.lines = lines }

    /// The file name used in errors.
    var name: String { lines.name }

    /// Reads a line, converting reader errors into ``CorpusError``.
    private func readLine() throws -> Line? {
        do {
            return try lines.next()
        } catch let error as TextInputError {
            throw CorpusError(error)
        }
    }

    /// The next block of non-blank lines with its layout, or `nil` at the end.
    func next() throws -> (lines: [Line], layout: BlockLayout)? {
        var layout = BlockLayout(blankLinesAfter: 0)
        var terminators: [LineTerminator] = []
        var first: Line
        if let line = pending {
            first = line
            pending = nil
        } else {
            if started { return nil }
            started = true
            var blank = 0
            while true {
                guard let line = try readLine() else { return nil }
                if line.isEmpty {
                    blank += 1
                    terminators.append(line.terminator)
                } else {
                    first = line
                    break
                }
            }
            layout.blankLinesBefore = blank
        }
        started = true
        layout.lineTerminator = first.terminator == .none ? .lf : first.terminator
        var block = [first]
        var bytes = first.bytes.count
        terminators.append(first.terminator)
        while let line = try readLine() {
            terminators.append(line.terminator)
            if line.isEmpty {
                layout.blankLinesAfter = 1
                break
            }
            bytes += line.bytes.count
            guard block.count < CorpusLimits.linesPerSentence,
                bytes <= CorpusLimits.bytesPerSentence
            else {
                throw CorpusError.malformedLine(
                    file: name, line: first.number,
                    reason: .sentenceTooLong(
                        lines: CorpusLimits.linesPerSentence, bytes: CorpusLimits.bytesPerSentence))
            }
            block.append(line)
        }
        if layout.blankLinesAfter == 1 {
            while let line = try readLine() {
                if line.isEmpty {
                    layout.blankLinesAfter += 1
                    terminators.append(line.terminator)
                } else {
                    pending = line
                    break
                }
            }
        }
        layout.lastLineTerminated = block[block.count - 1].terminator != .none
        // Keep per-line terminators only when they differ (a final `.none` is
        // already described by lastLineTerminated).
        let uniform = terminators.indices.allSatisfy { i in
            terminators[i] == layout.lineTerminator
                || (i == terminators.count - 1 && terminators[i] == .none)
        }
        if !uniform { layout.lineTerminators = terminators }
        return (block, layout)
    }
}

/// Byte-level field splitting for the readers' hot loops.
enum FieldSplitter {
    /// Splits on every occurrence of `separator` (so empty fields are kept).
    static func split(_ bytes: [UInt8], on separator: UInt8) -> [String] {
        bytes.withUnsafeBufferPointer { buffer in
            var fields: [String] = []
            fields.reserveCapacity(10)
            var start = 0
            for i in 0..<buffer.count where buffer[i] == separator {
                fields.append(
                    String(
                        decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self))
                start = i + 1
            }
            fields.append(
                String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self))
            return fields
        }
    }

    /// Splits on runs of spaces and tabs, ignoring leading and trailing ones.
    static func splitOnWhitespace(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBufferPointer { buffer in
            var fields: [String] = []
            var i = 0
            let n = buffer.count
            while i < n {
                while i < n && (buffer[i] == 0x20 || buffer[i] == 0x09) { i += 1 }
                if i == n { break }
                let start = i
                while i < n && buffer[i] != 0x20 && buffer[i] != 0x09 { i += 1 }
                fields.append(
                    String(
                        decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self))
            }
            return fields
        }
    }

    /// Whether the line holds only spaces and tabs (and at least one byte).
    static func isWhitespaceOnly(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// Parses a canonical non-negative decimal integer: digits only, no sign,
    /// no leading zero (except "0" itself), at most 18 digits.
    static func parseInteger<S: Collection>(_ digits: S) -> Int? where S.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        if digits.count > 1 && digits.first == 0x30 { return nil }
        var value = 0
        for d in digits {
            guard d >= 0x30 && d <= 0x39 else { return nil }
            value = value * 10 + Int(d - 0x30)
        }
        return value
    }
}
