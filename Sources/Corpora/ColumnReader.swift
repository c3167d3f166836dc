import Text

/// Reads a CoNLL-style column file (see ``ColumnFormat``) one sentence or
/// document boundary at a time.
///
/// Checks, each reported as ``CorpusError/malformedLine(file:line:reason:)``
/// with the offending line: the same column count on every row, no empty
/// column (with ``ColumnSeparator/tab`` or ``ColumnSeparator/space``), index
/// column running 1, 2, 3…, comments only before a sentence's rows, document
/// starts only on their own, tags valid in the format's tag scheme. A file
/// without sentences is ``CorpusError/emptyCorpus(file:)``. With
/// ``ColumnFormat/acceptsTokenTag`` the first sentence decides whether the file is read
/// as declared or as ``ColumnFormat/tokenTag``.
///
/// ```swift
/// let reader = try ColumnReader(path: "train.iob2", format: .indexTokenTag)
/// while let sentence = try reader.nextSentence() { use(sentence.tokens, sentence.tags) }
/// ```
public final class ColumnReader {
    /// The format being read; `separator` and `columnCount` are resolved from
    /// the first data row when they were automatic.
    public private(set) var format: ColumnFormat
    private let blocks: BlockReader
    private var pending: [ColumnItem] = []
    private var sentenceCount = 0
    /// Whether the choice between the declared format and ``ColumnFormat/tokenTag`` is made.
    private var layoutDecided = false

    /// Opens the file at `path`.
    /// - Throws: ``CorpusError/unreadable(file:reason:)``.
    public init(
        path: String, format: ColumnFormat, options: LineReader.Options = LineReader.Options()
    ) throws {
        self.format = format
        do {
            blocks = BlockReader(try LineReader(path: path, options: options))
        } catch let error as TextInputError {
            throw CorpusError(error)
        }
    }

    /// Reads from a line reader (standard input, memory, a file).
    public init(lines: LineReader, format: ColumnFormat) {
        self.format = format
        blocks = BlockReader(lines)
    }

    /// Reads a string; `name` appears in errors.
    public convenience init(string: String, format: ColumnFormat, name: String = "<memory>") {
        self.init(lines: LineReader(string: string, name: name), format: format)
    }

    /// Whether the input started with a byte order mark.
    public var hadByteOrderMark: Bool { blocks.lines.hadByteOrderMark }

    /// Reads every item of the file at `path`.
    public static func read(path: String, format: ColumnFormat) throws -> [ColumnItem] {
        try ColumnReader(path: path, format: format).readAll()
    }

    /// Reads every remaining item.
    public func readAll() throws -> [ColumnItem] {
        var items: [ColumnItem] = []
        while let item = try next() { items.append(item) }
        return items
    }

    /// The next sentence, skipping document boundaries, or `nil` at the end.
    public func nextSentence() throws -> ColumnSentence? {
        while let item = try next() {
            if case .sentence(let sentence) = item { return sentence }
        }
        return nil
    }

    /// The next sentence or document boundary, or `nil` at the end.
    /// - Throws: ``CorpusError``; ``CorpusError/emptyCorpus(file:)`` if the
    ///   input ends before any sentence.
    public func next() throws -> ColumnItem? {
        if pending.isEmpty {
            guard let (lines, layout) = try blocks.next() else {
                if sentenceCount == 0 { throw CorpusError.emptyCorpus(file: blocks.name) }
                return nil
            }
            pending = try parse(lines, layout: layout).reversed()
        }
        let item = pending.removeLast()
        if case .sentence = item { sentenceCount += 1 }
        return item
    }

    private func split(_ bytes: [UInt8], line: Line) throws -> [String] {
        if format.separator == .automatic {
            format.separator = bytes.contains(0x09) ? .tab : .space
        }
        let fields: [String]
        switch format.separator {
        case .tab: fields = FieldSplitter.split(bytes, on: 0x09)
        case .space, .automatic: fields = FieldSplitter.split(bytes, on: 0x20)
        case .whitespace: fields = FieldSplitter.splitOnWhitespace(bytes)
        }
        return fields
    }

    /// With ``ColumnFormat/acceptsTokenTag``, on the first block with rows: switches to
    /// ``ColumnFormat/tokenTag`` if every row (document starts aside) is two non-empty
    /// tab-separated fields and, in a format with an index column, the first fields do not
    /// run 1, 2, 3…
    private func decideLayout(_ lines: [Line]) {
        guard format.acceptsTokenTag, !layoutDecided else { return }
        var firstColumn: [String] = []
        for line in lines where !FieldSplitter.isWhitespaceOnly(line.bytes) {
            let fields = FieldSplitter.split(line.bytes, on: 0x09)
            if let start = format.documentStart,
                fields[0] == start || FieldSplitter.split(line.bytes, on: 0x20)[0] == start
            {
                continue
            }
            layoutDecided = true
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else { return }
            firstColumn.append(fields[0])
        }
        guard layoutDecided else { return }
        if format.indexColumn != nil, firstColumn == (1...firstColumn.count).map(String.init) {
            return
        }
        var tokenTag = ColumnFormat.tokenTag
        tokenTag.documentStart = format.documentStart
        tokenTag.tagScheme = format.tagScheme
        format = tokenTag
    }

