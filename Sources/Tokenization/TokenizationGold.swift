import Corpora
import Foundation
import Text

/// A surface token of a gold CoNLL-U sentence as tokenization is scored and learned on it.
public struct SurfaceToken: Hashable, Sendable {
    /// The surface form (the range line's form for a multiword token).
    public var form: String
    /// The forms of a multiword token's syntactic words; empty for a single word.
    public var words: [String]
    /// Whether a space follows the token (`SpaceAfter=No` absent).
    public var spaceAfter: Bool

    /// A surface token.
    public init(form: String, words: [String] = [], spaceAfter: Bool = true) {
        self.form = form
        self.words = words
        self.spaceAfter = spaceAfter
    }
}

extension CoNLLUSentence {
    /// The raw text: the `# text =` comment, or the text rebuilt from the forms and
    /// `SpaceAfter=No` when the comment is missing.
    public var rawText: String { text ?? reconstructedText }

    /// Whether a `# newdoc` comment (with or without an id) starts a new document here.
    public var startsDocument: Bool { hasComment("newdoc") }

    /// Whether a `# newpar` comment starts a new paragraph here (a new document also
    /// starts one).
    public var startsParagraph: Bool { startsDocument || hasComment("newpar") }

    /// Whether a comment line starts with `keyword` after its `#` and spaces.
    private func hasComment(_ keyword: String) -> Bool {
        comments.contains { line in line.drop { $0 == "#" || $0 == " " }.hasPrefix(keyword) }
    }

    /// The surface tokens with the forms of their words, for tokenization scoring and learning.
    public var surfaceTokens: [SurfaceToken] {
        tokens.map { token in
            SurfaceToken(
                form: token.form,
                words: token.isMultiword ? words[token.wordIndices].map(\.form) : [],
                spaceAfter: token.spaceAfter)
        }
    }

    /// Groups `sentences` into documents at each `# newdoc` (the first sentence always
    /// starts one).
    public static func documents(_ sentences: [CoNLLUSentence]) -> [[CoNLLUSentence]] {
        var documents: [[CoNLLUSentence]] = []
        for sentence in sentences {
            if sentence.startsDocument || documents.isEmpty { documents.append([]) }
            documents[documents.count - 1].append(sentence)
        }
        return documents
    }

    /// Each document's sentence texts joined with single spaces, with the scalar offsets
    /// (in the joined text) where each sentence ends: the running-text view of a treebank.
    public static func runningTexts(_ sentences: [CoNLLUSentence]) -> [(
        text: String, sentenceEnds: [Int]
    )] {
        runningTexts(sentences, layout: .spaces)
    }

    /// Each document's running text in `layout`, with the scalar offsets (in that text)
    /// where each sentence ends.
    public static func runningTexts(_ sentences: [CoNLLUSentence], layout: RunningTextLayout)
        -> [(text: String, sentenceEnds: [Int])]
    {
        documents(sentences).map { document in
            var text: [Unicode.Scalar] = []
            var ends: [Int] = []
            var lineStart = 0
            for (k, sentence) in document.enumerated() {
                if k > 0 {
                    if layout == .paragraphs && sentence.startsParagraph {
                        text += ["\n", "\n"]
                        lineStart = text.count
                    } else if layout == .paragraphLines && sentence.startsParagraph {
                        text.append("\n")
                    } else {
                        text.append(" ")
                    }
                }
                text += sentence.rawText.unicodeScalars
                ends.append(text.count)
                if layout == .paragraphs {
                    wrap(&text, from: &lineStart)
                }
            }
            return (String(String.UnicodeScalarView(text)), ends)
        }
    }

    /// Replaces spaces after `lineStart` by line breaks so that no line is longer than
    /// `RunningTextLayout.lineLength` scalars, except a line holding one longer word.
    private static func wrap(_ text: inout [Unicode.Scalar], from lineStart: inout Int) {
        let limit = RunningTextLayout.lineLength
        while text.count - lineStart > limit {
            // The last space that keeps the line within the limit, else the first space.
            var cut: Int? = nil
            var i = lineStart
            while i < text.count && (i - lineStart <= limit || cut == nil) {
                if text[i] == " " { cut = i }
                i += 1
            }
            guard let at = cut else { return }
            text[at] = "\n"
            lineStart = at + 1
        }
    }
}

/// How the sentences of a gold document are laid out as raw text for running-text
/// tokenization and sentence splitting: the layouts of plain text that users have.
public enum RunningTextLayout: String, CaseIterable, Sendable {
    /// All of a document's sentences joined with single spaces: no line breaks at all.
    case spaces
    /// The raw text files of the CoNLL 2018 shared task (made by UD's `conllu_to_text.pl`):
    /// paragraphs (`# newpar`) separated by a blank line, sentences within a paragraph by a
    /// space, and lines wrapped at spaces after at most 80 characters. (That file is one
    /// text: documents are separated by a blank line too.)
    case paragraphs
    /// One document a line: each document's sentences joined with single spaces, a line
    /// break after each document. (That file is one text.)
    case lines
    /// One paragraph a line: each paragraph's sentences (`# newpar`) joined with single
    /// spaces, a line break after each paragraph and document, no blank lines, as text from a
    /// word processor or a web page has. (That file is one text.)
    case paragraphLines = "paragraph-lines"

    /// The longest line of the `paragraphs` layout (longer only for a single long word).
    public static let lineLength = 80
}
