import Foundation
import Text

/// One gold token of a treebank sentence: its form and, for a multiword token, its words.
public struct GoldToken: Hashable, Sendable {
    /// The surface form (the range line's form for a multiword token).
    public var form: String
    /// The syntactic words of a multiword token; empty for a single word.
    public var words: [String]
    /// Whether the MISC column did not say `SpaceAfter=No`.
    public var spaceAfter: Bool

    /// A gold token.
    public init(form: String, words: [String] = [], spaceAfter: Bool = true) {
        self.form = form
        self.words = words
        self.spaceAfter = spaceAfter
    }
}

/// The parts of a CoNLL-U sentence that tokenization is scored on.
public struct GoldSentence: Hashable, Sendable {
    /// The `# text =` comment (rebuilt from forms and `SpaceAfter=No` when missing).
    public var text: String
    /// Whether a `# newdoc` comment starts a new document at this sentence.
    public var startsDocument: Bool
    /// The tokens in order.
    public var tokens: [GoldToken]

    /// A gold sentence.
    public init(text: String, startsDocument: Bool, tokens: [GoldToken]) {
        self.text = text
        self.startsDocument = startsDocument
        self.tokens = tokens
    }
}

/// A CoNLL-U file that cannot be used as tokenization gold.
public enum TokenizationGoldError: LocalizedError, Equatable {
    /// A token line without ten tab-separated columns, or a multiword range without its words.
    case malformedLine(file: String, line: Int, reason: String)

    /// A message naming the file and line.
    public var errorDescription: String? {
        switch self {
        case .malformedLine(let file, let line, let reason):
            return "\(file):\(line): \(reason); is this a CoNLL-U file?"
        }
    }
}

extension GoldSentence {
    /// Reads the sentences of a CoNLL-U file for scoring or learning tokenization.
    public static func read(conllu path: String) throws -> [GoldSentence] {
        let reader = try LineReader(path: path)
        var sentences: [GoldSentence] = []
        var text: String? = nil
        var newDoc = false
        var tokens: [GoldToken] = []
        var rangeEnd = 0
        func finish() {
            if !tokens.isEmpty {
                let rebuilt = tokens.map { $0.form + ($0.spaceAfter ? " " : "") }.joined()
                sentences.append(
                    GoldSentence(
                        text: text ?? String(rebuilt.trimmingCharacters(in: .whitespaces)),
                        startsDocument: newDoc || sentences.isEmpty,
                        tokens: tokens))
            }
            text = nil
            newDoc = false
            tokens = []
            rangeEnd = 0
        }
        while let line = try reader.next() {
            let s = line.text
            if s.isEmpty {
                finish()
                continue
            }
            if s.hasPrefix("#") {
                if s.hasPrefix("# text = ") {
                    text = String(s.dropFirst(9))
                } else if s.hasPrefix("# newdoc") {
                    newDoc = true
                }
                continue
            }
            let columns = s.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 10 else {
                throw TokenizationGoldError.malformedLine(
                    file: path, line: line.number,
                    reason: "expected 10 tab-separated columns, found \(columns.count)")
            }
            let id = columns[0]
            if id.contains(".") { continue }
            let space = !columns[9].split(separator: "|").contains("SpaceAfter=No")
            if let dash = id.firstIndex(of: "-") {
                guard let end = Int(id[id.index(after: dash)...]) else {
                    throw TokenizationGoldError.malformedLine(
                        file: path, line: line.number, reason: "bad multiword range \(id)")
                }
                rangeEnd = end
                tokens.append(GoldToken(form: String(columns[1]), words: [], spaceAfter: space))
                continue
            }
            guard let index = Int(id) else {
                throw TokenizationGoldError.malformedLine(
                    file: path, line: line.number, reason: "bad word ID \(id)")
            }
            if index <= rangeEnd, !tokens.isEmpty {
                tokens[tokens.count - 1].words.append(String(columns[1]))
            } else {
                tokens.append(GoldToken(form: String(columns[1]), spaceAfter: space))
            }
        }
        finish()
        return sentences
    }

    /// Groups sentences into documents at each `# newdoc`.
    public static func documents(_ sentences: [GoldSentence]) -> [[GoldSentence]] {
        var documents: [[GoldSentence]] = []
        for sentence in sentences {
            if sentence.startsDocument || documents.isEmpty { documents.append([]) }
            documents[documents.count - 1].append(sentence)
        }
        return documents
    }
}
