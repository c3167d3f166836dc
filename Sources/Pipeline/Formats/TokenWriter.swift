import Text
import Tokenization

/// Writes sentences as CoNLL-U or as space-separated tokens.
public struct TokenWriter {
    /// The output formats of tokenized text.
    public enum Format: String, CaseIterable, Sendable {
        /// CoNLL-U with `# sent_id` and `# text`, multiword token lines, `SpaceAfter=No` and a
        /// placeholder tree, so UD's evaluation script can score it.
        case conllu
        /// One sentence a line, tokens separated by spaces.
        case tokens
    }

    /// The format.
    public let format: Format
    /// The destination.
    public let writer: ByteWriter
    private var sentenceNumber = 0
    private var firstToken = true

    /// A writer of `format` to `writer`.
    public init(format: Format, writer: ByteWriter) {
        self.format = format
        self.writer = writer
    }

    /// Writes one sentence given as its tokens, which come from `text`.
    public mutating func write<C: BidirectionalCollection>(_ tokens: C, in text: String) throws
    where C.Element == Token {
        guard let first = tokens.first, let last = tokens.last else { return }
        let range = first.stringRange(in: text).lowerBound..<last.stringRange(in: text).upperBound
        try begin(text[range])
        var id = 1
        for token in tokens { try writeToken(token, id: &id) }
        try end()
    }

    /// Writes one input line as one sentence, tokenizing it as it goes (memory stays flat
    /// whatever the line's length); a blank line gives nothing. The period of a final
    /// abbreviation is a token of its own, as in ``Document/init(line:tokens:)``.
    public mutating func writeLine(_ line: String, tokenizer: Tokenizer) throws {
        let scalars = line.unicodeScalars
        guard let from = scalars.firstIndex(where: { ScalarClass.of($0.value) != .space }),
            let to = scalars.lastIndex(where: { ScalarClass.of($0.value) != .space })
        else { return }
        try begin(line[from...to])
        var id = 1
        var previous: Token? = nil
        try tokenizer.forEachToken(in: line) { token in
            if let previous { try writeToken(previous, id: &id) }
            previous = token
        }
        if let previous {
            for token in Tokenizer.separatingFinalPeriods([previous], sentences: [0..<1]).tokens {
                try writeToken(token, id: &id)
            }
        }
        try end()
    }

    private mutating func begin(_ text: Substring) throws {
        sentenceNumber += 1
        firstToken = true
        if format == .conllu {
            try writer.write("# sent_id = \(sentenceNumber)\n# text = ")
            if text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                try writer.write(
                    String(text).split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(
                        separator: " "))
            } else {
                try writer.write(text.utf8)
            }
            try writer.write("\n")
        }
    }

    private mutating func writeToken(_ token: Token, id: inout Int) throws {
        switch format {
        case .tokens:
            try writer.write(firstToken ? token.text : " " + token.text)
        case .conllu:
            let misc = token.spaceAfter ? "_" : "SpaceAfter=No"
            if token.isMultiword {
                var lines =
                    "\(id)-\(id + token.words.count - 1)\t\(token.text)\t_\t_\t_\t_\t_\t_\t_\t\(misc)\n"
                for word in token.words {
                    lines += Self.wordLine(id, word, "_")
                    id += 1
                }
                try writer.write(lines)
            } else {
                try writer.write(Self.wordLine(id, token.text, misc))
                id += 1
            }
        }
        firstToken = false
    }

    private func end() throws { try writer.write("\n") }

    private static func wordLine(_ id: Int, _ form: String, _ misc: String) -> String {
        "\(id)\t\(form)\t_\t_\t_\t_\t\(id == 1 ? 0 : 1)\t\(id == 1 ? "root" : "dep")\t_\t\(misc)\n"
    }
}
