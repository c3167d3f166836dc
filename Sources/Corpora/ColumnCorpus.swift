import Text

/// How the columns of a column file are separated.
public enum ColumnSeparator: Hashable, Sendable {
    /// Exactly one tab between columns (written back with tabs).
    case tab
    /// Exactly one space between columns (written back with spaces).
    case space
    /// Any run of spaces and tabs; written back with single spaces, so only
    /// files that already use single spaces round-trip byte for byte.
    case whitespace
    /// ``tab`` if the first data line holds a tab, else ``space``.
    case automatic
}

/// The layout of a CoNLL-style column file: one token per line, blank lines
/// between sentences.
public struct ColumnFormat: Hashable, Sendable {
    /// The column separator.
    public var separator: ColumnSeparator
    /// Required number of columns; `nil` takes it from the file's first row.
    public var columnCount: Int?
    /// 0-based column holding the token.
    public var tokenColumn: Int
    /// 0-based column holding the tag; `nil` means the last column.
    public var tagColumn: Int?
    /// 0-based column holding a 1-based token index checked to run 1, 2, 3… in
    /// each sentence; `nil` if there is none.
    public var indexColumn: Int?
    /// Lines starting with this before a sentence's first row are comments.
    /// `nil`: no comments (a token may then start with `#`).
    public var commentPrefix: String?
    /// A first-column value marking a document boundary line, such as
    /// `-DOCSTART-`; `nil` if the format has none.
    public var documentStart: String?
    /// When set, each sentence's tags are checked in this scheme's strict mode.
    public var tagScheme: TagScheme?
    /// When set, a file whose first sentence has two tab-separated columns on every row
    /// (``tokenTag``, what `tagger tag --format conll` writes) is read as ``tokenTag``,
    /// keeping this format's `documentStart` and `tagScheme`; a first column running 1, 2,
    /// 3… in a format with an index column is read as declared (a missing column).
    public var acceptsTokenTag: Bool

    /// Creates a format; by default: separator detected, column count from
    /// the first row, token in column 0, tag in the last column.
    public init(
        separator: ColumnSeparator = .automatic, columnCount: Int? = nil, tokenColumn: Int = 0,
        tagColumn: Int? = nil, indexColumn: Int? = nil, commentPrefix: String? = nil,
        documentStart: String? = nil, tagScheme: TagScheme? = nil, acceptsTokenTag: Bool = false
    ) {
        if let count = columnCount {
            precondition(count > 0, "columnCount must be positive, got \(count)")
            precondition(tokenColumn < count, "tokenColumn \(tokenColumn) outside \(count) columns")
            precondition(
                (tagColumn ?? 0) < count, "tagColumn \(tagColumn ?? 0) outside \(count) columns")
            precondition(
                (indexColumn ?? 0) < count,
                "indexColumn \(indexColumn ?? 0) outside \(count) columns")
        }
        precondition(
            tokenColumn >= 0 && (tagColumn ?? 0) >= 0 && (indexColumn ?? 0) >= 0, "negative column")
        self.separator = separator
        self.columnCount = columnCount
        self.tokenColumn = tokenColumn
        self.tagColumn = tagColumn
        self.indexColumn = indexColumn
        self.commentPrefix = commentPrefix
        self.documentStart = documentStart
        self.tagScheme = tagScheme
        self.acceptsTokenTag = acceptsTokenTag
    }

    /// CoNLL-2003 NER: `token POS chunk NER`, space-separated, `-DOCSTART-`
    /// lines between documents, tags in the 4th column; ``tokenTag`` files are read too.
    public static let conll2003 = ColumnFormat(
        separator: .space, columnCount: 4, tokenColumn: 0, tagColumn: 3,
        documentStart: "-DOCSTART-",
        acceptsTokenTag: true)

    /// `index<TAB>token<TAB>tag` with `#` comment lines before each sentence,
    /// as in Universal NER (`uner-english-ewt`), tags in IOB2; ``tokenTag`` files are
    /// read too.
    public static let indexTokenTag = ColumnFormat(
        separator: .tab, columnCount: 3, tokenColumn: 1, tagColumn: 2, indexColumn: 0,
        commentPrefix: "#",
        tagScheme: .iob2, acceptsTokenTag: true)

    /// `token<TAB>tag`, one token a line, a blank line after each sentence, no comments:
    /// what `tagger tag --format conll` writes.
    public static let tokenTag = ColumnFormat(
        separator: .tab, columnCount: 2, tokenColumn: 0, tagColumn: 1)
}

/// One sentence of a column file.
public struct ColumnSentence: Hashable, Sendable {
    /// Comment lines verbatim (with their prefix).
    public var comments: [String]
    /// The rows, one per token, each with all its columns.
    public var rows: [[String]]
    /// Column holding the token (from the format it was read with).
    public var tokenColumn: Int
    /// Column holding the tag (resolved: never "last" but a number).
    public var tagColumn: Int
    /// Separator the sentence is written with (``ColumnSeparator/whitespace``
    /// is written as single spaces).
    public var separator: ColumnSeparator
    /// Line terminators and blank lines around the sentence.
    public var layout: BlockLayout
    /// Line number of the sentence's first line (0 if built in code).
    public var lineNumber: Int

