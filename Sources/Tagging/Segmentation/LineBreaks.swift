import Text
import Tokenization

/// How the single line breaks of a running text are read when it is split into sentences
/// (a blank line always ends a sentence).
public enum LineBreaks: String, CaseIterable, Sendable {
    /// Decided for each text by ``LineBreaks/isHardWrapped(_:)``: the line breaks of
    /// hard-wrapped paragraphs are read as spaces, any other line break ends a sentence.
    case auto
    /// Every line break ends a sentence: one sentence, paragraph or document a line.
    case boundary
    /// Line breaks are spaces (hard-wrapped text): only the splitter decides.
    case wrap
    /// Every line break ends a paragraph: the text is split whole, each line read as a
    /// paragraph between blank lines, so that the lines around it stay in view (one
    /// paragraph a line, as from a word processor or a web page).
    case paragraphs

    /// The shortest longest line of a hard-wrapped text, in Unicode scalars: short lines
    /// (lists, headers, verse) are never read as wrapping.
    public static let minimumWrapWidth = 40

    /// Whether the non-blank lines of `utf8` look hard-wrapped: more than half of the line
    /// breaks between two non-blank lines come where the next line's first word would not
    /// have fitted on the line before within the text's width (as a wrapper at that width
    /// leaves them), and that width is at least ``minimumWrapWidth``. The width is the 90th
    /// percentile of the line lengths in Unicode scalars; breaks after longer lines are not
    /// counted. A text without such a line break is not wrapped. A paragraph of two lines
    /// whose first is the longest reads as wrapped.
    public static func isHardWrapped<Bytes: Collection<UInt8>>(_ utf8: Bytes) -> Bool {
        var lines: [(length: Int, firstWord: Int)] = []
        var length = 0  // scalars so far on the line
        var trimmed = 0  // the same without trailing blanks
        var firstWord = 0
        var inFirstWord = true
        func endLine() {
            lines.append((trimmed, firstWord))
            (length, trimmed, firstWord, inFirstWord) = (0, 0, 0, true)
        }
        for byte in utf8 {
            if byte == 0x0A {
                endLine()
                continue
            }
            // Unicode scalars: every byte that does not continue a UTF-8 sequence.
            guard byte & 0xC0 != 0x80 else { continue }
            let blank = byte == 0x20 || byte == 0x09 || byte == 0x0D
            length += 1
            if !blank {
                trimmed = length
                if inFirstWord { firstWord += 1 }
            } else if firstWord > 0 {
                inFirstWord = false
            }
        }
        endLine()
        // The width: the 90th percentile of the lengths, so that a few over-long lines (a
        // URL, a word longer than the width) do not set it.
        let lengths = lines.map(\.length).filter { $0 > 0 }.sorted()
        guard !lengths.isEmpty else { return false }
        let width = lengths[(9 * (lengths.count - 1) + 5) / 10]
        guard width >= minimumWrapWidth else { return false }
        var breaks = 0
        var wrapped = 0
        // A line longer than the width says nothing about where the text wraps.
        for (line, next) in zip(lines, lines.dropFirst())
        where line.length > 0 && line.length <= width && next.length > 0 {
            breaks += 1
            if line.length + 1 + next.firstWord > width { wrapped += 1 }
        }
        return breaks > 0 && 2 * wrapped > breaks
    }

    /// Whether the line breaks of `utf8` end sentences under this reading.
    public func endSentences<Bytes: Collection<UInt8>>(in utf8: Bytes) -> Bool {
        switch self {
        case .boundary, .paragraphs: return true
        case .wrap: return false
        case .auto: return !Self.isHardWrapped(utf8)
        }
    }
}

/// A sentence segmenter that reads line breaks before another one splits: when the line
/// breaks of a text end sentences (``LineBreaks``), the text's tokens are cut at every line
/// break and each line is split by `base` on its own (all of them in one batch), or, with
/// ``LineBreaks/paragraphs``, the whole text goes to `base` with a blank line at each line
/// break; otherwise the tokens go to `base` as they are.
public struct LineBreakSegmenter: SentenceSegmenter, @unchecked Sendable {
    /// The splitter of each line (or of the whole text when its line breaks are spaces).
    public var base: any SentenceSegmenter
    /// How line breaks are read.
    public var lineBreaks: LineBreaks

    /// A segmenter reading line breaks as `lineBreaks` says in front of `base`.
    public init(base: any SentenceSegmenter, lineBreaks: LineBreaks = .auto) {
        self.base = base
        self.lineBreaks = lineBreaks
    }

    /// The sentences of `tokens` (tokenized from `text`).
    public func sentences(of tokens: [Token], in text: String) -> [Range<Int>] {
        sentences(ofTexts: [(tokens, text)])[0]
    }

