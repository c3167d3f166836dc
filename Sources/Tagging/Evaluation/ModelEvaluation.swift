import Evaluation
import Text

/// Runs models on gold data and scores their output with the types of `Evaluation`.
public enum ModelEvaluation {
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
