import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// Settings of a training run.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Passes over the training data at most.
    public var epochs = 20
    /// Sentences per batch.
    public var batchSize = 32
    /// The optimizer's step size.
    public var learningRate = 1e-3
    /// Adam or SGD.
    public var optimizer: OptimizerKind = .adam
    /// The largest global gradient norm (clipped above); `0` disables clipping.
    public var clip = 5.0
    /// The seed of every random choice (initialisation, shuffling, dropout).
    public var seed: UInt64 = 1
    /// Threads: with 2 or more, the two directions of each recurrent layer run concurrently.
    public var threads = 2
    /// Stop after this many epochs without a better dev score.
    public var patience = 5
    /// Words seen fewer times in training map to the unknown word.
    public var minimumWordCount = 1
    /// Batches are formed within pools of this many batches of similar-length sentences.
    public var bucketBatches = 50

    /// The defaults: 20 epochs, batch 32, Adam 1e-3, clip 5, seed 1, 2 threads, patience 5.
    public init() {}

    /// Checks every setting against its range (the options of a checkpoint are read from
    /// disk); throws `CheckpointError.invalidValue` naming the first one out of range.
    public func validate() throws {
        try checkCheckpointValue(
            (1...1_000_000).contains(epochs), "options.epochs", epochs, valid: "in 1...1000000")
        try checkCheckpointValue(
            (1...100_000).contains(batchSize), "options.batchSize", batchSize,
            valid: "in 1...100000")
        try checkCheckpointValue(
            learningRate > 0 && learningRate.isFinite, "options.learningRate", learningRate,
            valid: "finite and positive")
        try checkCheckpointValue(
            clip >= 0 && clip.isFinite, "options.clip", clip, valid: "finite and at least 0")
        try checkCheckpointValue(threads >= 1, "options.threads", threads, valid: "at least 1")
        try checkCheckpointValue(
            patience >= 1, "options.patience", patience, valid: "at least 1")
        try checkCheckpointValue(
            minimumWordCount >= 1, "options.minimumWordCount", minimumWordCount,
            valid: "at least 1")
        try checkCheckpointValue(
            (1...100_000).contains(bucketBatches), "options.bucketBatches", bucketBatches,
            valid: "in 1...100000")
    }
}

/// A checkpoint is sound but does not belong to the run resuming from it.
public enum ResumeError: Error, LocalizedError, Equatable, Sendable {
    /// The checkpoint trains a model for `saved`, the command for `requested`.
    case otherTask(checkpoint: String, saved: String, requested: String)
    /// The training data has labels (tags, sentence labels) the checkpoint's model lacks.
    case unknownLabels(checkpoint: String, source: String, labels: [String])

    /// Says what does not match and what to do.
    public var errorDescription: String? {
        switch self {
        case .otherTask(let checkpoint, let saved, let requested):
            return "The checkpoint \(checkpoint) was written by `tagger train \(saved)`, not "
                + "`tagger train \(requested)`; resume with `tagger train \(saved)`, or give "
                + "another --checkpoint."
        case .unknownLabels(let checkpoint, let source, let labels):
            let shown = labels.prefix(5).joined(separator: ", ")
            let more = labels.count > 5 ? " and \(labels.count - 5) more" : ""
            return "\(source) has \(labels.count == 1 ? "a label" : "labels") the checkpoint "
                + "\(checkpoint) lacks: \(shown)\(more); resume with the training file of the "
                + "interrupted run, or train from the start without --resume."
        }
    }
}

/// Where a training run is within an epoch.
public struct TrainingProgress: Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The last epoch.
    public var epochs: Int
    /// Sentences done in this epoch, and in all.
    public var sentencesDone: Int, sentenceCount: Int
    /// Training tokens per second in this epoch so far.
    public var tokensPerSecond: Double
    /// The mean batch loss in this epoch so far.
    public var runningLoss: Double
    /// Estimated seconds to the end of the epoch.
    public var secondsRemaining: Double
}

/// The result of one epoch.
public struct EpochSummary: Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The mean batch loss.
    public var loss: Double
    /// The dev score (accuracy or span F1, in `[0, 1]`).
    public var devScore: Double
    /// Whether it was the best so far (the model was saved).
    public var improved: Bool
    /// The best dev score so far and its epoch.
    public var bestScore: Double, bestEpoch: Int
    /// Seconds spent training (without the dev evaluation), and training tokens per second.
    public var seconds: Double, tokensPerSecond: Double
}

