import Foundation
import Text
import Tokenization

/// The per-token inputs of the neural sentence-boundary model: the case-folded form, the
/// shape, and a fixed vector of binary features (capitalisation, punctuation class,
/// length bucket, lexicon abbreviation, spacing, position in the text, how punctuated
/// the whole text is, and the score of the averaged-perceptron ``SentenceSplitter`` for the
/// gap after the token, squashed by `tanh(score / 4)`, with its sign). Nothing here depends on line breaks: the model reads running text
/// whose sentences may be joined by single spaces.
public enum BoundaryFeatures {
    /// The number of binary features per token.
    public static let count = 29

    /// The case-folded form used for the word vocabulary (at most 20 scalars).
    public static func key(_ text: String) -> String {
        let f = UnicodeText.caseFold(text)
        return f.unicodeScalars.count > 20 ? String(f.unicodeScalars.prefix(20)) : f
    }

    /// Marks the edges of a text's paragraphs in its feature `matrix` (``count`` per token) as
    /// the text's own start and end: the text-end feature of each token in `paragraphEnds`
    /// (followed by a blank line) and the text-start feature of the token after it.
    public static func markParagraphEdges(_ matrix: inout [Float], paragraphEnds: [Int]) {
        for i in paragraphEnds where (i + 2) * count <= matrix.count {
            matrix[i * count + textEnd] = 1
            matrix[(i + 1) * count + textStart] = 1
        }
    }

    /// The index of the feature set on a text's first token (and, with
    /// ``markParagraphEdges(_:paragraphEnds:)``, a paragraph's).
    public static let textStart = 18
    /// The index of the feature set on a text's last token (or a paragraph's).
    public static let textEnd = 19

    /// The binary features of every token of a text, `count` per token, row after row.
    /// `genre` is ``SentenceSplitter/genre(of:)`` of the text; `perceptron` are the
    /// boundary weights of a ``SentenceSplitter`` (empty: the two score features are zero).
    public static func matrix(
        _ tokens: [Token], abbreviations: Set<String>, genre: String,
        perceptron: [String: Double] = [:]
    ) -> [Float] {
        matrixAndScores(
            tokens, abbreviations: abbreviations, genre: genre, perceptron: perceptron
        ).matrix
    }

    /// ``matrix(_:abbreviations:genre:perceptron:)`` with the perceptron's raw score for the
    /// gap after each token (the sum of the weights of its features; 0 after the last token
    /// or without weights).
    public static func matrixAndScores(
        _ tokens: [Token], abbreviations: Set<String>, genre: String,
        perceptron: [String: Double] = [:]
    ) -> (matrix: [Float], scores: [Double]) {
        var out = [Float](repeating: 0, count: tokens.count * count)
        var scores = [Double](repeating: 0, count: tokens.count)
        let genreIndex: Int
        switch genre {
        case "0": genreIndex = 0
        case "1-3": genreIndex = 1
        case "4-6": genreIndex = 2
        case "7-9": genreIndex = 3
        default: genreIndex = 4
        }
        for (i, token) in tokens.enumerated() {
            let base = i * count
            func set(_ k: Int) { out[base + k] = 1 }
            let scalars = Array(token.text.unicodeScalars)
            var upper = 0
            var lower = 0
            var digits = 0
            var punctuation = 0
            for u in scalars {
                switch ScalarClass.of(u.value) {
                case .upper: upper += 1
                case .lower, .letter: lower += 1
                case .digit, .number: digits += 1
                case .punctuation, .symbol: punctuation += 1
                default: break
                }
            }
            let first = scalars.first.map { ScalarClass.of($0.value) } ?? .other
            let letters = upper + lower
            if first == .upper { set(0) }
            if upper >= 2 && lower == 0 { set(1) }
            if letters > 0 && upper == 0 { set(2) }
            if digits > 0 { set(3) }
            if punctuation == scalars.count { set(4) }
            if scalars.last == "." { set(5) }
            if scalars.contains("!") || scalars.contains("?") { set(6) }
            let text = token.text
            if [")", "]", "}", "\"", "'", "”", "’", "»"].contains(text) { set(7) }
            if ["(", "[", "{", "“", "‘", "«"].contains(text) { set(8) }
            if text == ":" || text == ";" { set(9) }
            if ["-", "--", "–", "—", "*", "•", "·", "+", ">"].contains(text) { set(10) }
            if text.contains("@") || text.contains("://") || text.hasPrefix("www.") { set(11) }
            switch scalars.count {
            case ...1: set(12)
            case 2...3: set(13)
            case 4...7: set(14)
            default: set(15)
            }
            if abbreviations.contains(text) { set(16) }
            if !token.spaceAfter { set(17) }
            if i == 0 { set(textStart) }
            if i == tokens.count - 1 { set(textEnd) }
            set(20 + genreIndex)
            if letters > 0 && digits == 0 && punctuation == 0 && first == .upper && upper == 1 {
                set(25)
            }
            if scalars.contains(where: { ScalarClass.of($0.value) == .emoji })
                || text.count >= 2
                    && punctuation == scalars.count && (text.contains(":") || text.contains(";"))
            {
                set(26)
            }
            if !perceptron.isEmpty && i + 1 < tokens.count {
                var score = 0.0
                for f in SentenceSplitter.features(tokens, after: i, sentenceStart: 0, genre: genre)
                {
                    score += perceptron[f] ?? 0
                }
                out[base + 27] = Float(tanh(score / 4))
                if score > 0 { set(28) }
                scores[i] = score
            }
        }
        return (out, scores)
    }
}
