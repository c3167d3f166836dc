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

    /// A message that says what went wrong and what to do next.
    public var errorDescription: String? {
        switch self {
        case .malformedLexicon(let line, let reason):
            return
                "tokenizer lexicon, line \(line): \(reason); retrain it with `tagger train --task tokenize`"
        case .unsupportedLexiconFormat(let found, let supported):
            return
                "tokenizer lexicon format \"\(found)\" is not supported (expected \"\(supported)\"); retrain it with `tagger train --task tokenize`"
        case .missingBundledLexicon(let name):
            return
                "the bundled tokenizer lexicon \(name) is missing from the Text module's resources; rebuild the package"
        }
    }
}
