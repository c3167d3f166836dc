import Foundation

/// Bounds on what a training run accepts, so that memory stays proportional to a batch of
/// ordinary sentences: a training sentence is held whole (with every step's activations for
/// the backward pass), so a single 1-million-token sentence needs gigabytes even with a
/// small network.
public enum TrainingLimits {
    /// The most tokens a training or dev sentence may have: the same bound as a line of text
    /// input (`InputLimits.tokensPerLine` in Pipeline). A longer sentence is almost always
    /// a file whose sentence breaks (blank lines) are missing.
    public static let tokensPerSentence = 100_000
}

/// A training or dev file holds something beyond `TrainingLimits`.
public enum TrainingLimitError: Error, LocalizedError, Equatable, Sendable {
    /// The sentence starting at `line` of `path` has `tokens` tokens, more than `limit`.
    case sentenceTooLong(path: String, line: Int, tokens: Int, limit: Int)

    /// Names the file, the line, the length and the limit, and what to do.
    public var errorDescription: String? {
        switch self {
        case .sentenceTooLong(let path, let line, let tokens, let limit):
            return "\(path):\(line): the sentence has \(tokens) tokens, more than the "
                + "\(limit) a training sentence may have; check that sentences are separated "
                + "by blank lines, or split the sentence."
        }
    }

    /// Throws `sentenceTooLong` for the first of `lengths` (with the `lines` where the
    /// sentences start) above `TrainingLimits.tokensPerSentence`.
    static func check(lengths: [Int], lines: [Int], path: String) throws {
        let limit = TrainingLimits.tokensPerSentence
        if let i = lengths.firstIndex(where: { $0 > limit }) {
            throw sentenceTooLong(path: path, line: lines[i], tokens: lengths[i], limit: limit)
        }
    }
}
