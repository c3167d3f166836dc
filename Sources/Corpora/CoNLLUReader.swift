import Text

/// Reads CoNLL-U sentences one at a time from a file, standard input or a
/// string, keeping memory bounded by the longest sentence.
///
/// Checks, each reported as ``CorpusError/malformedLine(file:line:reason:)``
/// with the offending line: exactly 10 tab-separated columns, no empty column,
/// word IDs 1, 2, 3… without gaps, range lines `a-b` with `a < b` right before
/// word `a` and complete within the sentence, empty nodes `n.1, n.2…` right
/// after word `n`, comments only before the first word line. A file without
/// sentences is ``CorpusError/emptyCorpus(file:)``.
///
/// ```swift
/// let reader = try CoNLLUReader(path: "dev.conllu")
/// while let sentence = try reader.next() {
///     for token in sentence.tokens { … }
/// }
/// ```
public final class CoNLLUReader {
    private let blocks: BlockReader
    private var sentenceCount = 0

    /// Opens the file at `path`.
    /// - Throws: ``CorpusError/unreadable(file:reason:)``.
    public init(path: String, options: LineReader.Options = LineReader.Options()) throws {
        do {
            blocks = BlockReader(try LineReader(path: path, options: options))
        } catch let error as TextInputError {
            throw CorpusError(error)
        }
    }

    /// Reads from a line reader (standard input, memory, a file).
    public init(lines: LineReader) {
        blocks = BlockReader(lines)
    }

    /// Reads CoNLL-U held in a string; `name` appears in errors.
    public convenience init(string: String, name: String = "<memory>") {
        self.init(lines: LineReader(string: string, name: name))
    }

    /// Whether the input started with a byte order mark (pass it to the
    /// writer to reproduce the file exactly).
    public var hadByteOrderMark: Bool { blocks.lines.hadByteOrderMark }

    /// Reads every sentence of the file at `path`.
    public static func read(path: String) throws -> [CoNLLUSentence] {
        try CoNLLUReader(path: path).readAll()
    }

    /// Reads every remaining sentence.
    public func readAll() throws -> [CoNLLUSentence] {
        var result: [CoNLLUSentence] = []
        while let sentence = try next() { result.append(sentence) }
        return result
    }

    /// The next sentence, or `nil` after the last one.
    /// - Throws: ``CorpusError``; ``CorpusError/emptyCorpus(file:)`` if the
    ///   input ends before any sentence.
    public func next() throws -> CoNLLUSentence? {
        guard let (lines, layout) = try blocks.next() else {
            if sentenceCount == 0 { throw CorpusError.emptyCorpus(file: blocks.name) }
            return nil
        }
        sentenceCount += 1
        return try parse(lines, layout: layout)
    }

    private static let columnNames = [
        "ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC",
    ]

    private func parse(_ lines: [Line], layout: BlockLayout) throws -> CoNLLUSentence {
        let file = blocks.name
        var sentence = CoNLLUSentence(words: [], layout: layout, lineNumber: lines[0].number)
        sentence.words.reserveCapacity(lines.count)
        var nextWord = 1  // ID the next word line must have
        var nextEmpty = 1  // index the next empty node after word nextWord-1 must have
        var openRange: (last: Int, line: Int, text: String)?  // range whose words are not all read
        var rangeAwaitingFirstWord = false

        func fail(_ line: Line, _ reason: CorpusError.Reason) -> CorpusError {
            .malformedLine(file: file, line: line.number, reason: reason)
        }

        for line in lines {
            let bytes = line.bytes
            if bytes[0] == UInt8(ascii: "#") {
                guard
                    sentence.words.isEmpty && sentence.emptyNodes.isEmpty
                        && sentence.multiwordTokens.isEmpty
                else {
                    throw fail(line, .commentInsideSentence)
                }
                sentence.comments.append(line.text)
                continue
            }
            let fields = FieldSplitter.split(bytes, on: 0x09)
            guard fields.count == 10 else {
                if FieldSplitter.isWhitespaceOnly(bytes) { throw fail(line, .whitespaceOnlyLine) }
                throw fail(line, .wrongColumnCount(expected: 10, found: fields.count))
            }
            for (k, field) in fields.enumerated() where field.isEmpty {
                throw fail(line, .emptyField(column: Self.columnNames[k]))
            }
            let id = try parseID(fields[0], line: line)
            if rangeAwaitingFirstWord, id != .word(nextWord) {
                throw fail(
                    line,
                    .badMultiwordRange(
                        range: openRange!.text, problem: "not followed by word \(nextWord)"))
            }
            var entry = CoNLLUEntry(
                id: id, form: fields[1], lemma: fields[2], upos: fields[3], xpos: fields[4],
                feats: fields[5],
                head: fields[6], deprel: fields[7], deps: fields[8], misc: fields[9])
            switch id {
            case .word(let n):
                guard n == nextWord else {
                    throw fail(line, .unexpectedID(expected: String(nextWord), found: fields[0]))
                }
                rangeAwaitingFirstWord = false
                if let range = openRange, range.last == n { openRange = nil }
                nextWord += 1
                nextEmpty = 1
                entry.id = .word(n)
                sentence.words.append(entry)
            case .range(let first, let last):
                guard first < last else {
                    throw fail(
                        line,
                        .badMultiwordRange(
                            range: fields[0], problem: "first word must precede last word"))
                }
                if let range = openRange {
                    throw fail(
                        line,
                        .badMultiwordRange(
                            range: fields[0], problem: "overlaps multiword token \(range.text)"))
                }
                guard first == nextWord else {
                    throw fail(
                        line,
                        .badMultiwordRange(
                            range: fields[0], problem: "expected it to start at word \(nextWord)"))
                }
                openRange = (last, line.number, fields[0])
                rangeAwaitingFirstWord = true
                sentence.multiwordTokens.append(entry)
            case .empty(let after, let index):
                guard after == nextWord - 1, index == nextEmpty else {
                    throw fail(
                        line,
                        .unexpectedID(expected: "\(nextWord - 1).\(nextEmpty)", found: fields[0]))
                }
                nextEmpty += 1
                sentence.emptyNodes.append(entry)
            }
        }
        if let range = openRange {
            throw CorpusError.malformedLine(
                file: file, line: range.line,
                reason: .badMultiwordRange(
                    range: range.text, problem: "sentence ends before word \(range.last)"))
        }
        if sentence.words.isEmpty {
            throw CorpusError.malformedLine(
                file: file, line: lines[0].number, reason: .sentenceWithoutWords)
        }
        return sentence
    }

    private func parseID(_ text: String, line: Line) throws -> CoNLLUID {
        let bytes = text.utf8
        var invalid: CorpusError {
            .malformedLine(file: blocks.name, line: line.number, reason: .invalidID(text))
        }
        if let dash = bytes.firstIndex(of: UInt8(ascii: "-")) {
            guard let first = FieldSplitter.parseInteger(bytes[..<dash]),
                let last = FieldSplitter.parseInteger(bytes[bytes.index(after: dash)...]),
                first >= 1
            else { throw invalid }
            return .range(first: first, last: last)
        }
        if let dot = bytes.firstIndex(of: UInt8(ascii: ".")) {
            guard let after = FieldSplitter.parseInteger(bytes[..<dot]),
                let index = FieldSplitter.parseInteger(bytes[bytes.index(after: dot)...]),
                index >= 1
            else { throw invalid }
            return .empty(after: after, index: index)
        }
        guard let n = FieldSplitter.parseInteger(bytes), n >= 1 else { throw invalid }
        return .word(n)
    }
}
