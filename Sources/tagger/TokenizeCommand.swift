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
            text: sentences are found by the neural splitter (models/sentence-en.model, or \
            --sentence-model) or, with --splitter perceptron, by the tokenizer lexicon's averaged \
            perceptron; a blank line always ends a sentence.
            CoNLL-U output has multiword token lines, SpaceAfter=No and # text comments, so UD's \
            evaluation script can score it.
            """)

    @Option(
        help: "Output format: conllu or tokens (one sentence a line, tokens separated by spaces).")
    var format: TokenizeFormat = .conllu

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

    func run() throws {
        let tokenizer = try loadTokenizer(lexicon)
        let reader = LineReader.standardInput(
            options: LineReader.Options(replaceInvalid: replaceInvalid))
        let writer = ByteWriter.standardOutput()
        var output = TokenOutput(format: format, writer: writer)
        if splitSentences {
            let segmenter = try segmentation.load(tokenizer: tokenizer)
            let splitter = SentenceSplitter(lexicon: tokenizer.lexicon)
            // The neural splitter reads whole paragraphs (up to a blank line, or pieces of
            // `InputLimits.paragraphBytes`), several at a time so that their windows share
            // batches; at most `pendingLimit` bytes wait.
            var pending: [String] = []
            var pendingBytes = 0
            let pendingLimit = 16384
            func writePending() throws {
                guard !pending.isEmpty else { return }
                for document in tokenizer.documents(pending, segmenter: segmenter) {
                    for range in document.sentences {
                        try output.write(Array(document.tokens[range]), in: document.text)
                    }
                }
                pending = []
                pendingBytes = 0
            }
            func flush(_ paragraph: String) throws {
                if segmenter is NeuralSentenceSplitter {
                    pending.append(paragraph)
                    pendingBytes += paragraph.utf8.count
                    if pendingBytes >= pendingLimit { try writePending() }
                } else {
                    var stream = SentenceStream(splitter: splitter, text: paragraph)
                    try tokenizer.forEachToken(in: paragraph) { token in
                        for sentence in stream.add(token) {
                            try output.write(sentence, in: paragraph)
                        }
                    }
                    for sentence in stream.finish() { try output.write(sentence, in: paragraph) }
                }
            }
            var paragraphs = ParagraphBuffer()
            while let line = try reader.next() {
                for paragraph in paragraphs.add(line.text) { try flush(paragraph) }
            }
            if let last = paragraphs.finish() { try flush(last) }
            try writePending()
        } else {
            while let line = try reader.next() {
                try output.writeLine(line.text, tokenizer: tokenizer)
            }
        }
        try writer.close()
    }
}

/// The sentence splitters of `--split-sentences`.
enum SplitterKind: String, ExpressibleByArgument, CaseIterable {
    /// The BiLSTM boundary model (``NeuralSentenceSplitter``).
    case neural
    /// The tokenizer lexicon's averaged perceptron (``SentenceSplitter``).
    case perceptron
}

/// The options that choose the sentence splitter for running text.
struct SegmentationOptions: ParsableArguments {
    @Option(help: "Sentence splitter for running text: neural or perceptron.")
    var splitter: SplitterKind = .neural

    @Option(
        help:
            "A sentence model trained by `tagger train --task sentences` (default: models/sentence-en.model, found via $TAGGER_MODELS, ./models or the directories above the executable)."
    )
    var sentenceModel: String?

    /// The chosen splitter; without --sentence-model and no shipped model found, the
    /// perceptron with a note on standard error.
    func load(tokenizer: Tokenizer) throws -> SentenceSegmenter {
        let perceptron = SentenceSplitter(lexicon: tokenizer.lexicon)
        guard splitter == .neural else { return perceptron }
        if let sentenceModel { return try NeuralSentenceSplitter(contentsOf: sentenceModel) }
        let candidates = NeuralSentenceSplitter.defaultModelCandidates(
            executable: CommandLine.arguments[0])
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return try NeuralSentenceSplitter(contentsOf: found)
        }
        var err = StandardError()
        print(
            "note: no \(NeuralSentenceSplitter.defaultModelName) found (set TAGGER_MODELS or pass --sentence-model); using the perceptron splitter",
            to: &err)
        return perceptron
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
    var firstToken = true

    /// Writes one sentence given as its tokens, which come from `text`.
    mutating func write(_ tokens: [Token], in text: String) throws {
        guard let first = tokens.first, let last = tokens.last else { return }
        let range = first.stringRange(in: text).lowerBound..<last.stringRange(in: text).upperBound
        try begin(text[range])
        var id = 1
        for token in tokens { try writeToken(token, id: &id) }
        try end()
    }

    /// Writes one input line as one sentence, streaming its tokens.
    mutating func writeLine(_ line: String, tokenizer: Tokenizer) throws {
        let scalars = line.unicodeScalars
        guard let from = scalars.firstIndex(where: { ScalarClass.of($0.value) != .space }),
            let to = scalars.lastIndex(where: { ScalarClass.of($0.value) != .space })
        else { return }
        try begin(line[from...to])
        var id = 1
        try tokenizer.forEachToken(in: line) { try writeToken($0, id: &id) }
        try end()
    }

    mutating func begin(_ text: Substring) throws {
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

    mutating func writeToken(_ token: Token, id: inout Int) throws {
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

    func end() throws { try writer.write("\n") }

    static func wordLine(_ id: Int, _ form: String, _ misc: String) -> String {
        "\(id)\t\(form)\t_\t_\t_\t_\t\(id == 1 ? 0 : 1)\t\(id == 1 ? "root" : "dep")\t_\t\(misc)\n"
    }
}
