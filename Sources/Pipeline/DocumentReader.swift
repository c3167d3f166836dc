import Corpora
import Foundation
import Tagging
import Text
import Tokenization

/// The input formats the pipeline reads.
public enum InputFormat: String, CaseIterable, Sendable {
    /// Raw UTF-8 text (see ``TextLayout`` for how it is cut into documents and sentences).
    case text
    /// One token a line (the first column: up to the first tab, or the first space in a
    /// line without tabs), a blank line after each sentence; one document a sentence.
    case tokens
    /// CoNLL-U: the gold tokens and words, every column kept; one document a sentence.
    case conllu
}

/// How raw text is cut into documents and sentences.
public enum TextLayout: String, CaseIterable, Sendable {
    /// Each line is one sentence and one document (a blank line gives an empty document).
    case sentencePerLine
    /// Running text: paragraphs (up to a blank line, in pieces of at most
    /// ``InputLimits/paragraphBytes``) are documents, split into sentences.
    case runningText
    /// Each line is one document, split into sentences; an empty or invalid line gives a
    /// document with ``InputDocument/problem`` set instead of stopping the input.
    case documentPerLine
}

/// One unit read from the input: a tokenized document, where it starts, and for CoNLL-U
/// input the sentence as read.
public struct InputDocument: Sendable {
    /// The tokenized document (sentences already cut).
    public var document: Document
    /// For CoNLL-U input, the sentence as read (one per document); empty otherwise.
    public var conllu: [CoNLLUSentence]
    /// The 1-based input line where the document starts.
    public var line: Int
    /// For ``TextLayout/documentPerLine``: why the line could not be read as a document
    /// (empty, invalid UTF-8, too many tokens), naming the line and byte; `nil` when fine.
    public var problem: String?
}

/// Token input that is not one token a line.
public enum TokenInputError: LocalizedError, Equatable {
    /// Line `line` has `columns` columns where the sentence's first line had `firstColumns`:
    /// running text given as tokens.
    case runningText(source: String, line: Int, columns: Int, firstLine: Int, firstColumns: Int)

    /// A one-line message that says what to do.
    public var errorDescription: String? {
        switch self {
        case .runningText(let source, let line, let columns, let firstLine, let firstColumns):
            return
                "\(source):\(line): \(columns) columns where line \(firstLine) has \(firstColumns): token input is one token a line (the token in the first column) with a blank line after each sentence; for running text use --input text"
        }
    }
}

