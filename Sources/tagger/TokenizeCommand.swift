import ArgumentParser
import Foundation
import Tagging
import Text

/// The output formats of `tagger tokenize`.
enum TokenizeFormat: String, ExpressibleByArgument, CaseIterable {
    case conllu
    case tokens
}

/// `tagger tokenize`: raw UTF-8 text on stdin → tokens on stdout.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize UTF-8 text from standard input (UD English EWT conventions).",
        discussion: """
            By default each input line is one sentence. With --split-sentences the input is running \
            text: sentences are found by the learned splitter and a blank line always ends one.
            CoNLL-U output has multiword token lines, SpaceAfter=No and # text comments, so UD's \
            evaluation script can score it.
            """)

    @Option(help: "Output format: conllu or tokens (one sentence a line, tokens separated by spaces).")
    var format: TokenizeFormat = .conllu

    @Flag(help: "Treat the input as running text and split it into sentences.")
    var splitSentences = false

    @Flag(help: "Replace invalid UTF-8 by U+FFFD instead of stopping with an error.")
    var replaceInvalid = false

    @Option(help: "A tokenizer lexicon trained by `tagger train --task tokenize` (default: the bundled English one).")
    var lexicon: String?

    func run() throws {
        let tokenizer = try loadTokenizer(lexicon)
        let reader = LineReader.standardInput(options: LineReader.Options(replaceInvalid: replaceInvalid))
        let writer = ByteWriter.standardOutput()
        var output = TokenOutput(format: format, writer: writer)
        if splitSentences {
            var paragraph = ""
            func flush() throws {
                if !paragraph.isEmpty {
                    try output.write(tokenizer.document(paragraph, sentences: .runningText))
                    paragraph = ""
                }
            }
            while let line = try reader.next() {
                let text = line.text
                if text.unicodeScalars.allSatisfy({ ScalarClass.of($0.value) == .space }) {
                    try flush()
                } else {
                    if !paragraph.isEmpty { paragraph += "\n" }
                    paragraph += text
                }
            }
            try flush()
        } else {
            while let line = try reader.next() {
                try output.write(tokenizer.document(line.text, sentences: .whole))
            }
        }
        try writer.close()
    }
}

/// Loads the tokenizer from a lexicon file, or the bundled English one.
func loadTokenizer(_ path: String?) throws -> Tokenizer {
    guard let path else { return Tokenizer(lexicon: try TokenizerLexicon.bundledEnglish()) }
    return Tokenizer(lexicon: try TokenizerLexicon(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes sentences as CoNLL-U or as space-separated tokens.
struct TokenOutput {
    let format: TokenizeFormat
    let writer: ByteWriter
    var sentenceNumber = 0

    mutating func write(_ document: Document) throws {
        for (index, range) in document.sentences.enumerated() {
            sentenceNumber += 1
            let tokens = document.tokens[range]
            switch format {
            case .tokens:
                try writer.write(tokens.map(\.text).joined(separator: " ") + "\n")
            case .conllu:
                let text = document.sentenceText(index).map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" || $0 == "\t" ? " " : $0 }
                var lines = "# sent_id = \(sentenceNumber)\n# text = \(String(text))\n"
                var id = 1
                for (k, token) in tokens.enumerated() {
                    let last = k == tokens.count - 1
                    let misc = token.spaceAfter || last && range.upperBound == document.tokens.count ? "_" : "SpaceAfter=No"
                    let misc2 = token.spaceAfter ? "_" : misc
                    if token.isMultiword {
                        lines += "\(id)-\(id + token.words.count - 1)\t\(token.text)\t_\t_\t_\t_\t_\t_\t_\t\(misc2)\n"
                        for word in token.words {
                            lines += Self.wordLine(id, word, "_")
                            id += 1
                        }
                    } else {
                        lines += Self.wordLine(id, token.text, misc2)
                        id += 1
                    }
                }
                try writer.write(lines + "\n")
            }
        }
    }

    static func wordLine(_ id: Int, _ form: String, _ misc: String) -> String {
        "\(id)\t\(form)\t_\t_\t_\t_\t\(id == 1 ? 0 : 1)\t\(id == 1 ? "root" : "dep")\t_\t\(misc)\n"
    }
}
