import ArgumentParser
import Corpora
import Foundation
import Tagging
import Text

/// The input formats of `tagger tag`.
enum TagInputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Raw text, one sentence a line (or running text with `--split-sentences`).
    case text
    /// One token a line (the first column), a blank line after each sentence.
    case tokens
    /// CoNLL-U: gold tokens, every column kept.
    case conllu
}

/// One sentence to tag: its text, its surface tokens with ranges in that text, the
/// syntactic words the model sees and, for CoNLL-U input, the sentence as read.
struct InputSentence {
    /// The text that the token ranges (and JSON offsets) refer to.
    var text: String
    /// The surface tokens; `scalarRange` and `utf8Range` are offsets into `text`.
    var tokens: [Token]
    /// The syntactic words in order (a multiword token's words, otherwise the token).
    var words: [String]
    /// For each word, the index of its token in `tokens`.
    var wordTokens: [Int]
    /// The sentence as read from CoNLL-U input, written back with the prediction filled in.
    var conllu: CoNLLUSentence?

    /// A sentence from tokens of `text`.
    init(text: String, tokens: [Token], conllu: CoNLLUSentence? = nil) {
        self.text = text
        self.tokens = tokens
        self.conllu = conllu
        words = []
        wordTokens = []
        words.reserveCapacity(tokens.count)
        wordTokens.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            for word in token.syntacticWords {
                words.append(word)
                wordTokens.append(index)
            }
        }
    }

    /// A sentence given as tokens only: its text is the tokens joined by single spaces.
    init(tokens forms: [String]) {
        var text = ""
        var tokens: [Token] = []
        tokens.reserveCapacity(forms.count)
        var scalar = 0
        var byte = 0
        for (k, form) in forms.enumerated() {
            if k > 0 {
                text += " "
                scalar += 1
                byte += 1
            }
            let scalars = form.unicodeScalars.count
            let bytes = form.utf8.count
            tokens.append(
                Token(
                    text: form, scalarRange: scalar..<(scalar + scalars),
                    utf8Range: byte..<(byte + bytes)))
            text += form
            scalar += scalars
            byte += bytes
        }
        self.init(text: text, tokens: tokens)
    }

    /// A CoNLL-U sentence: its gold surface tokens over the text rebuilt from them (FORM and
    /// `SpaceAfter`), and its syntactic words as written.
    init(conllu sentence: CoNLLUSentence) {
        var text = ""
        var tokens: [Token] = []
        var scalar = 0
        var byte = 0
        let surface = sentence.tokens
        for (k, token) in surface.enumerated() {
            let scalars = token.form.unicodeScalars.count
            let bytes = token.form.utf8.count
            let words = token.isMultiword ? sentence.words[token.wordIndices].map(\.form) : []
            tokens.append(
                Token(
                    text: token.form, scalarRange: scalar..<(scalar + scalars),
                    utf8Range: byte..<(byte + bytes), words: words, spaceAfter: token.spaceAfter))
            text += token.form
            scalar += scalars
            byte += bytes
            if k < surface.count - 1 {
                text += token.spacesAfter
                scalar += token.spacesAfter.unicodeScalars.count
                byte += token.spacesAfter.utf8.count
            }
        }
        // The words of multiword tokens come from the file, so the model tags the syntactic
        // words exactly as written.
        self.init(text: text, tokens: tokens, conllu: sentence)
    }

    /// A sentence of `paragraph` given as a slice of its tokens, with ranges rebased to the
    /// sentence's own text (from its first token to its last).
    init(paragraph: String, tokens: ArraySlice<Token>) {
        guard let first = tokens.first, let last = tokens.last else {
            self.init(text: "", tokens: [])
            return
        }
        let start = first.stringRange(in: paragraph).lowerBound
        let end = last.stringRange(in: paragraph).upperBound
        let scalarBase = first.scalarRange.lowerBound
        let byteBase = first.utf8Range.lowerBound
        let rebased = tokens.map { token -> Token in
            var token = token
            let scalars = token.scalarRange
            let bytes = token.utf8Range
            token.scalarRange =
                (scalars.lowerBound - scalarBase)..<(scalars.upperBound - scalarBase)
            token.utf8Range = (bytes.lowerBound - byteBase)..<(bytes.upperBound - byteBase)
            return token
        }
        self.init(text: String(paragraph[start..<end]), tokens: rebased)
    }
}

