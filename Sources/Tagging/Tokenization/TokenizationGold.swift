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
    public var startsDocument: Bool {
        comments.contains { line in
            line.drop { $0 == "#" || $0 == " " }.hasPrefix("newdoc")
        }
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
        documents(sentences).map { document in
            var ends: [Int] = []
            var offset = 0
            for s in document {
                offset += s.rawText.unicodeScalars.count
                ends.append(offset)
                offset += 1
            }
            return (document.map(\.rawText).joined(separator: " "), ends)
        }
    }
}