/// What a `Trainer` reports while it runs.
public enum TrainingEvent: Sendable {
    /// After each batch.
    case progress(TrainingProgress)
    /// After each epoch's dev evaluation.
    case epochFinished(EpochSummary)
    /// A checkpoint was written.
    case checkpointSaved(path: String)
    /// Training stopped: patience exhausted after `epoch`.
    case stoppedEarly(epoch: Int)
}

/// The result of a training run.
public struct TrainingOutcome<Model> {
    /// The model with the best dev score.
    public var model: Model
    /// Its dev score and epoch.
    public var bestScore: Double, bestEpoch: Int
    /// Whether the run was interrupted (a checkpoint was saved to resume from).
    public var interrupted: Bool
}

/// Trains token classifiers (POS, NER) and sentence classifiers (sentiment) from in-memory
/// sentences: length-bucketed batches in a seeded order, dropout, word dropout, Adam or SGD,
/// gradient clipping, a dev score after each epoch, the best model kept, early stopping,
/// and checkpoints to resume from.
///
/// Every random choice is drawn from streams derived from `(seed, epoch, batch)`, so the
/// same seed and thread count give the same model, and a run resumed from a checkpoint
/// continues exactly as the uninterrupted run would have.
public struct Trainer {
    /// The settings.
    public var options: TrainingOptions
    /// Receives progress; called on the training thread.
    public var onEvent: ((TrainingEvent) -> Void)?
    /// Polled before each batch; returning true saves a checkpoint and stops.
    public var shouldStop: (() -> Bool)?
    /// Where the best model is written whenever the dev score improves (optional).
    public var outputPath: String?
    /// Where checkpoints are written (each epoch end and on interruption), optional.
    public var checkpointPath: String?
    /// Continue from `checkpointPath` if it exists.
    public var resume = false
    /// Pretrained vectors that initialise (and extend the vocabulary of) the word embedding.
    public var pretrained: PretrainedVectors?
    /// A shared vector table beside `outputPath`: when set, the output model reads from it
    /// every word vector row that is still bit for bit the table's (instead of storing it).
    /// The table is usually also the source of `pretrained`.
    public var sharedVectors: SharedVectorTable?
    /// What vocabulary words without a pretrained vector get.
    public var unknownWordPolicy: PretrainedVectors.UnknownWordPolicy = .random
    /// Names of the data in messages.
    public var trainSource = "training data", devSource = "dev data"
    /// Names of the NER data of a joint POS+NER run in messages (`trainSource` and
    /// `devSource` name its POS data).
    public var nerTrainSource = "NER training data", nerDevSource = "NER dev data"

    /// A trainer with the given settings.
    public init(options: TrainingOptions = TrainingOptions()) {
        self.options = options
    }

    /// The architecture name of checkpoint files.
    public static let checkpointArchitecture = ModelArchitecture.trainingCheckpoint

    // MARK: Token classifiers