    /// Creates a sentence.
    public init(
        comments: [String] = [], rows: [[String]], tokenColumn: Int = 0, tagColumn: Int,
        separator: ColumnSeparator = .tab,
        layout: BlockLayout = BlockLayout(), lineNumber: Int = 0
    ) {
        self.comments = comments
        self.rows = rows
        self.tokenColumn = tokenColumn
        self.tagColumn = tagColumn
        self.separator = separator
        self.layout = layout
        self.lineNumber = lineNumber
    }

    /// The value of the first comment `# key = value` (spaces around `=` optional), as
    /// `CoNLLUSentence.comment(_:)` reads it.
    public func comment(_ key: String) -> String? { commentValue(key, in: comments) }

    /// The `# sent_id =` comment (Universal NER files carry UD's), if given.
    public var sentenceID: String? { comment("sent_id") }

    /// The tokens (the token column).
    public var tokens: [String] { rows.map { $0[tokenColumn] } }

    /// The tags (the tag column); setting replaces that column in every row.
    public var tags: [String] {
        get { rows.map { $0[tagColumn] } }
        set {
            precondition(
                newValue.count == rows.count, "\(newValue.count) tags for \(rows.count) rows")
            for i in rows.indices { rows[i][tagColumn] = newValue[i] }
        }
    }

    /// Column `k` of every row.
    public func column(_ k: Int) -> [String] { rows.map { $0[k] } }

    /// The sentence's lines as written, without terminators.
    public var lines: [String] {
        let separator = self.separator == .tab ? "\t" : " "
        return comments + rows.map { $0.joined(separator: separator) }
    }
}

/// A document boundary line such as `-DOCSTART- -X- -X- O`.
public struct ColumnDocumentBoundary: Hashable, Sendable {
    /// The line's columns.
    public var fields: [String]
    /// Separator the line is written with.
    public var separator: ColumnSeparator
    /// Terminator and blank lines around the line.
    public var layout: BlockLayout
    /// Line number in the file (0 if built in code).
    public var lineNumber: Int

    /// Creates a boundary line.
    public init(
        fields: [String], separator: ColumnSeparator = .space, layout: BlockLayout = BlockLayout(),
        lineNumber: Int = 0
    ) {
        self.fields = fields
        self.separator = separator
        self.layout = layout
        self.lineNumber = lineNumber
    }
}

/// What a column file holds, in file order.
public enum ColumnItem: Hashable, Sendable {
    /// A document boundary line (not a sentence).
    case documentBoundary(ColumnDocumentBoundary)
    /// A sentence.
    case sentence(ColumnSentence)

    /// The sentence, if this item is one.
    public var sentence: ColumnSentence? {
        if case .sentence(let s) = self { return s }
        return nil
    }
}

/// Writes column files: the inverse of ``ColumnReader``.
public enum ColumnWriter {
    /// Appends one item (its lines, terminators and blank lines) to `output`.
    public static func append(_ item: ColumnItem, to output: inout [UInt8]) {
        switch item {
        case .sentence(let sentence):
            sentence.layout.append(lines: sentence.lines, to: &output)
        case .documentBoundary(let boundary):
            let line = boundary.fields.joined(separator: boundary.separator == .tab ? "\t" : " ")
            boundary.layout.append(lines: [line], to: &output)
        }
    }

    /// The items as file bytes, with a leading byte order mark if asked.
    public static func bytes<S: Sequence>(_ items: S, byteOrderMark: Bool = false) -> [UInt8]
    where S.Element == ColumnItem {
        var output: [UInt8] = byteOrderMark ? [0xEF, 0xBB, 0xBF] : []
        for item in items { append(item, to: &output) }
        return output
    }

    /// The items as a string.
    public static func string<S: Sequence>(_ items: S) -> String where S.Element == ColumnItem {
        String(decoding: bytes(items), as: UTF8.self)
    }

    /// Writes sentences only (no document boundaries) as a string.
    public static func string<S: Sequence>(sentences: S) -> String
    where S.Element == ColumnSentence {
        string(sentences.map { ColumnItem.sentence($0) })
    }

    /// Writes the items to `writer`, one at a time.
    public static func write<S: Sequence>(
        _ items: S, to writer: ByteWriter, byteOrderMark: Bool = false
    ) throws
    where S.Element == ColumnItem {
        if byteOrderMark { try writer.write([0xEF, 0xBB, 0xBF] as [UInt8]) }
        var output: [UInt8] = []
        for item in items {
            output.removeAll(keepingCapacity: true)
            append(item, to: &output)
            try writer.write(output)
        }
    }
}
