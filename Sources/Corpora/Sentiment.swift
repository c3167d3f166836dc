import Text

/// One labelled sentence of a sentiment file: `LABEL TEXT` or `LABEL<TAB>TEXT`.
public struct SentimentExample: Hashable, Sendable {
    /// The label, e.g. `0` or `1`.
    public var label: String
    /// The text after the separator, verbatim.
    public var text: String
    /// The separator between label and text: ``ColumnSeparator/space`` or ``ColumnSeparator/tab``.
    public var separator: ColumnSeparator
    /// The line's terminator in its file.
    public var lineTerminator: LineTerminator
    /// Line number in the file (0 if built in code).
    public var lineNumber: Int

    /// Creates an example; by default written as `LABEL TEXT` and LF.
    public init(
        label: String, text: String, separator: ColumnSeparator = .space,
        lineTerminator: LineTerminator = .lf,
        lineNumber: Int = 0
    ) {
        precondition(
            separator == .space || separator == .tab,
            "separator must be .space or .tab, got \(separator)")
        self.label = label
        self.text = text
        self.separator = separator
        self.lineTerminator = lineTerminator
        self.lineNumber = lineNumber
    }

    /// The line as written, without terminator.
    public var line: String { label + (separator == .tab ? "\t" : " ") + text }
}

/// Reads sentiment files: one example per line, the label up to the first
/// space or tab, the text after it.
///
/// Every line must be an example: a blank line, a line without a separator
/// (``CorpusError/Reason/missingLabel``) or without text
/// (``CorpusError/Reason/missingText``), or a label outside `labels`
/// (``CorpusError/Reason/unknownLabel(_:allowed:)``) is an error naming the
/// line. A file without examples is ``CorpusError/emptyCorpus(file:)``.
public final class SentimentReader {
    /// The labels accepted, or `nil` to accept any non-empty label.
    public let labels: [String]?
    private let lines: LineReader
    private var count = 0

    /// The labels of SST-2: `0` (negative) and `1` (positive).
    public static let binaryLabels = ["0", "1"]

    /// Opens the file at `path`.
    /// - Throws: ``CorpusError/unreadable(file:reason:)``.
    public init(
        path: String, labels: [String]? = SentimentReader.binaryLabels,
        options: LineReader.Options = LineReader.Options()
    ) throws {
        self.labels = labels
        do {
            lines = try LineReader(path: path, options: options)
        } catch let error as TextInputError {
            throw CorpusError(error)
        }
    }

    /// Reads from a line reader.
    public init(lines: LineReader, labels: [String]? = SentimentReader.binaryLabels) {
        self.labels = labels
        self.lines = lines
    }

    /// Reads a string; `name` appears in errors.
    public convenience init(
        string: String, labels: [String]? = SentimentReader.binaryLabels, name: String = "<memory>"
    ) {
        self.init(lines: LineReader(string: string, name: name), labels: labels)
    }

    /// Whether the input started with a byte order mark.
    public var hadByteOrderMark: Bool { lines.hadByteOrderMark }

    /// Reads every example of the file at `path`.
    public static func read(path: String, labels: [String]? = SentimentReader.binaryLabels) throws
        -> [SentimentExample]
    {
        try SentimentReader(path: path, labels: labels).readAll()
    }

    /// Reads every remaining example.
    public func readAll() throws -> [SentimentExample] {
        var result: [SentimentExample] = []
        while let example = try next() { result.append(example) }
        return result
    }

    /// The next example, or `nil` at the end.
    /// - Throws: ``CorpusError``.
    public func next() throws -> SentimentExample? {
        let line: Line
        do {
            guard let next = try lines.next() else {
                if count == 0 { throw CorpusError.emptyCorpus(file: lines.name) }
                return nil
            }
            line = next
        } catch let error as TextInputError {
            throw CorpusError(error)
        }
        func fail(_ reason: CorpusError.Reason) -> CorpusError {
            .malformedLine(file: lines.name, line: line.number, reason: reason)
        }
        let bytes = line.bytes
        if bytes.isEmpty { throw fail(.blankLine) }
        guard let cut = bytes.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }), cut > 0 else {
            throw fail(.missingLabel)
        }
        guard cut + 1 < bytes.count else { throw fail(.missingText) }
        let label = String(decoding: bytes[..<cut], as: UTF8.self)
        if let labels, !labels.contains(label) { throw fail(.unknownLabel(label, allowed: labels)) }
        count += 1
        return SentimentExample(
            label: label, text: String(decoding: bytes[(cut + 1)...], as: UTF8.self),
            separator: bytes[cut] == 0x09 ? .tab : .space, lineTerminator: line.terminator,
            lineNumber: line.number)
    }
}

/// Writes sentiment files: the inverse of ``SentimentReader``.
public enum SentimentWriter {
    /// The examples as file bytes (each line with its own terminator; an
    /// example with ``LineTerminator/none`` should only come last).
    public static func bytes<S: Sequence>(_ examples: S, byteOrderMark: Bool = false) -> [UInt8]
    where S.Element == SentimentExample {
        var output: [UInt8] = byteOrderMark ? [0xEF, 0xBB, 0xBF] : []
        for example in examples {
            output.append(contentsOf: example.line.utf8)
            output.append(contentsOf: example.lineTerminator.bytes)
        }
        return output
    }

    /// The examples as a string.
    public static func string<S: Sequence>(_ examples: S) -> String
    where S.Element == SentimentExample {
        String(decoding: bytes(examples), as: UTF8.self)
    }

    /// Writes the examples to `writer`.
    public static func write<S: Sequence>(
        _ examples: S, to writer: ByteWriter, byteOrderMark: Bool = false
    ) throws
    where S.Element == SentimentExample {
        if byteOrderMark { try writer.write([0xEF, 0xBB, 0xBF] as [UInt8]) }
        for example in examples {
            try writer.write(example.line)
            try writer.write(example.lineTerminator.bytes)
        }
    }
}