    /// Trains a POS or NER tagger. NER tags are read in `scheme` (default IOB2), learned in
    /// BIOES and predicted back in `scheme`.
    public func trainTagger(
        task: TaggingTask, network configuration: NetworkConfiguration, train: [TrainingSentence],
        dev: [TrainingSentence], scheme: TagScheme? = nil
    ) throws -> TrainingOutcome<TaggerModel> {
        precondition(task.isTokenLevel, "trainTagger needs a token-level task, got \(task)")
        guard !train.isEmpty else { throw TrainingDataError.noSentences(path: trainSource) }
        try TrainingLimitError.check(
            lengths: train.map(\.words.count), lines: train.map(\.line), path: trainSource)
        try TrainingLimitError.check(
            lengths: dev.map(\.words.count), lines: dev.map(\.line), path: devSource)
        let fileScheme = scheme ?? .iob2
        var configuration = configuration
        if let pretrained { configuration.embedder.wordDimension = pretrained.dimension }
        var modelConfiguration = ModelConfiguration(task: task, network: configuration)
        if task == .ner {
            modelConfiguration.internalScheme = .bioes
            modelConfiguration.outputScheme = fileScheme
        }
        var (trainTags, tags) = try tagSet(
            task: task, train: train, dev: dev, scheme: fileScheme, trainSource: trainSource,
            devSource: devSource)

        var encoder = InputEncoder(
            training: train.map(\.words), configuration: configuration.embedder,
            minimumCount: options.minimumWordCount, extraWords: pretrained?.words ?? [])
        var random = SeededRandom(seed: options.seed)
        var network = TokenClassifierNetwork<Float>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count,
            tagCount: tags.count, random: &random)
        initialiseWordTable(&network.embedder.words.table, encoder: encoder, random: &random)
        let start = try startingPoint { try TaggerModel(file: $0, path: $1) }
        if let model = start.model {
            guard model.configuration.task == task else {
                throw ResumeError.otherTask(
                    checkpoint: checkpointPath ?? "", saved: "\(model.configuration.task)",
                    requested: "\(task)")
            }
            (modelConfiguration, encoder, tags, network) = (
                model.configuration, model.inputEncoder, model.tags, model.network
            )
            let unknown = Set(trainTags.joined()).subtracting(tags)
            guard unknown.isEmpty else {
                throw ResumeError.unknownLabels(
                    checkpoint: checkpointPath ?? "", source: trainSource,
                    labels: unknown.sorted())
            }
        }
        let tagIDs = Dictionary(uniqueKeysWithValues: tags.enumerated().map { ($1, $0) })
        let targets = trainTags.map { $0.map { tagIDs[$0]! } }
        let finalConfiguration = modelConfiguration
        let finalEncoder = encoder
        let finalTags = tags
        func makeModel(_ n: TokenClassifierNetwork<Float>) -> TaggerModel {
            TaggerModel(
                configuration: finalConfiguration, inputEncoder: finalEncoder, tags: finalTags,
                network: n)
        }
        return try run(
            network: &network, start: start,
            sentences: train.map(\.words), targets: targets, encoder: encoder,
            model: makeModel,
            evaluate: { model in
                if task == .ner {
                    return ModelEvaluation.spanScores(
                        model: model, sentences: dev, goldScheme: fileScheme
                    ).overall.f1
                }
                return ModelEvaluation.tokenAccuracy(model: model, sentences: dev).accuracy
            },
            load: TaggerModel.load(path:))
    }

    /// The tags a tagger of `task` learns (NER: converted to BIOES, with `O`) and the
    /// training sentences' tags in them, after checking that the NER tags decode in
    /// `scheme` and that dev has no tag (POS) or entity type (NER) the training data lacks.
    private func tagSet(
        task: TaggingTask, train: [TrainingSentence], dev: [TrainingSentence],
        scheme fileScheme: TagScheme,
        trainSource: String, devSource: String
    ) throws -> (trainTags: [[String]], tags: [String]) {
        var trainTags = train.map(\.tags)
        if task == .ner {
            try TrainingData.validate(train, scheme: fileScheme, path: trainSource)
            try TrainingData.validate(dev, scheme: fileScheme, path: devSource)
            trainTags = try trainTags.map { try fileScheme.convert($0, to: .bioes, mode: .lenient) }
            let types = Set(
                train.flatMap { (try? fileScheme.spans(from: $0.tags, mode: .lenient)) ?? [] }.map(
                    \.type))
            if let first = dev.first(where: { sentence in
                ((try? fileScheme.spans(from: sentence.tags, mode: .lenient)) ?? []).contains {
                    !types.contains($0.type)
                }
            }) {
                let unseen = Set(
                    dev.flatMap { (try? fileScheme.spans(from: $0.tags, mode: .lenient)) ?? [] }
                        .map(\.type)
                )
                .subtracting(types)
                throw TrainingDataError.unseenLabels(
                    path: devSource, labels: unseen.sorted(), firstLine: first.line)
            }
        } else {
            let known = Set(trainTags.joined())
            if let first = dev.first(where: { $0.tags.contains { !known.contains($0) } }) {
                let unseen = Set(dev.flatMap(\.tags)).subtracting(known)
                throw TrainingDataError.unseenLabels(
                    path: devSource, labels: unseen.sorted(), firstLine: first.line)
            }
        }
        var tags = Set(trainTags.joined()).sorted()
        if task == .ner, !tags.contains(TagScheme.outside) { tags.insert(TagScheme.outside, at: 0) }
        return (trainTags, tags)
    }

    // MARK: Joint POS+NER taggers

    /// Trains a joint POS+NER tagger (one encoder, a softmax POS head and a CRF entity head)
    /// on sentences aligned by `JointTrainingData.align`; a sentence with one tag set trains
    /// that head (and the shared encoder) only. Entity tags are read in `scheme` (default
    /// IOB2), learned in BIOES and predicted back in `scheme`. The dev score, which picks the
    /// model kept and drives early stopping, is the mean of the UPOS accuracy on `posDev` and
    /// the entity span F1 on `nerDev`. `nerLossWeight` weighs the entity loss against the
    /// POS loss (see `JointTaggerNetwork`). `trainSource` and `devSource` name the POS files
    /// in messages, `nerTrainSource` and `nerDevSource` the NER files.
    public func trainJointTagger(
        network configuration: NetworkConfiguration, train: [JointTrainingSentence],
        posDev: [TrainingSentence], nerDev: [TrainingSentence], scheme: TagScheme? = nil,
        nerLossWeight: Double = 1
    ) throws -> TrainingOutcome<JointTaggerModel> {
        precondition(
            nerLossWeight > 0 && nerLossWeight.isFinite,
            "the entity loss weight must be finite and positive, got \(nerLossWeight)")
        guard !train.isEmpty else { throw TrainingDataError.noSentences(path: trainSource) }
        let posTrain = train.compactMap { s in
            s.pos.map { TrainingSentence(words: s.words, tags: $0, line: s.posLine) }
        }
        let nerTrain = train.compactMap { s in
            s.ner.map { TrainingSentence(words: s.words, tags: $0, line: s.nerLine) }
        }
        guard !posTrain.isEmpty else { throw TrainingDataError.noSentences(path: trainSource) }
        guard !nerTrain.isEmpty else { throw TrainingDataError.noSentences(path: nerTrainSource) }
        for (sentences, source) in [
            (posTrain, trainSource), (nerTrain, nerTrainSource), (posDev, devSource),
            (nerDev, nerDevSource),
        ] {
            try TrainingLimitError.check(
                lengths: sentences.map(\.words.count), lines: sentences.map(\.line), path: source)
        }
        let fileScheme = scheme ?? .iob2
        var configuration = configuration
        configuration.crf = true
        if let pretrained { configuration.embedder.wordDimension = pretrained.dimension }
        var modelConfiguration = JointModelConfiguration(
            network: configuration, internalScheme: .bioes, outputScheme: fileScheme)
        let (posTrainTags, posTagSet) = try tagSet(
            task: .pos, train: posTrain, dev: posDev, scheme: fileScheme,
            trainSource: trainSource, devSource: devSource)
        let (nerTrainTags, nerTagSet) = try tagSet(
            task: .ner, train: nerTrain, dev: nerDev, scheme: fileScheme,
            trainSource: nerTrainSource, devSource: nerDevSource)
        var (posTags, nerTags) = (posTagSet, nerTagSet)
        var encoder = InputEncoder(
            training: train.map(\.words), configuration: configuration.embedder,
            minimumCount: options.minimumWordCount, extraWords: pretrained?.words ?? [])
        var random = SeededRandom(seed: options.seed)
        var network = JointTaggerNetwork<Float>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count, posTagCount: posTags.count,
            nerTagCount: nerTags.count, random: &random)
        initialiseWordTable(&network.embedder.words.table, encoder: encoder, random: &random)
        let start = try startingPoint { try JointTaggerModel(file: $0, path: $1) }
        if let model = start.model {
            (modelConfiguration, encoder, posTags, nerTags, network) = (
                model.configuration, model.inputEncoder, model.posTags, model.nerTags,
                model.network
            )
            let unknown = Set(posTrainTags.joined()).subtracting(posTags).union(
                Set(nerTrainTags.joined()).subtracting(nerTags))
            guard unknown.isEmpty else {
                throw ResumeError.unknownLabels(
                    checkpoint: checkpointPath ?? "",
                    source: "\(trainSource) and \(nerTrainSource)",
                    labels: unknown.sorted())
            }
        }
        network.nerLossWeight = nerLossWeight
        let posIDs = Dictionary(uniqueKeysWithValues: posTags.enumerated().map { ($1, $0) })
        let nerIDs = Dictionary(uniqueKeysWithValues: nerTags.enumerated().map { ($1, $0) })
        var posIterator = posTrainTags.makeIterator()
        var nerIterator = nerTrainTags.makeIterator()
        let targets = train.map { s in
            JointTarget(
                pos: s.pos == nil ? nil : posIterator.next()!.map { posIDs[$0]! },
                ner: s.ner == nil ? nil : nerIterator.next()!.map { nerIDs[$0]! })
        }
        let finalConfiguration = modelConfiguration
        let finalEncoder = encoder
        let (finalPOSTags, finalNERTags) = (posTags, nerTags)
        func makeModel(_ n: JointTaggerNetwork<Float>) -> JointTaggerModel {
            JointTaggerModel(
                configuration: finalConfiguration, inputEncoder: finalEncoder,
                posTags: finalPOSTags, nerTags: finalNERTags, network: n)
        }
        return try run(
            network: &network, start: start,
            sentences: train.map(\.words), targets: targets, encoder: encoder,
            model: makeModel,
            evaluate: { model in
                let accuracy = ModelEvaluation.tokenAccuracy(model: model.pos, sentences: posDev)
                let spans = ModelEvaluation.spanScores(
                    model: model.ner, sentences: nerDev, goldScheme: fileScheme)
                return (accuracy.accuracy + spans.overall.f1) / 2
            },
            load: JointTaggerModel.load(path:))
    }

    // MARK: Sentence classifiers

    /// Trains a sentence classifier (sentiment) on labelled sentences.
    public func trainClassifier(
        network configuration: NetworkConfiguration, train: [TrainingText], dev: [TrainingText]
    ) throws -> TrainingOutcome<SentimentModel> {
        guard !train.isEmpty else { throw TrainingDataError.noSentences(path: trainSource) }
        try TrainingLimitError.check(
            lengths: train.map(\.words.count), lines: train.map(\.line), path: trainSource)
        try TrainingLimitError.check(
            lengths: dev.map(\.words.count), lines: dev.map(\.line), path: devSource)
        var configuration = configuration
        configuration.crf = false
        if let pretrained { configuration.embedder.wordDimension = pretrained.dimension }
        var modelConfiguration = ModelConfiguration(task: .sentiment, network: configuration)
        var labels = Set(train.map(\.label)).sorted()
        if let first = dev.first(where: { !labels.contains($0.label) }) {
            let unseen = Set(dev.map(\.label)).subtracting(labels)
            throw TrainingDataError.unseenLabels(
                path: devSource, labels: unseen.sorted(), firstLine: first.line)
        }
        var encoder = InputEncoder(
            training: train.map(\.words), configuration: configuration.embedder,
            minimumCount: options.minimumWordCount, extraWords: pretrained?.words ?? [])
        var random = SeededRandom(seed: options.seed)
        var network = SentenceClassifierNetwork<Float>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count,
            labelCount: labels.count, random: &random)
        initialiseWordTable(&network.embedder.words.table, encoder: encoder, random: &random)
        let start = try startingPoint { try SentimentModel(file: $0, path: $1) }
        if let model = start.model {
            (modelConfiguration, encoder, labels, network) = (
                model.configuration, model.inputEncoder, model.labels, model.network
            )
            let unknown = Set(train.map(\.label)).subtracting(labels)
            guard unknown.isEmpty else {
                throw ResumeError.unknownLabels(
                    checkpoint: checkpointPath ?? "", source: trainSource,
                    labels: unknown.sorted())
            }
        }
        let labelIDs = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let finalConfiguration = modelConfiguration
        let finalEncoder = encoder
        let finalLabels = labels
        func makeModel(_ n: SentenceClassifierNetwork<Float>) -> SentimentModel {
            SentimentModel(
                configuration: finalConfiguration, inputEncoder: finalEncoder, labels: finalLabels,
                network: n)
        }
        return try run(
            network: &network, start: start,
            sentences: train.map(\.words), targets: train.map { labelIDs[$0.label]! },
            encoder: encoder, model: makeModel,
            evaluate: { model in
                ModelEvaluation.classificationScores(model: model, texts: dev).accuracy
            },
            load: SentimentModel.load(path:))
    }

    // MARK: Shared by both kinds of model

    /// Overwrites the word embedding with the pretrained vectors, when there are any.
    private func initialiseWordTable(
        _ table: inout Matrix<Float>, encoder: InputEncoder, random: inout SeededRandom
    ) {
        guard let pretrained else { return }
        table =
            pretrained.embeddingTable(
                for: encoder.words, policy: unknownWordPolicy, random: &random
            ).table
    }

    /// Where a run starts: the first epoch with this trainer's options, or, when resuming
    /// from an existing checkpoint, the model (built by `load`) and the checkpoint with the
    /// options saved in it; the thread count always comes from this trainer.
    private func startingPoint<Model>(
        restoring load: (ModelFile, String) throws -> Model
    ) throws -> (
        model: Model?, options: TrainingOptions, checkpoint: TrainingCheckpoint<TrainingOptions>?
    ) {
        guard resume, let checkpointPath, FileManager.default.fileExists(atPath: checkpointPath)
        else { return (nil, options, nil) }
        var checkpoint = try TrainingCheckpoint<TrainingOptions>.read(from: checkpointPath)
        // Training changes every row, so rows read from a shared table are copied in.
        let model = try load(
            checkpoint.model.materialised(modelPath: checkpointPath), checkpointPath)
        checkpoint.options.threads = self.options.threads
        do {
            try checkpoint.options.validate()
        } catch let error as CheckpointError {
            throw error.at(path: checkpointPath)
        }
        return (model, checkpoint.options, checkpoint)
    }

    /// Runs the remaining epochs of `start` for a model built from the network by `model`:
    /// each epoch's model is scored by `evaluate`, the best one is kept (and written to the
    /// output file), checkpoints hold the model's file, and the outcome is the best model
    /// (`load` re-reads it when a resumed run found no better one).
    private func run<N: TrainableNetwork, Model: SavedModel>(
        network: inout N,
        start: (
            model: (some Any)?, options: TrainingOptions,
            checkpoint: TrainingCheckpoint<TrainingOptions>?
        ),
        sentences: [[String]], targets: [N.Target], encoder: InputEncoder,
        model: @escaping (N) -> Model, evaluate: @escaping (Model) -> Double,
        load: (String) throws -> Model
    ) throws -> TrainingOutcome<Model> where N.Scalar == Float {
        var best: Model? = nil
        let outputPath = self.outputPath
        let sharedVectors = self.sharedVectors
        if let sharedVectors, let outputPath, !sharedVectors.isBeside(modelPath: outputPath) {
            throw SharedVectorsError.tableNotBesideModel(
                model: outputPath, table: sharedVectors.path)
        }
        let (interrupted, state) = try run(
            network: &network, start: start, sentences: sentences, targets: targets,
            encoder: encoder,
            evaluate: { evaluate(model($0)) },
            saveBest: { n in
                best = model(n)
                guard let outputPath else { return }
                if let sharedVectors {
                    try sharedVectors.sharing(best!.modelFile(), modelPath: outputPath)
                        .write(to: outputPath)
                } else {
                    try best!.save(to: outputPath)
                }
            },
            checkpointFile: { try model($0).modelFile() })
        return outcome(
            best: best, latest: model(network), state: state, interrupted: interrupted, load: load)
    }

    /// The result of a run: the best model (re-read from the output file when a resumed
    /// run found no better one), else the latest.
    private func outcome<Model>(
        best: Model?, latest: @autoclosure () -> Model, state: TrainingLoopState,
        interrupted: Bool,
        load: (String) throws -> Model
    ) -> TrainingOutcome<Model> {
        var best = best
        if best == nil, let outputPath, FileManager.default.fileExists(atPath: outputPath) {
            best = try? load(outputPath)
        }
        if !interrupted { TrainingCheckpoint<TrainingOptions>.remove(checkpointPath) }
        return TrainingOutcome(
            model: best ?? latest(), bestScore: state.bestScore ?? -1, bestEpoch: state.bestEpoch,
            interrupted: interrupted)
    }

    // MARK: The loop

    /// A seed derived from the run's seed and a position.
    static func derivedSeed(_ seed: UInt64, _ a: Int, _ b: Int) -> UInt64 {
        var z = seed &+ UInt64(truncatingIfNeeded: a) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = z &+ UInt64(truncatingIfNeeded: b) &* 0xD1B5_4A32_D192_ED03
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The batches of one epoch (sentence indices, each batch longest first).
    static func batches(
        lengths: [Int], batchSize: Int, bucketBatches: Int, seed: UInt64, epoch: Int
    ) -> [[Int]] {
        var random = SeededRandom(seed: derivedSeed(seed, epoch, -1))
        var order = Array(lengths.indices)
        random.shuffle(&order)
        var result: [[Int]] = []
        let pool = max(1, batchSize * max(1, bucketBatches))
        var start = 0
        while start < order.count {
            let chunk = order[start..<min(start + pool, order.count)].sorted {
                lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1
            }
            start += pool
            var b = 0
            while b < chunk.count {
                result.append(Array(chunk[b..<min(b + batchSize, chunk.count)]))
                b += batchSize
            }
        }
        random.shuffle(&result)
        return result
    }

    /// Runs the remaining epochs of `start` through `TrainingLoop`, with Adam or SGD;
    /// returns whether it was interrupted and where the run ended.
    func run<N: TrainableNetwork>(
        network: inout N,
        start: (
            model: (some Any)?, options: TrainingOptions,
            checkpoint: TrainingCheckpoint<TrainingOptions>?
        ),
        sentences: [[String]], targets: [N.Target], encoder: InputEncoder,
        evaluate: @escaping (N) -> Double,
        saveBest: @escaping (N) throws -> Void, checkpointFile: @escaping (N) throws -> ModelFile
    ) throws -> (interrupted: Bool, state: TrainingLoopState) where N.Scalar == Float {
        let rule: any Optimizer<Float> =
            start.options.optimizer == .adam
            ? Adam<Float>() : SGD<Float>(learningRate: Float(start.options.learningRate))
        return try run(network: &network, optimizer: rule)

        /// The run with the optimizer's concrete type.
        func run<Rule: Optimizer>(network: inout N, optimizer: Rule) throws -> (
            interrupted: Bool, state: TrainingLoopState
        ) where Rule.Scalar == Float {
            BLASThreads.set(1)
            // Rows shared with other models are copied in: training may change any of them.
            network.embedder.words.materialise()
            let options = start.options
            // Two threads split each batch in two (data parallelism); the directions of each
            // half then run one after the other on their thread.
            network.setConcurrentDirections(false)
            var loopOptions = TrainingLoopOptions(
                epochs: options.epochs, learningRate: options.learningRate)
            loopOptions.patience = options.patience
            loopOptions.clip = options.clip
            var task = SentenceBatchTask(
                network: N.self, options: options, sentences: sentences, targets: targets,
                encoder: encoder, evaluate: evaluate, saveBest: saveBest)
            var loop = TrainingLoop<SentenceBatchTask<N>, Rule>(
                options: loopOptions, network: network, optimizer: optimizer)
            if let checkpoint = start.checkpoint {
                do {
                    try loop.resume(from: checkpoint.contents(network: network), task: &task)
                } catch let error as CheckpointError {
                    throw error.at(path: checkpointPath ?? "")
                }
            }
            loop.shouldStop = shouldStop
            if let checkpointPath {
                loop.saveCheckpoint = { contents in
                    try TrainingCheckpoint(
                        model: try checkpointFile(contents.network), options: options,
                        contents: contents
                    ).write(to: checkpointPath)
                }
            }
            let sentencesDone = task.sentencesDone
            let onEvent = self.onEvent
            let checkpointPath = self.checkpointPath
            loop.onEvent = { event in
                guard let onEvent else { return }
                switch event {
                case .progress(let epoch, let batch, _, _, _, let rate, let loss, let remaining):
                    onEvent(
                        .progress(
                            TrainingProgress(
                                epoch: epoch, epochs: options.epochs,
                                sentencesDone: sentencesDone.through(batch),
                                sentenceCount: sentences.count, tokensPerSecond: rate,
                                runningLoss: loss, secondsRemaining: remaining)))
                case .epochFinished(let e):
                    onEvent(
                        .epochFinished(
                            EpochSummary(
                                epoch: e.epoch, loss: e.loss, devScore: e.score ?? 0,
                                improved: e.improved, bestScore: e.bestScore ?? -1,
                                bestEpoch: e.bestEpoch, seconds: e.seconds,
                                tokensPerSecond: e.unitsPerSecond)))
                case .checkpointSaved:
                    if let checkpointPath { onEvent(.checkpointSaved(path: checkpointPath)) }
                case .stoppedEarly(let epoch):
                    onEvent(.stoppedEarly(epoch: epoch))
                }
            }
            let interrupted: Bool
            do {
                // On two threads, steps hand work over several times each, with the
                // optimizer's serial work between: the threads stay awake for the run. The
                // run has a thread (and so a malloc arena) of its own.
                interrupted = try FreshThread.run { () throws -> Bool in
                    options.threads >= 2
                        ? try TwoThreads.keepingAwake { try loop.run(&task) }
                        : try loop.run(&task)
                }
            } catch let error as CheckpointError {
                // Only a resumed run's place can disagree with its epoch's plan.
                throw error.at(path: checkpointPath ?? "")
            }
            network = loop.network
            return (interrupted, loop.state)
        }
    }

    /// The two halves of a batch sorted longest first, for two threads: the sentences in
    /// pairs, the first pair's longer one to the first half, the next pair's to the second,
    /// and so on (positions 0, 3, 4, 7, 8, … and 1, 2, 5, 6, …). Each half stays sorted, and
    /// their token counts differ by little, the differences within pairs alternating in
    /// sign. (Given every pair's longer sentence, the first half took about 5% longer.)
    public static func balancedHalves(_ batch: [Int]) -> [[Int]] {
        var halves: [[Int]] = [[], []]
        for (position, sentence) in batch.enumerated() {
            halves[(position % 2) ^ (position / 2 % 2)].append(sentence)
        }
        return halves
    }

    /// The loss and parameter gradients of one batch (sentence indices), with word dropout
    /// and dropout drawn from `seed`. With `dataParallel` the batch is split into two
    /// halves of similar lengths (`balancedHalves`), computed at once on two threads and combined
    /// by their loss weights, which gives the gradient of the whole batch.
    static func batchLossAndGradients<N: TrainableNetwork>(
        network: N, batch: [Int], corpus: EncodedCorpus, targets: [N.Target],
        encoder: InputEncoder, wordCounts: [Int], seed: UInt64, dataParallel: Bool
    ) -> (loss: Float, gradients: ParameterGradients<Float>) where N.Scalar == Float {
        func part(_ indices: [Int], seed: UInt64) -> (
            loss: Float, gradients: ParameterGradients<Float>, weight: Int
        ) {
            var random = SeededRandom(seed: seed)
            var input = encoder.encode(indices, of: corpus)
            let alpha = encoder.configuration.wordDropout
            if alpha > 0 {
                for r in input.wordIDs.indices where input.wordIDs[r] > 1 {
                    let count = Double(wordCounts[input.wordIDs[r]])
                    if random.nextUnit() < alpha / (alpha + count) { input.wordIDs[r] = 1 }
                }
            }
            let (loss, gradients) = network.lossAndGradients(
                input, targets: indices.map { targets[$0] }, training: true, random: &random)
            return (loss, gradients, network.lossWeight(input))
        }
        guard dataParallel, batch.count >= 2 else {
            let whole = part(batch, seed: seed)
            return (whole.loss, whole.gradients)
        }
        let halves = balancedHalves(batch)
        var first: (loss: Float, gradients: ParameterGradients<Float>, weight: Int)?
        var second: (loss: Float, gradients: ParameterGradients<Float>, weight: Int)?
        // The recurrent weights packed once for both halves; the packing (which holds the
        // parameters) ends with this scope, before the optimizer changes them in place.
        do {
            let packing = StepPacking(parameters: network.parameterMatrices)
            TwoThreads.run(
                { packing.within { first = part(halves[0], seed: derivedSeed(seed, 0, -2)) } },
                { packing.within { second = part(halves[1], seed: derivedSeed(seed, 1, -2)) } })
        }
        let (a, b) = (first!, second!)
        let total = Float(max(1, a.weight + b.weight))
        let (wa, wb) = (Float(a.weight) / total, Float(b.weight) / total)
        return (
            wa * a.loss + wb * b.loss,
            ParameterGradients.weightedSum(a.gradients, wa, b.gradients, wb)
        )
    }
}

/// A trained model the training loop can keep and checkpoint.
protocol SavedModel {
    /// The model as a model file.
    func modelFile() throws -> ModelFile
    /// Writes the model atomically.
    func save(to path: String) throws
}

extension TaggerModel: SavedModel {}
extension JointTaggerModel: SavedModel {}
extension SentimentModel: SavedModel {}
