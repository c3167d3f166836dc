import Foundation
import Text

/// Errors a user can cause when loading tokenizer data or feeding text to the tokenizer.
public enum TokenizerError: LocalizedError, Equatable, Sendable {
    /// A line of a tokenizer lexicon file could not be read.
    case malformedLexicon(line: Int, reason: String)
    /// The lexicon file's header names a format this version cannot read.
    case unsupportedLexiconFormat(found: String, supported: String)
    /// The bundled English lexicon could not be found next to the library.
    case missingBundledLexicon(name: String)
    /// A lexicon file cannot be opened or read.
    case cannotReadLexicon(path: String, reason: String)
    /// A lexicon file is larger than `limit` bytes.
    case lexiconTooLarge(path: String, limit: Int)

    /// A message that says what went wrong and what to do next.
    public var errorDescription: String? {
        switch self {
        case .malformedLexicon(let line, let reason):
            return
                "tokenizer lexicon, line \(line): \(reason); retrain it with `tagger train --task tokenize`"
        case .unsupportedLexiconFormat(let found, let supported):
            let what =
                found.isEmpty
                ? "the tokenizer lexicon has no format line"
                : "tokenizer lexicon format \(found.quotedForMessage) is not supported"
            return
                "\(what) (expected \"\(supported)\" on the first line); retrain it with `tagger train --task tokenize`"
        case .missingBundledLexicon(let name):
            return
                "the bundled tokenizer lexicon \(name) is missing from the Text module's resources; rebuild the package"
        case .cannotReadLexicon(let path, let reason):
            return "\(path): cannot read the tokenizer lexicon: \(reason); check --lexicon"
        case .lexiconTooLarge(let path, let limit):
            return
                "\(path): the tokenizer lexicon is larger than \(limit) bytes (64 MiB); it is not a lexicon of this toolkit"
        }
    }
}
