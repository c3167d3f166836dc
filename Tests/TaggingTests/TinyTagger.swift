import Tagging

/// A POS tagger small enough to train inside a test in a fraction of a second, on two
/// sentences; for tests that need a real trained model but not a good one.
enum TinyTagger {
    /// Sentences of the tiny training (and dev) set.
    static let sentences = [
        TrainingSentence(
            words: ["The", "cat", "sat", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
        TrainingSentence(words: ["Dogs", "bark"], tags: ["NOUN", "VERB"]),
    ]

    /// Trains on `sentences` for `epochs` on one thread: word embeddings and hidden units
    /// of `width`, characters of `width / 2`, a word-shape embedding of `shapeDimension`.
    static func train(
        width: Int, epochs: Int, batchSize: Int? = nil, dropout: Double = 0.5,
        shapeDimension: Int = 0
    ) -> TaggerModel {
        var options = TrainingOptions()
        options.epochs = epochs
        options.threads = 1
        if let batchSize { options.batchSize = batchSize }
        var network = NetworkConfiguration()
        network.hidden = width
        network.dropout = dropout
        network.embedder.wordDimension = width
        network.embedder.characterDimension = width / 2
        network.embedder.characterHidden = width / 2
        network.embedder.shapeDimension = shapeDimension
        return try! Trainer(options: options).trainTagger(
            task: .pos, network: network, train: sentences, dev: sentences
        ).model
    }
}