extension Document {
    /// A document of pre-tokenized sentences: the text is the tokens joined by single
    /// spaces, sentences one after another (also joined by a space).
    public init(tokenizedSentences sentences: [[String]]) {
        var count = 0
        var length = 0
        for forms in sentences {
            count += forms.count
            for form in forms { length += form.utf8.count + 1 }
        }
        // The text is gathered as bytes and made a string once: appending to a string
        // token by token cost more than the rest of reading a token file.
        var bytes: [UInt8] = []
        var tokens: [Token] = []
        var ranges: [Range<Int>] = []
        bytes.reserveCapacity(length)
        tokens.reserveCapacity(count)
        ranges.reserveCapacity(sentences.count)
        var scalar = 0
        for forms in sentences where !forms.isEmpty {
            let start = tokens.count
            for var form in forms {
                if !tokens.isEmpty {
                    bytes.append(UInt8(ascii: " "))
                    scalar += 1
                }
                let byte = bytes.count
                var scalars = 0
                form.withUTF8 { utf8 in
                    bytes.append(contentsOf: utf8)
                    // Counting the bytes that start a scalar is faster than decoding them.
                    for b in utf8 where b & 0xC0 != 0x80 { scalars += 1 }
                }
                tokens.append(
                    Token(
                        text: form, scalarRange: scalar..<(scalar + scalars),
                        utf8Range: byte..<bytes.count))
                scalar += scalars
            }
            ranges.append(start..<tokens.count)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        self.init(text: text, tokens: tokens, sentences: ranges)
    }

    /// A document of CoNLL-U sentences: their gold surface tokens over the text rebuilt
    /// from FORM and `SpaceAfter` (sentences joined by a space), and their syntactic words
    /// as written.
    public init(conllu sentences: [CoNLLUSentence]) {
        var text = ""
        var tokens: [Token] = []
        var ranges: [Range<Int>] = []
        var scalar = 0
        var byte = 0
        func append(_ string: String) {
            text += string
            scalar += string.unicodeScalars.count
            byte += string.utf8.count
        }
        for sentence in sentences {
            let surface = sentence.tokens
            guard !surface.isEmpty else { continue }
            if !tokens.isEmpty { append(" ") }
            let start = tokens.count
            for (k, token) in surface.enumerated() {
                let scalars = token.form.unicodeScalars.count
                let bytes = token.form.utf8.count
                // The words of multiword tokens come from the file, so the models read the
                // syntactic words exactly as written.
                let words = token.isMultiword ? sentence.words[token.wordIndices].map(\.form) : []
                tokens.append(
                    Token(
                        text: token.form, scalarRange: scalar..<(scalar + scalars),
                        utf8Range: byte..<(byte + bytes), words: words,
                        spaceAfter: token.spaceAfter))
                append(token.form)
                if k < surface.count - 1 { append(token.spacesAfter) }
            }
            ranges.append(start..<tokens.count)
        }
        self.init(text: text, tokens: tokens, sentences: ranges)
    }
}

/// Reads tokenized documents from a line reader, in one of the ``InputFormat``s and, for
/// text, one of the ``TextLayout``s. Memory stays bounded: a line or token sentence of more
/// than ``InputLimits/tokensPerLine`` tokens is an error naming the line, and running text
/// is split in pieces of at most ``InputLimits/paragraphBytes``.
public final class DocumentReader {
    /// The input format.
    public let format: InputFormat
    /// How text input is cut (ignored for tokens and CoNLL-U).
    public let layout: TextLayout
    private let lines: LineReader
    private let tokenizer: Tokenizer
    private let segmenter: (any SentenceSegmenter)?
    private var conllu: CoNLLUReader?
    private var pending: [InputDocument] = []
    private var pendingIndex = 0
    private var paragraphs = ParagraphBuffer()
    private var paragraphLine = 1
    private var atEnd = false

    /// Texts given to the sentence splitter together (their windows share batches).
    static let segmentationBytes = 16384

    /// A reader over `lines`. The running-text and document-per-line layouts need a
    /// `segmenter`.
    public init(
        lines: LineReader, format: InputFormat, layout: TextLayout = .sentencePerLine,
        tokenizer: Tokenizer = .english, segmenter: (any SentenceSegmenter)? = nil
    ) {
        precondition(
            format != .text || layout == .sentencePerLine || segmenter != nil,
            "the \(layout) layout needs a sentence segmenter")
        self.lines = lines
        self.format = format
        self.layout = layout
        self.tokenizer = tokenizer
        self.segmenter = segmenter
        if format == .conllu { conllu = CoNLLUReader(lines: lines) }
    }

    /// A reader that uses `pipeline`'s tokenizer and sentence splitter.
    public convenience init(
        lines: LineReader, format: InputFormat, layout: TextLayout = .sentencePerLine,
        pipeline: Pipeline
    ) {
        self.init(
            lines: lines, format: format, layout: layout, tokenizer: pipeline.tokenizer,
            segmenter: pipeline.segmenter)
    }

    /// Whether reading runs the sentence segmenter (text in the running-text or
    /// document-per-line layout).
    public var splitsSentences: Bool {
        format == .text && layout != .sentencePerLine && segmenter != nil
    }

    /// Whether the input started with a byte order mark (known once reading has begun).
    public var hadByteOrderMark: Bool { lines.hadByteOrderMark }

    /// The name of the input, such as `<stdin>`.
    public var name: String { lines.name }

    /// The next document, or `nil` at the end of the input.
    public func next() throws -> InputDocument? {
        switch format {
        case .conllu:
            do {
                guard let sentence = try conllu?.next() else { return nil }
                return InputDocument(
                    document: Document(conllu: [sentence]), conllu: [sentence],
                    line: sentence.lineNumber, problem: nil)
            } catch CorpusError.emptyCorpus {
                return nil
            }
        case .tokens:
            return try nextTokenSentence()
        case .text:
            switch layout {
            case .sentencePerLine:
                guard let line = try lines.next() else { return nil }
                let text = line.text
                let tokens = try tokenizer.boundedTokens(of: line, text: text, source: lines.name)
                return InputDocument(
                    document: Document(line: text, tokens: tokens), conllu: [],
                    line: line.number, problem: nil)
            case .runningText, .documentPerLine:
                return try nextSegmented()
            }
        }
    }

