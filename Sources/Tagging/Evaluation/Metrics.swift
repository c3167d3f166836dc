import Text

/// Counts behind a precision, recall and F1.
public struct PrecisionRecall: Equatable, Sendable {
    /// Items predicted and correct.
    public var correct = 0
    /// Items predicted.
    public var predicted = 0
    /// Gold items.
    public var gold = 0

    /// Empty counts.
    public init() {}

    /// `correct / predicted` (0 when nothing was predicted).
    public var precision: Double { predicted == 0 ? 0 : Double(correct) / Double(predicted) }
    /// `correct / gold` (0 when there is no gold item).
    public var recall: Double { gold == 0 ? 0 : Double(correct) / Double(gold) }
    /// The harmonic mean of precision and recall.
    public var f1: Double {
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }
}

/// How often one gold label was predicted as another.
public struct Confusion: Equatable, Sendable {
    /// The gold label.
    public var gold: String
    /// The predicted label.
    public var predicted: String
    /// How often.
    public var count: Int
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

/// Token accuracy of a tagger, overall and for words in and out of the model's vocabulary.
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

/// Exact-match span precision, recall and F1 per entity type and overall, as conlleval
/// computes them: spans decoded leniently from each sentence's tags in its scheme.
public struct SpanScores: Sendable {
    /// Counts per entity type.
    public var perType: [String: PrecisionRecall] = [:]
    /// Counts over all types.
    public var overall = PrecisionRecall()
    /// Token-level tag confusions.
    public var confusions = ConfusionCounter()
    /// Tokens tagged correctly, and tokens.
    public var correctTokens = 0, tokens = 0

    /// Empty counts.
    public init() {}

    /// Adds one sentence; `goldScheme` and `predictedScheme` say how to read the tags.
    public mutating func add(
        gold: [String], predicted: [String], goldScheme: TagScheme, predictedScheme: TagScheme
    ) {
        let g = Set((try? goldScheme.spans(from: gold, mode: .lenient)) ?? [])
        let p = Set((try? predictedScheme.spans(from: predicted, mode: .lenient)) ?? [])
        for span in g {
            perType[span.type, default: PrecisionRecall()].gold += 1
            overall.gold += 1
        }
        for span in p {
            perType[span.type, default: PrecisionRecall()].predicted += 1
            overall.predicted += 1
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

/// Accuracy and F1 of a sentence classifier.
public struct ClassificationScores: Sendable {
    /// Correct and total sentences.
    public var correct = 0, total = 0
    /// Counts per label (a label's precision, recall and F1 as a one-vs-rest task).
    public var perLabel: [String: PrecisionRecall] = [:]
    /// Label confusions.
    public var confusions = ConfusionCounter()

    /// Empty counts.
    public init() {}

    /// Adds one sentence.
    public mutating func add(gold: String, predicted: String) {
        total += 1
        perLabel[gold, default: PrecisionRecall()].gold += 1
        perLabel[predicted, default: PrecisionRecall()].predicted += 1
        if gold == predicted {
            correct += 1
            perLabel[gold]!.correct += 1
        }
        confusions.add(gold: gold, predicted: predicted)
    }

    /// The fraction of correct sentences.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// For two labels `0`/`1` (or any pair), the F1 of the second label in sorted order
    /// (the positive class); otherwise the macro-average F1.
    public var f1: Double {
        let labels = perLabel.keys.sorted()
        if labels.count == 2 { return perLabel[labels[1]]!.f1 }
        return labels.isEmpty
            ? 0 : labels.map { perLabel[$0]!.f1 }.reduce(0, +) / Double(labels.count)
    }
}

/// Scores of models on gold data.
public enum Evaluation {
    /// Tags `sentences` with `model` and scores POS token accuracy (known/unknown words by
    /// the model's word vocabulary).
    public static func tokenAccuracy(
        model: TaggerModel, sentences: [TrainingSentence], batchSize: Int = 32
    ) -> TokenAccuracy {
        let predictions = model.tag(sentences.map(\.words), batchSize: batchSize)
        var result = TokenAccuracy()
        for (sentence, prediction) in zip(sentences, predictions) {
            result.add(
                gold: sentence.tags, predicted: prediction.map(\.tag),
                known: sentence.words.map {
                    model.inputEncoder.words.contains(
                        InputEncoder.key($0, lowercase: model.inputEncoder.configuration.lowercase))
                })
        }
        return result
    }

    /// Tags `sentences` with `model` and scores entity spans; gold tags are read in
    /// `goldScheme` (the model's output scheme by default).
    public static func spanScores(
        model: TaggerModel, sentences: [TrainingSentence], goldScheme: TagScheme? = nil,
        batchSize: Int = 32
    ) -> SpanScores {
        let predictions = model.tag(sentences.map(\.words), batchSize: batchSize)
        let scheme = model.configuration.outputScheme ?? .iob2
        var result = SpanScores()
        for (sentence, prediction) in zip(sentences, predictions) {
            result.add(
                gold: sentence.tags, predicted: prediction.map(\.tag),
                goldScheme: goldScheme ?? scheme,
                predictedScheme: scheme)
        }
        return result
    }

    /// Classifies `texts` with `model` and scores accuracy and F1.
    public static func classificationScores(
        model: SentimentModel, texts: [TrainingText], batchSize: Int = 32
    )
        -> ClassificationScores
    {
        let predictions = model.classify(tokens: texts.map(\.words), batchSize: batchSize)
        var result = ClassificationScores()
        for (text, prediction) in zip(texts, predictions) {
            result.add(gold: text.label, predicted: prediction.label)
        }
        return result
    }
}
