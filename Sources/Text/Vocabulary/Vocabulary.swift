/// A frozen mapping between strings (words, characters, tags, labels) and ids.
///
/// Ids are dense, `0..<count`. A vocabulary built with an unknown symbol maps every
/// string it has not seen to that symbol's id; one built without (tag sets, label
/// sets) reports unseen strings as `nil`.
public struct Vocabulary: Equatable, Sendable {
    /// The strings in id order.
    public private(set) var symbols: [String]
    private var ids: SymbolIndex
    /// The id unseen strings map to, if the vocabulary has an unknown symbol.
    public let unknownID: Int?

    /// The conventional padding symbol, always id 0 when present.
    public static let padding = "<pad>"
    /// The conventional unknown symbol.
    public static let unknown = "<unk>"

    /// A vocabulary of `symbols` in the given order; the strings must be distinct.
    /// `unknown`, if given, must be one of them.
    public init(symbols: [String], unknown: String? = nil) {
        let (ids, duplicate) = Self.index(symbols)
        if let duplicate {
            preconditionFailure("duplicate vocabulary symbol \(duplicate.debugDescription)")
        }
        self.symbols = symbols
        self.ids = ids
        if let unknown {
            guard let id = ids.id(of: unknown, in: symbols) else {
                preconditionFailure(
                    "unknown symbol \(unknown.debugDescription) is not in the vocabulary")
            }
            self.unknownID = id
        } else {
            self.unknownID = nil
        }
    }

    /// A vocabulary of `symbols` in the given order, or nil when two of them are equal or
    /// `unknown` (if given) is not one of them: for tables read from files. Each string is
    /// hashed once.
    public init?(validating symbols: [String], unknown: String? = nil) {
        let (ids, duplicate) = Self.index(symbols)
        guard duplicate == nil else { return nil }
        if let unknown {
            guard let id = ids.id(of: unknown, in: symbols) else { return nil }
            self.unknownID = id
        } else {
            self.unknownID = nil
        }
        self.symbols = symbols
        self.ids = ids
    }

    /// The id of each symbol, and the first symbol that repeats an earlier one, if any.
    private static func index(_ symbols: [String]) -> (ids: SymbolIndex, duplicate: String?) {
        var ids = SymbolIndex(capacity: symbols.count)
        for i in symbols.indices where ids.insert(id: i, of: symbols) != nil {
            return (ids, symbols[i])
        }
        return (ids, nil)
    }

    /// Whether two vocabularies hold equal strings in the same order and the same unknown id.
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.symbols == rhs.symbols && lhs.unknownID == rhs.unknownID
    }

    /// Builds a vocabulary from observed strings: the `specials` first, in order, then
    /// every string seen at least `minimumCount` times, most frequent first (ties in
    /// code-point order, so the result does not depend on hashing), up to `maximumSize`
    /// symbols in all.
    public init<S: Sequence>(
        counting observations: S, specials: [String] = [padding, unknown],
        unknown: String? = Vocabulary.unknown, minimumCount: Int = 1, maximumSize: Int = .max
    ) where S.Element == String {
        var counts: [String: Int] = [:]
        for s in observations { counts[s, default: 0] += 1 }
        self.init(
            counts: counts, specials: specials, unknown: unknown,
            minimumCount: minimumCount, maximumSize: maximumSize)
    }

    /// Builds a vocabulary from string counts; see `init(counting:...)`.
    public init(
        counts: [String: Int], specials: [String] = [padding, unknown],
        unknown: String? = Vocabulary.unknown, minimumCount: Int = 1, maximumSize: Int = .max
    ) {
        let specialSet = Set(specials)
        let ranked = counts.filter { $0.value >= minimumCount && !specialSet.contains($0.key) }
            .sorted {
                $0.value != $1.value
                    ? $0.value > $1.value
                    : $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars)
            }
            .map(\.key)
        let room = max(0, maximumSize - specials.count)
        self.init(symbols: specials + ranked.prefix(room), unknown: unknown)
    }

    /// The number of symbols.
    public var count: Int { symbols.count }

    /// The id of `symbol`: its own, the unknown id, or `nil` when neither exists.
    public func id(of symbol: String) -> Int? {
        ids.id(of: symbol, in: symbols) ?? unknownID
    }

    /// Whether `symbol` has an id of its own (is not mapped to the unknown symbol).
    public func contains(_ symbol: String) -> Bool { ids.id(of: symbol, in: symbols) != nil }

    /// The string of `id`.
    public func symbol(_ id: Int) -> String {
        precondition(
            id >= 0 && id < symbols.count, "id \(id) outside vocabulary of \(symbols.count)")
        return symbols[id]
    }

    /// Adds `symbol` at the end if it is new; returns its id.
    @discardableResult
    public mutating func insert(_ symbol: String) -> Int {
        if let id = ids.id(of: symbol, in: symbols) { return id }
        symbols.append(symbol)
        _ = ids.insert(id: symbols.count - 1, of: symbols)
        return symbols.count - 1
    }
}
