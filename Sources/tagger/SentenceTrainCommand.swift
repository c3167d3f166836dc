import ArgumentParser
import Corpora
import Foundation
import LinearAlgebra
import Tagging
import Text

/// The options of `tagger train --task sentences`, which trains the neural sentence splitter.
struct SentenceTrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training documents.")
    var epochs = 10

    @Option(help: "BiLSTM units per direction.")
    var hiddenSize = 48

    @Option(help: "Word embedding size.")
    var wordDimension = 32

    @Option(help: "Seed of initialisation, shuffling and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Adam learning rate.")
    var learningRate: Float = 0.002

    @Option(help: "Probability of replacing a word by the unknown word in training.")
    var wordDropout = 0.1

    @Option(help: "Dropout on the BiLSTM output in training.")
    var outputDropout = 0.0

    @Option(help: "Tokens per training window.")
    var trainingWindow = 100

    @Option(help: "Networks trained with consecutive seeds and averaged (an ensemble).")
    var members = 1

    @Option(help: "Keep at most this many words (the most frequent) in the vocabulary.")
    var maxWords = 8000

    @Option(
        help:
            "Altered copies of the training documents to add (sentence-final periods dropped, first letters lowercased)."
    )
    var augmentedCopies = 0

    @Option(
        help: "In an altered copy, the probability of each of the two alterations per sentence.")
    var augmentation = 0.3

    /// Trains on `train`, selects the epoch and threshold on `dev`, writes `output`;
    /// `embeddings` (at most `embeddingsLimit` of its vectors) become fixed per-token inputs;
    /// `layers` stacked BiLSTM layers.
    func train(
        train: String, dev: String?, output: String, embeddings: String? = nil,
        embeddingsLimit: Int = 50_000, layers: Int = 1
    ) throws {
        guard let dev else {
            throw ValidationError("--task sentences needs --dev (for the epoch and threshold)")
        }
        BLASThreads.set(1)
        var err = StandardError()
        var pretrained: PretrainedVectors? = nil
        if let embeddings {
            pretrained = try PretrainedVectors.load(path: embeddings, limit: embeddingsLimit)
            print(
                "read \(pretrained!.words.count) vectors of \(pretrained!.dimension) dimensions from \(embeddings)",
                to: &err)
        }
        let trainSentences = try CoNLLUReader.read(path: train)
        let devSentences = try CoNLLUReader.read(path: dev)
        var trainer = SentenceSplitterTrainer()
        trainer.epochs = epochs
        trainer.seed = seed
        trainer.learningRate = learningRate
        trainer.wordDropout = wordDropout
        trainer.outputDropout = outputDropout
        trainer.trainingWindow = trainingWindow
        trainer.members = members
        trainer.maximumWords = maxWords
        trainer.augmentedCopies = augmentedCopies
        trainer.augmentation = augmentation
        trainer.configuration.hiddenSize = hiddenSize
        trainer.configuration.wordDimension = wordDimension
        trainer.configuration.layers = layers
        trainer.pretrained = pretrained
        let started = Date()
        let splitter = trainer.train(
            train: trainSentences, dev: devSentences, tokenizer: .english
        ) { report in
            if report.member == 0 {
                print(
                    String(
                        format: "ensemble: dev Sentences F1 %.2f at thresholds %.2f / %.2f",
                        100 * report.devF1, report.threshold, report.unpunctuatedThreshold),
                    to: &err)
                return
            }
            print(
                String(
                    format:
                        "member %d epoch %d: loss %.4f, dev Sentences F1 %.2f at thresholds %.2f / %.2f (%.1f s)",
                    report.member, report.epoch, report.loss, 100 * report.devF1,
                    report.threshold, report.unpunctuatedThreshold, report.seconds), to: &err)
        }
        try splitter.write(to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print(
            String(
                format:
                    "trained in %.0f s: %d words, %d shapes, %d parameters, thresholds %.2f / %.2f → %@ (%d bytes)",
                Date().timeIntervalSince(started), splitter.words.count, splitter.shapes.count,
                splitter.networks.reduce(0) { $0 + $1.parameterCount },
                splitter.configuration.threshold,
                splitter.configuration.unpunctuatedThreshold, output, size),
            to: &err)
    }
}