    private func nextTokenSentence() throws -> InputDocument? {
        var forms: [String] = []
        forms.reserveCapacity(32)
        var first = 0
        var columns = 0
        var bytes = 0
        while let line = try lines.next() {
            let text = line.text
            let form = Self.firstColumn(text)
            if form.isEmpty {
                if forms.isEmpty { continue }
                break
            }
            // Lines of running text given as tokens have as many space-separated columns as
            // they have words; token files have one column, tab-separated ones, or the same
            // space-separated columns on every line (CoNLL-2003).
            let lineColumns =
                form.utf8.count == text.utf8.count || text.utf8.contains(UInt8(ascii: "\t"))
                ? 1 : Self.columnCount(text)
            if forms.isEmpty {
                first = line.number
                columns = lineColumns
            } else if lineColumns != columns && max(lineColumns, columns) >= 3 {
                throw TokenInputError.runningText(
                    source: lines.name, line: line.number, columns: lineColumns,
                    firstLine: first, firstColumns: columns)
            }
            guard forms.count < InputLimits.tokensPerLine else {
                throw TooManyTokens(
                    source: lines.name, line: line.number, byteOffset: line.byteOffset)
            }
            bytes += form.utf8.count
            guard bytes <= InputLimits.tokenSentenceBytes else {
                throw TooManyTokens(
                    source: lines.name, line: line.number, byteOffset: line.byteOffset,
                    tooManyBytes: true)
            }
            forms.append(form)
        }
        guard !forms.isEmpty else { return nil }
        return InputDocument(
            document: Document(tokenizedSentences: [forms]), conllu: [], line: first, problem: nil)
    }

    /// The first column of a token line: up to the first tab, or, in a line without tabs,
    /// up to the first space (CoNLL-2003 style); surrounding white space is ignored.
    public static func firstColumn(_ line: String) -> String {
        // A line of ASCII without blanks, as token files mostly have, is its own column.
        let plain = !line.utf8.contains {
            $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 >= 0x80
        }
        if plain { return line }
        // On Unicode scalars rather than Foundation's trimming, which took a third of the
        // reading thread's time on token files.
        let scalars = line.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isBlank($0) }) else { return "" }
        var end = scalars.endIndex
        while isBlank(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        let body = scalars[start..<end]
        if let tab = body.firstIndex(of: "\t") {
            var columnEnd = tab
            while isBlank(scalars[scalars.index(before: columnEnd)]) {
                columnEnd = scalars.index(before: columnEnd)
            }
            return String(scalars[start..<columnEnd])
        }
        if let space = body.firstIndex(of: " ") { return String(scalars[start..<space]) }
        return String(body)
    }

