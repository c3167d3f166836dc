import Foundation
import Text

/// The symbols of a character language model.
///
/// A character here is a **Unicode scalar** (a code point), not a grapheme cluster: `é`
/// written as `e` + U+0301 is two symbols, and an emoji ZWJ sequence is several. Scalars
/// form a small closed set and every text splits into them the same way whatever the
/// Unicode version, which grapheme boundaries do not; "bits per character" is therefore
/// bits per Unicode scalar.
///
/// Ids: `0` is the unknown symbol `<unk>` (every scalar the vocabulary does not hold, and
/// scalars too rare in training), `1` is the start symbol `<s>` (the input before a
/// text's first character; never predicted), then one id per scalar, most frequent first.
public struct CharacterVocabulary: Equatable, Sendable {
    /// The unknown symbol's string and id.
    public static let unknown = "<unk>"
    /// The id of `<unk>`.
    public static let unknownID = 0
    /// The start symbol's string.
    public static let start = "<s>"
    /// The id of `<s>`.
    public static let startID = 1
    /// The number of special symbols before the first scalar.
    public static let specialCount = 2
    /// The largest sum of the training counts a stored vocabulary may state: 2^52, far more
    /// characters than any training text holds, and small enough that the sums and
    /// smoothed counts of `unigramBitsPerCharacter` neither overflow nor lose precision.
    public static let maximumTotalCount = 1 << 52

    /// The symbols in id order: `<unk>`, `<s>`, then one-scalar strings.
    public let symbols: [String]
    /// How often each symbol occurred in the training text (`<unk>`: the rare and unseen
    /// scalars mapped to it; `<s>`: zero).
    public let counts: [Int]
    private let scalars: [Unicode.Scalar?]
    private let ids: [UInt32: Int]

    /// The vocabulary of a training text: every scalar seen at least `minimumCount` times,
    /// most frequent first (ties by code point); rarer ones count as `<unk>`.
    public init(counting text: String, minimumCount: Int = 1) {
        precondition(minimumCount >= 1, "minimumCount must be at least 1, got \(minimumCount)")
        var tally: [UInt32: Int] = [:]
        for scalar in text.unicodeScalars { tally[scalar.value, default: 0] += 1 }
        let kept = tally.filter { $0.value >= minimumCount }.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }
        let rare = tally.values.reduce(0, +) - kept.reduce(0) { $0 + $1.value }
        self.init(
            validated: kept.map { Unicode.Scalar($0.key)! }, scalarCounts: kept.map(\.value),
            unknownCount: rare)
    }

    /// A vocabulary read back from a model file: `symbols` must be `<unk>`, `<s>` and then
    /// distinct one-scalar strings, with one count per symbol.
    public init(symbols: [String], counts: [Int]) throws {
        func invalid(_ reason: String) -> CharacterVocabularyError {
            .invalid(reason: reason)
        }
        guard symbols.count >= Self.specialCount,
            symbols[Self.unknownID] == Self.unknown, symbols[Self.startID] == Self.start
        else {
            throw invalid("it must start with \(Self.unknown) and \(Self.start)")
        }
        guard counts.count == symbols.count, counts.allSatisfy({ $0 >= 0 }) else {
            throw invalid(
                "\(counts.count) counts for \(symbols.count) symbols (or a negative count)")
        }
        // The counts and their sum (plus one per symbol, for smoothing) stay exact in a
        // Double and far from overflowing an Int.
        var total = 0
        for (i, count) in counts.enumerated() {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow, sum <= Self.maximumTotalCount else {
                throw invalid(
                    "the counts add up to more than \(Self.maximumTotalCount) at symbol \(i) (count \(count))")
            }
            total = sum
        }
        var scalars: [Unicode.Scalar] = []
        for (i, symbol) in symbols.enumerated().dropFirst(Self.specialCount) {
            let view = symbol.unicodeScalars
            guard view.count == 1, let scalar = view.first else {
                throw invalid("symbol \(i) \(symbol.quotedForMessage) is not one Unicode scalar")
            }
            scalars.append(scalar)
        }
        guard Set(scalars.map(\.value)).count == scalars.count else {
            throw invalid("a character appears twice")
        }
        self.init(
            validated: scalars, scalarCounts: Array(counts.dropFirst(Self.specialCount)),
            unknownCount: counts[Self.unknownID])
    }

    private init(validated scalars: [Unicode.Scalar], scalarCounts: [Int], unknownCount: Int) {
        symbols = [Self.unknown, Self.start] + scalars.map { String($0) }
        counts = [unknownCount, 0] + scalarCounts
        self.scalars = [nil, nil] + scalars
        var ids: [UInt32: Int] = [:]
        for (i, s) in scalars.enumerated() { ids[s.value] = i + Self.specialCount }
        self.ids = ids
    }

    /// The number of symbols, specials included.
    public var count: Int { symbols.count }

    /// The id of `scalar`, or `unknownID`.
    public func id(of scalar: Unicode.Scalar) -> Int {
        ids[scalar.value] ?? Self.unknownID
    }

    /// The ids of the scalars of `text`, in order.
    public func encode(_ text: String) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { result.append(id(of: scalar)) }
        return result
    }

    /// The scalar of `id`, or `nil` for the special symbols.
    public func scalar(for id: Int) -> Unicode.Scalar? {
        precondition(id >= 0 && id < count, "character id \(id) outside 0..<\(count)")
        return scalars[id]
    }

    /// Whether `id` is a special symbol (`<unk>` or `<s>`) rather than a character.
    public func isSpecial(_ id: Int) -> Bool { id < Self.specialCount }

    /// The bits per character of `text` under the unigram model of the training counts,
    /// with add-one smoothing over every symbol that can be predicted (all but `<s>`):
    /// the baseline a language model has to beat. Zero for an empty text.
    public func unigramBitsPerCharacter(of text: String) -> Double {
        let predictable = count - 1
        let total = Double(counts.reduce(0, +) + predictable)
        var bits = 0.0
        var n = 0
        for id in encode(text) {
            bits -= log2(Double(counts[id] + 1) / total)
            n += 1
        }
        return n == 0 ? 0 : bits / Double(n)
    }
}

/// A character vocabulary that cannot be used.
public enum CharacterVocabularyError: LocalizedError, Equatable {
    /// The symbols or counts are malformed.
    case invalid(reason: String)

    /// What is wrong.
    public var errorDescription: String? {
        switch self {
        case .invalid(let reason): return "unusable character vocabulary: \(reason)"
        }
    }
}