/// Reads `tagger tag`'s input one sentence at a time (called on the prefetching thread).
final class SentenceSource {
    private let lines: LineReader
    private let format: TagInputFormat
    private let tokenizer: Tokenizer
    private let segmenter: SentenceSegmenter?
    private var conllu: CoNLLUReader?
    private var pending: [InputSentence] = []
    private var pendingIndex = 0
    private var paragraphs = ParagraphBuffer()
    private var readyParagraphs: [String] = []
    private var atEnd = false

    /// A source over `lines`; with a `segmenter`, text input is running text whose
    /// paragraphs (separated by blank lines) are split into sentences.
    init(
        lines: LineReader, format: TagInputFormat, tokenizer: Tokenizer,
        segmenter: SentenceSegmenter?
    ) {
        self.lines = lines
        self.format = format
        self.tokenizer = tokenizer
        self.segmenter = segmenter
        if format == .conllu { conllu = CoNLLUReader(lines: lines) }
    }

    /// Whether the input started with a byte order mark (known once reading has begun).
    var hadByteOrderMark: Bool { lines.hadByteOrderMark }

    /// The next sentence, or `nil` at the end of the input. In line mode a blank line gives
    /// a sentence without tokens, so that outputs can keep one line per input line.
    func next() throws -> InputSentence? {
        switch format {
        case .conllu:
            do {
                guard let sentence = try conllu?.next() else { return nil }
                return InputSentence(conllu: sentence)
            } catch CorpusError.emptyCorpus {
                return nil
            }
        case .tokens:
            var forms: [String] = []
            while let line = try lines.next() {
                let form = Self.firstColumn(line.text)
                if form.isEmpty {
                    if forms.isEmpty { continue }
                    break
                }
                guard forms.count < InputLimits.tokensPerLine else {
                    throw TooManyTokens(
                        source: lines.name, line: line.number, byteOffset: line.byteOffset)
                }
                forms.append(form)
            }
            return forms.isEmpty ? nil : InputSentence(tokens: forms)
        case .text:
            guard let segmenter else {
                guard let line = try lines.next() else { return nil }
                let text = line.text
                return InputSentence(
                    text: text,
                    tokens: try tokenizer.boundedTokens(of: line, text: text, source: lines.name))
            }
            return try nextRunningTextSentence(segmenter)
        }
    }

    /// The first column of a token line: up to the first tab, or, in a line without tabs,
    /// up to the first space (CoNLL-2003 style); surrounding white space is ignored.
    static func firstColumn(_ line: String) -> String {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if let tab = trimmed.firstIndex(of: "\t") {
            return String(trimmed[..<tab]).trimmingCharacters(in: .whitespaces)
        }
        if let space = trimmed.firstIndex(of: " ") { return String(trimmed[..<space]) }
        return trimmed
    }

    private func nextRunningTextSentence(_ segmenter: SentenceSegmenter) throws -> InputSentence? {
        while true {
            if pendingIndex < pending.count {
                defer { pendingIndex += 1 }
                return pending[pendingIndex]
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if atEnd { return nil }
            // Gather the next paragraph: lines up to a blank (or white-space-only) line, in
            // pieces of at most `InputLimits.paragraphBytes` (see `ParagraphBuffer`).
            while readyParagraphs.isEmpty, let line = try lines.next() {
                readyParagraphs = paragraphs.add(line.text)
            }
            if readyParagraphs.isEmpty, let last = paragraphs.finish() {
                readyParagraphs = [last]
            }
            guard !readyParagraphs.isEmpty else {
                atEnd = true
                return nil
            }
            let paragraph = readyParagraphs.removeFirst()
            let tokens = tokenizer.tokenize(paragraph)
            for range in segmenter.sentences(of: tokens, in: paragraph) where !range.isEmpty {
                pending.append(InputSentence(paragraph: paragraph, tokens: tokens[range]))
            }
        }
    }
}
