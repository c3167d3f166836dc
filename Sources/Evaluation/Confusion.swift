/// How often one gold label was predicted as another.
public struct Confusion: Equatable, Sendable {
    /// The gold label.
    public var gold: String
    /// The predicted label.
    public var predicted: String
    /// How often.
    public var count: Int

    /// A confusion from its parts.
    public init(gold: String, predicted: String, count: Int) {
        self.gold = gold
        self.predicted = predicted
        self.count = count
    }
}

/// Counts of (gold, predicted) pairs, reported as the most frequent errors.
public struct ConfusionCounter: Sendable {
    private var counts: [String: [String: Int]] = [:]

    /// An empty counter.
    public init() {}

    /// Records one pair.
    public mutating func add(gold: String, predicted: String) {
        counts[gold, default: [:]][predicted, default: 0] += 1
    }

    /// The `limit` most frequent pairs with `gold != predicted` (ties by label).
    public func mostFrequentErrors(limit: Int) -> [Confusion] {
        var all: [Confusion] = []
        for (g, row) in counts {
            for (p, n) in row where g != p {
                all.append(Confusion(gold: g, predicted: p, count: n))
            }
        }
        all.sort {
            $0.count != $1.count
                ? $0.count > $1.count : ($0.gold, $0.predicted) < ($1.gold, $1.predicted)
        }
        return Array(all.prefix(limit))
    }
}
