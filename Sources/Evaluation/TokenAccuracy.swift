/// Token accuracy of a tagger, overall and for words in and out of the model's vocabulary.
///
/// Every accuracy is 0 when it counts no token (as conlleval's accuracy).
public struct TokenAccuracy: Sendable {
    /// Correct and total over all tokens.
    public var correct = 0, total = 0
    /// Correct and total over words the model's vocabulary contains.
    public var knownCorrect = 0, knownTotal = 0
    /// Tag confusions.
    public var confusions = ConfusionCounter()

    /// Empty counts.
    public init() {}

    /// Adds a sentence's gold and predicted tags; `known[i]` says whether word `i` is in vocabulary.
    public mutating func add(gold: [String], predicted: [String], known: [Bool]) {
        precondition(
            gold.count == predicted.count && gold.count == known.count,
            "\(gold.count) gold tags, \(predicted.count) predicted, \(known.count) known flags")
        for i in gold.indices {
            let ok = gold[i] == predicted[i]
            total += 1
            if ok { correct += 1 }
            if known[i] {
                knownTotal += 1
                if ok { knownCorrect += 1 }
            }
            confusions.add(gold: gold[i], predicted: predicted[i])
        }
    }

    /// The fraction of correct tokens.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// Accuracy on known words.
    public var knownAccuracy: Double {
        knownTotal == 0 ? 0 : Double(knownCorrect) / Double(knownTotal)
    }
    /// Tokens that are unknown words.
    public var unknownTotal: Int { total - knownTotal }
    /// Accuracy on unknown words.
    public var unknownAccuracy: Double {
        unknownTotal == 0 ? 0 : Double(correct - knownCorrect) / Double(unknownTotal)
    }
}
