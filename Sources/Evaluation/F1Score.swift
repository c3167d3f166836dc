/// Precision, recall and F1 from three counts, the one such type of the toolkit.
///
/// Empty input follows conlleval and the CoNLL 2018 evaluation script
/// (`conll18_ud_eval.py`): a ratio whose denominator is zero is 0, so precision is 0
/// when the system produced nothing, recall is 0 when there is no gold item, and F1 is
/// `2·correct / (gold + system)`, 0 when both are empty. Nothing expected and nothing
/// produced therefore scores 0, not 1.
public struct F1Score: Hashable, Sendable, Codable {
    /// Items of the system output that match a gold item.
    public var correct: Int
    /// Items in the gold data.
    public var gold: Int
    /// Items in the system output (predicted).
    public var system: Int

    /// A score from its counts.
    public init(correct: Int = 0, gold: Int = 0, system: Int = 0) {
        precondition(
            correct >= 0 && correct <= gold && correct <= system,
            "correct \(correct) must lie in 0...min(gold \(gold), system \(system))")
        self.correct = correct
        self.gold = gold
        self.system = system
    }

    /// `correct / system`, 0 when the system produced nothing.
    public var precision: Double { system == 0 ? 0 : Double(correct) / Double(system) }
    /// `correct / gold`, 0 when there is no gold item.
    public var recall: Double { gold == 0 ? 0 : Double(correct) / Double(gold) }
    /// The harmonic mean of precision and recall, `2·correct / (gold + system)`; 0 when
    /// both are empty.
    public var f1: Double { gold + system == 0 ? 0 : 2 * Double(correct) / Double(gold + system) }

    /// The counts of both scores added (micro-averaging).
    public static func + (a: F1Score, b: F1Score) -> F1Score {
        F1Score(correct: a.correct + b.correct, gold: a.gold + b.gold, system: a.system + b.system)
    }

    /// Adds `b`'s counts to `a`.
    public static func += (a: inout F1Score, b: F1Score) { a = a + b }
}