    /// White space within a line, as Foundation's `CharacterSet.whitespaces` has it: the tab
    /// and the space separators (Unicode category Zs).
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t"
            || (scalar.value >= 0x80 && scalar.properties.generalCategory == .spaceSeparator)
    }

    /// The space-separated columns of a token line.
    public static func columnCount(_ line: String) -> Int {
        var count = 0
        var inColumn = false
        for byte in line.utf8 {
            if byte == UInt8(ascii: " ") {
                inColumn = false
            } else if !inColumn {
                inColumn = true
                count += 1
            }
        }
        return count
    }

    /// The next document of a segmented layout: texts are gathered up to
    /// ``segmentationBytes`` and split together.
    private func nextSegmented() throws -> InputDocument? {
        while true {
            if pendingIndex < pending.count {
                defer { pendingIndex += 1 }
                return pending[pendingIndex]
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if atEnd { return nil }
            var texts: [(text: String, line: Int, tokens: [Token])] = []
            var problems: [Int: String] = [:]
            var bytes = 0
            while bytes < Self.segmentationBytes {
                guard let unit = try nextText() else {
                    atEnd = true
                    break
                }
                if let problem = unit.problem { problems[texts.count] = problem }
                texts.append((unit.text, unit.line, unit.tokens))
                bytes += unit.text.utf8.count + 1
            }
            let good = texts.indices.filter { problems[$0] == nil }
            let sentences = segment(good.map { (tokens: texts[$0].tokens, text: texts[$0].text) })
            var next = 0
            for (k, unit) in texts.enumerated() {
                if let problem = problems[k] {
                    pending.append(
                        InputDocument(
                            document: Document(text: unit.text, tokens: [], sentences: []),
                            conllu: [], line: unit.line, problem: problem))
                } else {
                    let separated = Tokenizer.separatingFinalPeriods(
                        unit.tokens, sentences: sentences[next].filter { !$0.isEmpty })
                    pending.append(
                        InputDocument(
                            document: Document(
                                text: unit.text, tokens: separated.tokens,
                                sentences: separated.sentences),
                            conllu: [], line: unit.line, problem: nil))
                    next += 1
                }
            }
        }
    }

    /// The sentences of each text, by the segmenter: a text of more than
    /// ``InputLimits/tokensPerSegmentation`` tokens is split in slices of that many, so that
    /// the splitter's memory stays bounded (each slice ends a sentence).
    private func segment(_ texts: [(tokens: [Token], text: String)]) -> [[Range<Int>]] {
        guard let segmenter else { return texts.map { _ in [] } }
        let limit = InputLimits.tokensPerSegmentation
        var items: [(tokens: [Token], text: String)] = []
        var owners: [(text: Int, offset: Int)] = []
        for (k, text) in texts.enumerated() {
            var start = 0
            repeat {
                let end = min(text.tokens.count, start + limit)
                let slice =
                    start == 0 && end == text.tokens.count
                    ? text.tokens : Array(text.tokens[start..<end])
                items.append((slice, text.text))
                owners.append((k, start))
                start = end
            } while start < text.tokens.count
        }
        // The slices go to the segmenter in groups of at most `limit` tokens.
        var result = [[Range<Int>]](repeating: [], count: texts.count)
        var first = 0
        while first < items.count {
            var end = first + 1
            var count = items[first].tokens.count
            while end < items.count && count + items[end].tokens.count <= limit {
                count += items[end].tokens.count
                end += 1
            }
            let found = segmenter.sentences(ofTexts: Array(items[first..<end]))
            for (owner, ranges) in zip(owners[first..<end], found) {
                result[owner.text] += ranges.map {
                    ($0.lowerBound + owner.offset)..<($0.upperBound + owner.offset)
                }
            }
            first = end
        }
        return result
    }

    /// The next text to split: a paragraph piece (running text) or a line (documents),
    /// tokenized.
    private func nextText() throws -> (text: String, line: Int, problem: String?, tokens: [Token])?
    {
        if layout == .documentPerLine {
            guard let line = try lines.next() else { return nil }
            let text = line.text
            if let invalid = line.invalidUTF8 {
                return (text, line.number, invalid.errorDescription, [])
            }
            if text.unicodeScalars.allSatisfy({ ScalarClass.of($0.value) == .space }) {
                return (
                    text, line.number,
                    "\(lines.name):\(line.number): empty line (no text to annotate)", []
                )
            }
            do {
                return (
                    text, line.number, nil,
                    try tokenizer.boundedTokens(of: line, text: text, source: lines.name)
                )
            } catch let error as TooManyTokens {
                return (text, line.number, error.errorDescription, [])
            }
        }
        while true {
            if !readyPieces.isEmpty {
                let piece = readyPieces.removeFirst()
                return (piece.text, piece.line, nil, tokenizer.tokenize(piece.text))
            }
            guard let line = try lines.next() else {
                if let last = paragraphs.finish() {
                    return (last, paragraphLine, nil, tokenizer.tokenize(last))
                }
                return nil
            }
            if paragraphs.isEmpty { paragraphLine = line.number }
            let startLine = paragraphLine
            for piece in paragraphs.add(line.text) {
                readyPieces.append((piece, startLine))
                paragraphLine = line.number
            }
        }
    }

    private var readyPieces: [(text: String, line: Int)] = []
}
