import Foundation

/// How many gold labels (tags or sentence labels) a model's label set contains: a gold
/// file made for another task (POS tags given to an NER model, say) has mostly labels the
/// model cannot predict, and scoring it would only print a meaningless 0.
public struct LabelCoverage: Sendable {
    /// The labels the model predicts.
    public let known: Set<String>
    /// Gold labels counted.
    public private(set) var total = 0
    /// Gold labels not in `known`.
    public private(set) var unknown = 0
    private var unknownCounts: [String: Int] = [:]

    /// Empty counts against the model's labels.
    public init(known: Set<String>) {
        self.known = known
    }

    /// Counts `labels` (one per token or sentence).
    public mutating func add<S: Sequence>(_ labels: S) where S.Element == String {
        for label in labels {
            total += 1
            if !known.contains(label) {
                unknown += 1
                unknownCounts[label, default: 0] += 1
            }
        }
    }

    /// Whether more than half of the gold labels are unknown to the model.
    public var isMostlyUnknown: Bool { 2 * unknown > total }

    /// The `limit` most frequent unknown labels, most frequent first (ties by label).
    public func mostFrequentUnknown(limit: Int) -> [String] {
        unknownCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map(\.key)
    }

    /// Throws
    /// ``EvaluationError/goldLabelsUnknownToModel(file:task:unknown:total:examples:modelLabels:)``
    /// when most gold labels are unknown; `file` and `task` ("POS", "NER", "sentiment")
    /// name the test file and the model in the message.
    public func check(file: String, task: String) throws {
        guard isMostlyUnknown else { return }
        throw EvaluationError.goldLabelsUnknownToModel(
            file: file, task: task, unknown: unknown, total: total,
            examples: mostFrequentUnknown(limit: 5), modelLabels: known.sorted())
    }
}

/// Gold data that cannot be scored against a model.
public enum EvaluationError: LocalizedError, Equatable {
    /// `unknown` of `total` gold labels of `file` are not labels of the `task` model;
    /// `examples` are the most frequent of them, `modelLabels` the model's labels.
    case goldLabelsUnknownToModel(
        file: String, task: String, unknown: Int, total: Int, examples: [String],
        modelLabels: [String])

    /// A one-line message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .goldLabelsUnknownToModel(
            let file, let task, let unknown, let total, let examples, let modelLabels):
            let some = modelLabels.prefix(5).joined(separator: ", ")
            let has = modelLabels.count > 5 ? some + ", …" : some
            return
                "\(file): \(unknown) of \(total) gold labels are unknown to this \(task) model "
                + "(\(examples.joined(separator: ", ")); the model has \(has)): "
                + "the file was made for another task; evaluate a model of that task on it, "
                + "or give a test file labelled for \(task)"
        }
    }
}
