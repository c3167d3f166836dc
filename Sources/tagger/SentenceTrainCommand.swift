import ArgumentParser
import Corpora
import Foundation
import LinearAlgebra
import Tagging
import Text

/// `tagger train sentences`: the neural sentence splitter.
struct SentenceTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentences",
        abstract: "Train the neural sentence splitter on the running text of a treebank.")

    @Option(help: "The training CoNLL-U file (never the dev or test split).")
    var train: String?

    @Option(
        help: ArgumentHelp(
            "Instead of training, choose the perceptron weight and the thresholds of this model on --dev and write it to --output.",
            discussion:
                "The thresholds for text with paragraphs on --dev laid out as the CoNLL 2018 shared task's raw text (paragraphs separated by blank lines, lines wrapped); a training run chooses them the same way at its end."
        ))
    var tune: String?

    @Option(
        help: ArgumentHelp(
            "With --tune: add this model's networks to the tuned model's as ensemble members, before choosing the weight and thresholds.",
            discussion:
                "The two models must read the same vocabularies and perceptron (and the same pretrained vectors if both read any); their networks may differ in size, depth and vectors. The ensemble's boundary log-odds are the weighted mean of its members' (--member-weight)."
        ))
    var addMember: String?

    @Option(
        help:
            "With --add-member: the weight of the added model's log-odds, the tuned model's weighing the rest."
    )
    var memberWeight = 0.5

    @Option(help: "The dev CoNLL-U file, for the epoch and the thresholds (never the test split).")
    var dev: String

    @Option(help: "Where to write the model.")
    var output: String

    @Option(help: "Passes over the training documents.")
    var epochs = 10

    @Option(help: "BiLSTM units per direction.")
    var hiddenSize = 48

    @Option(help: "Word embedding size.")
    var wordDimension = 32

    @Option(help: "Stacked BiLSTM layers.")
    var layers = 1

    @Option(help: "Seed of initialisation, shuffling and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Adam's step size in the first epoch.")
    var learningRate: Float = 0.002

    @Option(help: "The learning rate is multiplied by this after each epoch.")
    var learningRateDecay: Float = 0.85

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

    /// The probability that a document of an altered copy loses the final punctuation of all
    /// its sentences but the last (`SentenceSplitterTrainer.documentAugmentation`), as in
    /// list-like documents (names, tables, headers, signatures); drawn once per document from
    /// a stream of its own, so that 0 leaves the altered copies as they were.
    @Option(
        help:
            "In an altered copy, the probability that a document loses the final . ! ? : or ; of every sentence but its last (drawn apart from --augmentation's alterations; 0 changes nothing)."
    )
    var documentAugmentation = 0.0

    @Option(
        help:
            "Copies of the training documents laid out in paragraphs (# newpar, separated by blank lines) to add."
    )
    var paragraphCopies = 0

    @Option(help: "Fixed pretrained word vectors appended to each token's features.")
    var embeddings: String?

    @Option(help: "Read at most this many pretrained vectors.")
    var embeddingsLimit = 200_000

    @Option(
        help:
            "A shared vector table in the output's folder (see `tagger vectors table`): its vectors are the fixed pretrained vectors (instead of --embeddings), and the model refers to the table instead of storing them."
    )
    var sharedVectors: String?

    @Flag(
        help:
            "Ignored: accepted so that the taggers' pretrained-vector options can be given unchanged."
    )
    var lowercaseWords = false

    @OptionGroup var session: TrainingRunOptions

    func validate() throws {
        guard (train == nil) != (tune == nil) else {
            throw ValidationError("Give either --train or --tune.")
        }
        guard epochs >= 1, hiddenSize >= 1, wordDimension >= 1, layers >= 1, members >= 1,
            maxWords >= 1, trainingWindow >= 2, augmentedCopies >= 0, paragraphCopies >= 0,
            embeddingsLimit >= 1
        else {
            throw ValidationError(
                "--epochs, --hidden-size, --word-dimension, --layers, --members, --max-words and --embeddings-limit must be positive, --training-window at least 2, --augmented-copies and --paragraph-copies not negative."
            )
        }
        guard learningRate > 0, learningRate.isFinite, learningRateDecay > 0,
            learningRateDecay <= 1
        else {
            throw ValidationError(
                "--learning-rate must be positive, --learning-rate-decay in (0, 1].")
        }
        guard (0..<1).contains(wordDropout), (0..<1).contains(outputDropout),
            (0...1).contains(augmentation), (0...1).contains(documentAugmentation)
        else {
            throw ValidationError(
                "--word-dropout and --output-dropout must be in [0, 1), --augmentation and --document-augmentation in [0, 1]."
            )
        }
        guard embeddings == nil || sharedVectors == nil else {
            throw ValidationError("Give --embeddings or --shared-vectors, not both.")
        }
        guard addMember == nil || tune != nil else {
            throw ValidationError("--add-member needs --tune.")
        }
        guard memberWeight > 0 && memberWeight < 1 else {
            throw ValidationError("--member-weight must be above 0 and below 1.")
        }
        try checkWritableOutput(output)
    }

    /// Trains on `train`, selects the epoch and thresholds on `dev`, writes `output` (or, with
    /// `--tune`, only chooses a model's perceptron weight and thresholds).
    func run() throws {
        StandardError.openMissingDescriptors()
        if session.printOptions {
            return try printResolvedOptions([
                "epochs": "\(epochs)", "hidden-size": "\(hiddenSize)",
                "word-dimension": "\(wordDimension)", "layers": "\(layers)", "seed": "\(seed)",
                "learning-rate": "\(learningRate)", "learning-rate-decay": "\(learningRateDecay)",
                "word-dropout": "\(wordDropout)", "output-dropout": "\(outputDropout)",
                "training-window": "\(trainingWindow)", "members": "\(members)",
                "max-words": "\(maxWords)", "augmented-copies": "\(augmentedCopies)",
                "augmentation": "\(augmentation)",
                "document-augmentation": "\(documentAugmentation)",
                "paragraph-copies": "\(paragraphCopies)", "embeddings-limit": "\(embeddingsLimit)",
                "lowercase-words": "\(lowercaseWords)", "member-weight": "\(memberWeight)",
            ])
        }
        BLASThreads.set(1)
        var err = StandardError()
        if let tune {
            var splitter = try NeuralSentenceSplitter(contentsOf: tune)
            if let addMember {
                splitter = try splitter.addingMembers(
                    of: try NeuralSentenceSplitter(contentsOf: addMember), weight: memberWeight)
                print(
                    "\(splitter.networks.count) members, log-odds weights "
                        + (splitter.configuration.memberWeights ?? []).map {
                            String(format: "%.3f", $0)
                        }.joined(separator: ", "), to: &err)
            }
            let devSentences = try CoNLLUReader.read(path: dev)
            guard
                let best = SentenceSplitterTrainer.tuneCombination(
                    &splitter, dev: devSentences, tokenizer: .english)
            else { throw ValidationError("\(dev) holds no sentences.") }
            try splitter.write(to: output)
            let c = splitter.configuration
            print(
                String(
                    format:
                        "perceptron weight %.2f: dev Sentences F1 %.2f at thresholds %.2f / %.2f, in paragraphs %.2f at %.2f / %.2f → %@",
                    best.weight, 100 * best.f1, c.threshold, c.unpunctuatedThreshold,
                    100 * best.paragraphF1, c.thresholds(paragraphs: true).punctuated,
                    c.thresholds(paragraphs: true).unpunctuated, output), to: &err)
            return
        }
        guard let train else { return }
        var pretrained: PretrainedVectors? = nil
        if let embeddings {
            pretrained = try PretrainedVectors.load(path: embeddings, limit: embeddingsLimit)
            print(
                "read \(pretrained!.words.count) vectors of \(pretrained!.dimension) dimensions from \(embeddings)",
                to: &err)
        }
        var table: SharedVectorTable? = nil
        if let sharedVectors {
            table = try SharedVectorTable.shared(at: sharedVectors)
            guard table!.isBeside(modelPath: output) else {
                throw SharedVectorsError.tableNotBesideModel(model: output, table: sharedVectors)
            }
            pretrained = table!.vectors
            print(
                "read \(pretrained!.words.count) vectors of \(pretrained!.dimension) dimensions from \(sharedVectors)",
                to: &err)
        }
        let trainSentences = try CoNLLUReader.read(path: train)
        let devSentences = try CoNLLUReader.read(path: dev)
        var trainer = SentenceSplitterTrainer()
        trainer.epochs = epochs
        trainer.seed = seed
        trainer.learningRate = learningRate
        trainer.learningRateDecay = learningRateDecay
        trainer.checkpointPath = session.checkpointPath(output: output)
        trainer.resume = session.resume
        Interruption.start()
        defer { Interruption.stop() }
        trainer.shouldStop = Interruption.requested
        trainer.wordDropout = wordDropout
        trainer.outputDropout = outputDropout
        trainer.trainingWindow = trainingWindow
        trainer.members = members
        trainer.maximumWords = maxWords
        trainer.augmentedCopies = augmentedCopies
        trainer.augmentation = augmentation
        trainer.documentAugmentation = documentAugmentation
        trainer.paragraphCopies = paragraphCopies
        trainer.configuration.hiddenSize = hiddenSize
        trainer.configuration.wordDimension = wordDimension
        trainer.configuration.layers = layers
        trainer.pretrained = pretrained
        let started = Date()
        let trained = try trainer.train(
            train: trainSentences, dev: devSentences, tokenizer: .english
        ) { report in
            if session.quiet && report.member != 0 { return }
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
        guard let splitter = trained else {
            try Interruption.exit(checkpoint: trainer.checkpointPath!)
        }
        if let table {
            try table.sharing(splitter.modelFile, modelPath: output).write(to: output)
        } else {
            try splitter.write(to: output)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print(
            String(
                format:
                    "trained in %.0f s: %d words, %d shapes, %d parameters, thresholds %.2f / %.2f, in paragraphs %.2f / %.2f → %@ (%d bytes)",
                Date().timeIntervalSince(started), splitter.words.count, splitter.shapes.count,
                splitter.networks.reduce(0) { $0 + $1.parameterCount },
                splitter.configuration.threshold,
                splitter.configuration.unpunctuatedThreshold,
                splitter.configuration.thresholds(paragraphs: true).punctuated,
                splitter.configuration.thresholds(paragraphs: true).unpunctuated, output, size),
            to: &err)
    }
}
