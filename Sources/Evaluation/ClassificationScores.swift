/// Accuracy and F1 of a sentence classifier.
public struct ClassificationScores: Sendable {
    /// Correct and total sentences.
    public var correct = 0, total = 0
    /// Counts per label (a label's precision, recall and F1 as a one-vs-rest task).
    public var perLabel: [String: F1Score] = [:]
    /// Label confusions.
    public var confusions = ConfusionCounter()

    /// Empty counts.
    public init() {}

    /// Adds one sentence.
    public mutating func add(gold: String, predicted: String) {
        total += 1
        perLabel[gold, default: F1Score()].gold += 1
        perLabel[predicted, default: F1Score()].system += 1
        if gold == predicted {
            correct += 1
            perLabel[gold]!.correct += 1
        }
        confusions.add(gold: gold, predicted: predicted)
    }

    /// The fraction of correct sentences (0 without sentences).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// For two labels `0`/`1` (or any pair), the F1 of the second label in sorted order
    /// (the positive class); otherwise the macro-average F1 (0 without labels).
    public var f1: Double {
        let labels = perLabel.keys.sorted()
        if labels.count == 2 { return perLabel[labels[1]]!.f1 }
        return labels.isEmpty
            ? 0 : labels.map { perLabel[$0]!.f1 }.reduce(0, +) / Double(labels.count)
    }
}
