import Text

/// Exact-match span precision, recall and F1 per entity type and overall (micro-averaged),
/// as conlleval computes them: spans decoded leniently from each sentence's tags in its
/// scheme.
public struct SpanScores: Sendable {
    /// Counts per entity type.
    public var perType: [String: F1Score] = [:]
    /// Counts over all types (the micro average).
    public var overall = F1Score()
    /// Token-level tag confusions.
    public var confusions = ConfusionCounter()
    /// Tokens tagged correctly, and tokens.
    public var correctTokens = 0, tokens = 0

    /// Empty counts.
    public init() {}

    /// The fraction of tokens whose tag is right (0 without tokens).
    public var tokenAccuracy: Double { tokens == 0 ? 0 : Double(correctTokens) / Double(tokens) }

    /// Adds one sentence; `goldScheme` and `predictedScheme` say how to read the tags.
    public mutating func add(
        gold: [String], predicted: [String], goldScheme: TagScheme, predictedScheme: TagScheme
    ) {
        precondition(
            gold.count == predicted.count, "\(gold.count) gold tags, \(predicted.count) predicted")
        let g = Set((try? goldScheme.spans(from: gold, mode: .lenient)) ?? [])
        let p = Set((try? predictedScheme.spans(from: predicted, mode: .lenient)) ?? [])
        for span in g {
            perType[span.type, default: F1Score()].gold += 1
            overall.gold += 1
        }
        for span in p {
            perType[span.type, default: F1Score()].system += 1
            overall.system += 1
            if g.contains(span) {
                perType[span.type]!.correct += 1
                overall.correct += 1
            }
        }
        for i in gold.indices {
            tokens += 1
            if gold[i] == predicted[i] { correctTokens += 1 }
            confusions.add(gold: gold[i], predicted: predicted[i])
        }
    }
}
