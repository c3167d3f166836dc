import ArgumentParser
import Foundation
import Pipeline
import Tagging
import Text

/// `tagger tokenize`: raw UTF-8 text on stdin → tokens on stdout.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize UTF-8 text from standard input (UD English EWT conventions).",
        discussion: """
            By default each input line is one sentence. With --split-sentences the input is running \
            text: sentences are found by the neural splitter (models/sentence-en.model, or \
            --sentence-model) or, with --splitter perceptron, by the tokenizer lexicon's averaged \
            perceptron; a blank line always ends a sentence.
            CoNLL-U output has multiword token lines, SpaceAfter=No and # text comments, so UD's \
            evaluation script can score it.
            """)

    @Option(
        help: "Output format: conllu or tokens (one sentence a line, tokens separated by spaces).")
    var format: TokenWriter.Format = .conllu

    @Flag(help: "Treat the input as running text and split it into sentences.")
    var splitSentences = false

    @Flag(help: "Replace invalid UTF-8 by U+FFFD instead of stopping with an error.")
    var replaceInvalid = false

    @Option(
        help:
            "A tokenizer lexicon trained by `tagger train --task tokenize` (default: the bundled English one)."
    )
    var lexicon: String?

    @OptionGroup var segmentation: SegmentationOptions

    @OptionGroup var stray: StrayFileArgument

    func run() throws {
        let tokenizer = try loadTokenizer(lexicon)
        let lines = LineReader.standardInput(
            options: LineReader.Options(replaceInvalid: replaceInvalid))
        let writer = ByteWriter.standardOutput()
        var output = TokenWriter(format: format, writer: writer)
        if splitSentences {
            let reader = DocumentReader(
                lines: lines, format: .text, layout: .runningText, tokenizer: tokenizer,
                segmenter: try segmentation.load(tokenizer: tokenizer))
            while let input = try reader.next() {
                let document = input.document
                for range in document.sentences {
                    try output.write(document.tokens[range], in: document.text)
                }
            }
        } else {
            while let line = try lines.next() {
                try output.writeLine(line.text, tokenizer: tokenizer)
            }
        }
        try writer.close()
    }
}
