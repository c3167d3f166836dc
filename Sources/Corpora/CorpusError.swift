import Foundation
import Text

/// A malformed or unreadable corpus file. Every case names the file, and
/// every case about a line names its 1-based line number.
public enum CorpusError: Error, Hashable, Sendable {
    /// A line that does not follow the format.
    case malformedLine(file: String, line: Int, reason: Reason)
    /// Ill-formed UTF-8; `byteOffset` is from the start of the file.
    case invalidUTF8(file: String, line: Int, byteOffset: Int, detail: String)
    /// A line longer than the reader's limit.
    case lineTooLong(file: String, line: Int, limit: Int)
    /// The file holds no sentences (or no examples).
    case emptyCorpus(file: String)
    /// The file cannot be opened or read.
    case unreadable(file: String, reason: String)

    /// What is wrong with a malformed line.
    public enum Reason: Hashable, Sendable {
        /// The line has `found` columns where `expected` were required.
        case wrongColumnCount(expected: Int, found: Int)
        /// A column is empty (CoNLL-U uses `_` for an empty value).
        case emptyField(column: String)
        /// An ID (or index) that is not a well-formed number, range or decimal.
        case invalidID(String)
        /// A well-formed ID in the wrong place, e.g. non-increasing or skipping.
        case unexpectedID(expected: String, found: String)
        /// A multiword token range that is malformed or not followed by its words.
        case badMultiwordRange(range: String, problem: String)
        /// A comment line after the word lines of a sentence.
        case commentInsideSentence
        /// A sentence with comment lines but no word lines.
        case sentenceWithoutWords
        /// A document-start line (e.g. `-DOCSTART-`) in the middle of a sentence.
        case documentStartInsideSentence
        /// A line of only spaces and tabs, which is neither blank nor data.
        case whitespaceOnlyLine
        /// A blank line where every line must be data (sentiment files).
        case blankLine
        /// A sentiment line without a label, or without text after it.
        case missingLabel
        /// A sentiment line without text after its label.
        case missingText
        /// A label outside the allowed set.
        case unknownLabel(String, allowed: [String])
        /// A tag sequence that the strict tag scheme rejects.
        case invalidTag(String)
        /// A sentence (a block of non-blank lines) longer than the readers accept.
        case sentenceTooLong(lines: Int, bytes: Int)

        /// A short English description of the problem.
        public var description: String {
            switch self {
            case .wrongColumnCount(let expected, let found):
                return "expected \(expected) columns, found \(found)"
            case .emptyField(let column): return "empty \(column) column"
            case .invalidID(let text): return "invalid ID '\(text)'"
            case .unexpectedID(let expected, let found):
                return "expected ID \(expected), found \(found)"
            case .badMultiwordRange(let range, let problem):
                return "multiword token \(range): \(problem)"
            case .commentInsideSentence: return "comment line after the word lines of a sentence"
            case .sentenceWithoutWords: return "sentence has comment lines but no word lines"
            case .documentStartInsideSentence: return "document start line inside a sentence"
            case .whitespaceOnlyLine: return "line holds only spaces or tabs"
            case .blankLine: return "blank line"
            case .missingLabel: return "missing label"
            case .missingText: return "missing text after the label"
            case .unknownLabel(let label, let allowed):
                return "unknown label '\(label)' (allowed: \(allowed.joined(separator: ", ")))"
            case .invalidTag(let detail): return detail
            case .sentenceTooLong(let lines, let bytes):
                return
                    "the sentence starting here is longer than \(lines) lines or \(bytes / (1 << 20)) MiB; split it into sentences separated by blank lines"
            }
        }
    }

    /// The file the error is about.
    public var file: String {
        switch self {
        case .malformedLine(let file, _, _), .invalidUTF8(let file, _, _, _),
            .lineTooLong(let file, _, _),
            .emptyCorpus(let file), .unreadable(let file, _):
            return file
        }
    }

    /// The 1-based line the error is about, if it is about one line.
    public var line: Int? {
        switch self {
        case .malformedLine(_, let line, _), .invalidUTF8(_, let line, _, _),
            .lineTooLong(_, let line, _):
            return line
        case .emptyCorpus, .unreadable: return nil
        }
    }

    /// Converts a line reader error into a corpus error.
    init(_ error: TextInputError) {
        switch error {
        case .cannotOpen(let path, let reason): self = .unreadable(file: path, reason: reason)
        case .readFailed(let source, let reason): self = .unreadable(file: source, reason: reason)
        case .invalidUTF8(let source, let line, let offset, _, _):
            self = .invalidUTF8(
                file: source, line: line, byteOffset: offset,
                detail: error.errorDescription ?? "invalid UTF-8")
        case .lineTooLong(let source, let line, _, let limit):
            self = .lineTooLong(file: source, line: line, limit: limit)
        }
    }
}

extension CorpusError: LocalizedError {
    /// A one-line description, `file:line: reason`.
    public var errorDescription: String? {
        switch self {
        case .malformedLine(let file, let line, let reason):
            return "\(file):\(line): \(reason.description)"
        case .invalidUTF8(_, _, _, let detail): return detail
        case .lineTooLong(let file, let line, let limit):
            return "\(file):\(line): line longer than \(limit) bytes; is this a text file?"
        case .emptyCorpus(let file):
            return "\(file): no sentences found; is this the right file and format?"
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        }
    }
}