    /// The sentences of several texts; the lines of all of them go to `base` together.
    public func sentences(ofTexts texts: [(tokens: [Token], text: String)]) -> [[Range<Int>]] {
        var pieces: [(tokens: [Token], text: String)] = []
        var owners: [(text: Int, offset: Int)] = []
        for (k, item) in texts.enumerated() {
            let lines = lines(of: item.tokens, in: item.text)
            if lineBreaks == .paragraphs && lines.count > 1 {
                pieces.append(Self.withBlankLines(item.tokens, in: item.text))
                owners.append((k, 0))
                continue
            }
            for line in lines {
                pieces.append(
                    lines.count == 1 ? item : Self.text(of: item.tokens[line], in: item.text))
                owners.append((k, line.lowerBound))
            }
        }
        var result = [[Range<Int>]](repeating: [], count: texts.count)
        for (owner, ranges) in zip(owners, base.sentences(ofTexts: pieces)) {
            result[owner.text] += ranges.map {
                ($0.lowerBound + owner.offset)..<($0.upperBound + owner.offset)
            }
        }
        return result
    }

    /// `text` with a second line break after the first one of each gap between two tokens
    /// that holds a line break but no blank line, and `tokens` with their ranges moved to it
    /// (each inserted line break is one byte and one scalar).
    public static func withBlankLines(_ tokens: [Token], in text: String) -> (
        tokens: [Token], text: String
    ) {
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + tokens.count)
        var moved = tokens
        var shift = 0
        var copied = 0
        for i in tokens.indices {
            let token = tokens[i]
            // The gap before this token (from the previous token's end).
            let gapStart = i == 0 ? 0 : tokens[i - 1].utf8Range.upperBound
            let gapEnd = token.utf8Range.lowerBound
            if i > 0, let newline = utf8[gapStart..<gapEnd].firstIndex(of: 0x0A),
                !SentenceSplitter.containsBlankLine(utf8[gapStart..<gapEnd])
            {
                out += utf8[copied...newline]
                out.append(0x0A)
                copied = newline + 1
                shift += 1
            }
            moved[i].utf8Range =
                (token.utf8Range.lowerBound + shift)..<(token.utf8Range.upperBound + shift)
            moved[i].scalarRange =
                (token.scalarRange.lowerBound + shift)..<(token.scalarRange.upperBound + shift)
        }
        out += utf8[copied...]
        return (moved, String(decoding: out, as: UTF8.self))
    }

    /// `tokens` as a text of their own: the text from the first token's start to the last
    /// one's end, the tokens' ranges moved to it (so that the splitter's view of the line is
    /// the same as of a text holding only the line).
    static func text(of tokens: ArraySlice<Token>, in text: String) -> (
        tokens: [Token], text: String
    ) {
        guard let first = tokens.first, let last = tokens.last else { return ([], "") }
        let utf8 = text.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: first.utf8Range.lowerBound)
        let to = utf8.index(from, offsetBy: last.utf8Range.upperBound - first.utf8Range.lowerBound)
        let (byteShift, scalarShift) = (first.utf8Range.lowerBound, first.scalarRange.lowerBound)
        let moved = tokens.map { token in
            var token = token
            token.utf8Range =
                (token.utf8Range.lowerBound - byteShift)..<(token.utf8Range.upperBound - byteShift)
            let (lower, upper) = (token.scalarRange.lowerBound, token.scalarRange.upperBound)
            token.scalarRange = (lower - scalarShift)..<(upper - scalarShift)
            return token
        }
        return (moved, String(Substring(utf8[from..<to])))
    }

    /// The token ranges of the lines of `tokens` (one range, all of them, when line breaks
    /// are spaces in this text).
    func lines(of tokens: [Token], in text: String) -> [Range<Int>] {
        guard let first = tokens.first, let last = tokens.last else { return [] }
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: first.utf8Range.lowerBound)
        let end = utf8.index(utf8.startIndex, offsetBy: last.utf8Range.upperBound)
        guard utf8[start..<end].contains(0x0A), lineBreaks.endSentences(in: utf8[start..<end])
        else { return [0..<tokens.count] }
        let bytes = Array(utf8[start..<end])
        let base = first.utf8Range.lowerBound
        var ranges: [Range<Int>] = []
        var lineStart = 0
        for i in 0..<(tokens.count - 1) {
            let (gapStart, gapEnd) =
                (tokens[i].utf8Range.upperBound - base, tokens[i + 1].utf8Range.lowerBound - base)
            if bytes[gapStart..<gapEnd].contains(0x0A) {
                ranges.append(lineStart..<(i + 1))
                lineStart = i + 1
            }
        }
        ranges.append(lineStart..<tokens.count)
        return ranges
    }
}