    private func parse(_ lines: [Line], layout: BlockLayout) throws -> [ColumnItem] {
        decideLayout(lines)
        let file = blocks.name
        func fail(_ line: Line, _ reason: CorpusError.Reason) -> CorpusError {
            .malformedLine(file: file, line: line.number, reason: reason)
        }
        var items: [ColumnItem] = []
        var comments: [String] = []
        var rows: [[String]] = []
        rows.reserveCapacity(lines.count)
        var rowLines: [Line] = []
        var firstLine = 0  // index in `lines` where the current sentence starts
        // Per-line terminators of the lines not yet given to an item (document boundaries
        // take theirs from the front, the sentence gets the rest).
        var remainingTerminators = layout.lineTerminators

        for (k, line) in lines.enumerated() {
            let bytes = line.bytes
            if FieldSplitter.isWhitespaceOnly(bytes) { throw fail(line, .whitespaceOnlyLine) }
            if let prefix = format.commentPrefix, rows.isEmpty, bytes.starts(with: prefix.utf8) {
                comments.append(line.text)
                continue
            }
            let fields = try split(bytes, line: line)
            if let start = format.documentStart, fields[0] == start {
                guard rows.isEmpty && comments.isEmpty else {
                    throw fail(line, .documentStartInsideSentence)
                }
                var boundaryLayout = layout
                // Only the block's first line has the blank lines before the block.
                if !items.isEmpty { boundaryLayout.blankLinesBefore = 0 }
                boundaryLayout.lineTerminators = remainingTerminators
                if k < lines.count - 1 {
                    // Sentence rows follow directly: the boundary has no blank line after it.
                    boundaryLayout.blankLinesAfter = 0
                    boundaryLayout.lastLineTerminated = true
                    if let all = remainingTerminators {
                        let split = boundaryLayout.blankLinesBefore + 1
                        boundaryLayout.lineTerminators = Array(all[..<split])
                        remainingTerminators = Array(all[split...])
                    }
                }
                items.append(
                    .documentBoundary(
                        ColumnDocumentBoundary(
                            fields: fields, separator: format.separator, layout: boundaryLayout,
                            lineNumber: line.number)))
                firstLine = k + 1
                continue
            }
            if format.columnCount == nil {
                let needed =
                    max(format.tokenColumn, format.tagColumn ?? 0, format.indexColumn ?? 0) + 1
                guard fields.count >= needed else {
                    throw fail(line, .wrongColumnCount(expected: needed, found: fields.count))
                }
                format.columnCount = fields.count
            }
            let expected = format.columnCount!
            guard fields.count == expected else {
                throw fail(line, .wrongColumnCount(expected: expected, found: fields.count))
            }
            if format.separator != .whitespace {
                for (c, field) in fields.enumerated() where field.isEmpty {
                    throw fail(line, .emptyField(column: "column \(c + 1)"))
                }
            }
            if let indexColumn = format.indexColumn {
                let text = fields[indexColumn]
                guard let index = FieldSplitter.parseInteger(text.utf8), index >= 1 else {
                    throw fail(line, .invalidID(text))
                }
                guard index == rows.count + 1 else {
                    throw fail(line, .unexpectedID(expected: String(rows.count + 1), found: text))
                }
            }
            rows.append(fields)
            rowLines.append(line)
        }
        if rows.isEmpty {
            if !comments.isEmpty {
                throw CorpusError.malformedLine(
                    file: file, line: lines[firstLine].number, reason: .sentenceWithoutWords)
            }
            return items
        }
        let tagColumn = format.tagColumn ?? (format.columnCount! - 1)
        var sentenceLayout = layout
        if !items.isEmpty {
            sentenceLayout.blankLinesBefore = 0
            sentenceLayout.lineTerminators = remainingTerminators
        }
        let sentence = ColumnSentence(
            comments: comments, rows: rows, tokenColumn: format.tokenColumn, tagColumn: tagColumn,
            separator: format.separator, layout: sentenceLayout, lineNumber: lines[firstLine].number
        )
        if let scheme = format.tagScheme {
            do {
                try scheme.validate(sentence.tags)
            } catch let error as TagSchemeError {
                throw fail(
                    rowLines[error.index], .invalidTag(error.errorDescription ?? "invalid tag"))
            }
        }
        items.append(.sentence(sentence))
        return items
    }
}
