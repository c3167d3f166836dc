import Foundation
import LinearAlgebra
import NeuralNetwork
import Text

/// How `CharacterLanguageModelTrainer` trains.
public struct CharacterLanguageModelTrainingOptions: Equatable, Sendable {
    /// The network to train.
    public var network = CharacterLanguageModelConfiguration()
    /// Characters seen fewer times in the training text become `<unk>`, so that the model
    /// learns a probability for characters it has not seen.
    public var minimumCharacterCount = 2
    /// Parallel streams (the batch): the training text is cut into this many consecutive
    /// pieces that are read side by side.
    public var streams = 32
    /// K1: the steps per chunk; every chunk makes one update, and the state after it is
    /// carried into the next.
    public var chunkSteps = 64
    /// K2: backpropagation runs through the last this many steps of each chunk (`nil`:
    /// all K1). At most K1.
    public var backpropagationSteps: Int?
    /// Passes over the training text.
    public var epochs = 10
    /// Adam's step size.
    public var learningRate = 0.003
    /// After an epoch that does not improve the dev score, the learning rate is multiplied
    /// by this (`1`: never lowered).
    public var learningRateDecay = 0.5
    /// The global gradient norm is clipped to this; `0` disables clipping.
    public var clip = 5.0
    /// Stop after this many epochs without a better dev score.
    public var patience = 3
    /// Seed of the initial weights and of the per-epoch offset of the streams.
    public var seed: UInt64 = 1
    /// Streams the dev text is scored in (`1` scores it exactly, as `tagger eval` does).
    public var evaluationStreams = 1

    /// The default options: 1 × LSTM 256, 32 streams, K1 = K2 = 64, Adam 0.003, clip 5.
    public init() {}

    /// K2, resolved.
    public var truncation: Int { backpropagationSteps ?? chunkSteps }

    /// Throws `LanguageModelError.invalidOption` for the first option out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ reason: String) throws {
            if !ok { throw LanguageModelError.invalidOption(name: name, reason: reason) }
        }
        try check(network.layers >= 1, "layers", "must be at least 1, got \(network.layers)")
        try check(network.hidden >= 1, "hidden", "must be at least 1, got \(network.hidden)")
        try check(
            network.embeddingDimension >= 1, "embedding dimension",
            "must be at least 1, got \(network.embeddingDimension)")
        try check(
            minimumCharacterCount >= 1, "minimum character count",
            "must be at least 1, got \(minimumCharacterCount)")
        try check(streams >= 1, "streams", "must be at least 1, got \(streams)")
        try check(chunkSteps >= 1, "bptt K1", "must be at least 1, got \(chunkSteps)")
        try check(
            truncation >= 1 && truncation <= chunkSteps, "bptt K2",
            "must be in 1...K1 (\(chunkSteps)), got \(truncation)")
        try check(epochs >= 1, "epochs", "must be at least 1, got \(epochs)")
        try check(
            learningRate > 0 && learningRate.isFinite, "learning rate",
            "must be positive, got \(learningRate)")
        try check(
            learningRateDecay > 0 && learningRateDecay <= 1, "learning-rate decay",
            "must be in (0, 1], got \(learningRateDecay)")
        try check(clip >= 0 && clip.isFinite, "clip", "must be 0 (off) or positive, got \(clip)")
        try check(patience >= 1, "patience", "must be at least 1, got \(patience)")
        try check(
            evaluationStreams >= 1, "evaluation streams",
            "must be at least 1, got \(evaluationStreams)")
    }
}

/// How far training has come within an epoch.
public struct CharacterLanguageModelProgress: Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The number of epochs planned.
    public var epochs: Int
    /// Characters predicted so far in this epoch.
    public var charactersDone: Int
    /// Characters predicted in a whole epoch.
    public var characterCount: Int
    /// Training speed in this epoch.
    public var charactersPerSecond: Double
    /// The mean training loss of this epoch so far, in bits per character.
    public var bitsPerCharacter: Double
    /// An estimate of the time left for this epoch.
    public var secondsRemaining: Double
}

/// What one epoch achieved.
public struct CharacterLanguageModelEpoch: Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The mean training loss, in bits per character.
    public var trainBitsPerCharacter: Double
    /// The dev score, if there is a dev text.
    public var dev: LanguageModelScore?
    /// Whether this epoch's model is the best so far (always, without a dev text).
    public var improved: Bool
    /// The epoch of the best model so far.
    public var bestEpoch: Int
    /// The best dev score so far.
    public var bestDev: LanguageModelScore?
    /// The learning rate used in this epoch.
    public var learningRate: Double
    /// Wall time of the epoch, dev scoring included.
    public var seconds: Double
    /// Training characters per second (dev scoring excluded).
    public var charactersPerSecond: Double
}

/// What the trainer reports while it runs.
public enum CharacterLanguageModelTrainingEvent: Sendable {
    /// After every chunk.
    case progress(CharacterLanguageModelProgress)
    /// After every epoch, with its dev score.
    case epochFinished(CharacterLanguageModelEpoch)
    /// Training stops: no better dev score for `patience` epochs.
    case stoppedEarly(epoch: Int)
}

/// The result of training.
public struct CharacterLanguageModelTrainingOutcome {
    /// The model of the epoch with the best dev score (the last epoch without a dev text).
    public var model: CharacterLanguageModel
    /// The epoch `model` comes from (0 if interrupted before the first epoch ended).
    public var bestEpoch: Int
    /// The dev score of `model`, if there is a dev text.
    public var bestDev: LanguageModelScore?
    /// Epochs completed.
    public var epochsRun: Int
    /// Whether `shouldStop` ended training early.
    public var interrupted: Bool
}

/// Trains a `CharacterLanguageModel` on one long text with truncated backpropagation
/// through time.
///
/// The text is one stream, not cut at sentences. It is cut into `streams` consecutive
/// pieces read side by side (the batch); each piece starts from the zero state with `<s>`
/// as its first input. Each update reads the next K1 steps of every piece from the state
/// the previous chunk ended in, and backpropagates through the last K2 of them; the
/// gradient is clipped by global norm and Adam takes a step. At each epoch the pieces start
/// at a new seeded offset (below K1), so chunk boundaries fall elsewhere. After each epoch
/// the dev text is scored; the best model is kept (and written to `outputPath`), the
/// learning rate is lowered after an epoch without improvement, and training stops after
/// `patience` such epochs in a row.
public struct CharacterLanguageModelTrainer {
    /// The options.
    public var options: CharacterLanguageModelTrainingOptions
    /// Called with progress and epoch results.
    public var onEvent: ((CharacterLanguageModelTrainingEvent) -> Void)?
    /// Polled after every chunk; returning `true` stops training with the best model so far.
    public var shouldStop: (() -> Bool)?
    /// Where the best model is written whenever it improves, if set.
    public var outputPath: String?

    /// A trainer with the given options.
    public init(options: CharacterLanguageModelTrainingOptions = .init()) {
        self.options = options
    }

    /// Trains on `text`, choosing the best epoch by bits per character on `dev`.
    public func train(text: String, dev: String? = nil) throws
        -> CharacterLanguageModelTrainingOutcome
    {
        try options.validate()
        let vocabulary = CharacterVocabulary(
            counting: text, minimumCount: options.minimumCharacterCount)
        let ids = vocabulary.encode(text)
        guard !ids.isEmpty else { throw LanguageModelError.emptyText(source: "the training text") }
        if let dev, dev.unicodeScalars.isEmpty {
            throw LanguageModelError.emptyText(source: "the dev text")
        }
        switch options.network.cell {
        case .lstm: return try run(LSTMCell<Float>.self, vocabulary, ids, dev)
        case .gru: return try run(GRUCell<Float>.self, vocabulary, ids, dev)
        case .rnn: return try run(RNNCell<Float>.self, vocabulary, ids, dev)
        }
    }

    private func run<Cell: RecurrentCell>(
        _: Cell.Type, _ vocabulary: CharacterVocabulary, _ ids: [Int], _ dev: String?
    ) throws -> CharacterLanguageModelTrainingOutcome where Cell.Scalar == Float {
        // The per-step products are small: one BLAS thread is faster than several.
        BLASThreads.set(1)
        let configuration = options.network
        var random = SeededRandom(seed: options.seed)
        var network = CharacterLanguageNetwork<Cell>(
            symbolCount: vocabulary.count, embeddingDimension: configuration.embeddingDimension,
            hiddenSize: configuration.hidden, layerCount: configuration.layers, random: &random)
        var adam = Adam<Float>(learningRate: Float(options.learningRate))
        let loss = SoftmaxCrossEntropy<Float>()
        let n = ids.count
        let streams = min(options.streams, n)
        let (k1, k2) = (options.chunkSteps, options.truncation)
        func model(_ network: CharacterLanguageNetwork<Cell>) -> CharacterLanguageModel {
            CharacterLanguageModel(
                configuration: configuration, vocabulary: vocabulary, network: network)
        }

        var best: (network: CharacterLanguageNetwork<Cell>, epoch: Int, dev: LanguageModelScore?)?
        var epochsRun = 0
        var sinceImprovement = 0
        var inputs: [Int] = []
        var targets: [Int] = []
        for epoch in 1...options.epochs {
            let started = Stopwatch.now()
            let maximumShift = min(k1 - 1, n - streams)
            let shift = epoch == 1 || maximumShift == 0 ? 0 : random.index(below: maximumShift + 1)
            let length = (n - shift) / streams
            let perEpoch = length * streams
            var states: [RecurrentState<Float>]?
            var (nats, counted, chunk) = (0.0, 0, 0)
            for first in stride(from: 0, to: length, by: k1) {
                let steps = min(k1, length - first)
                inputs.removeAll(keepingCapacity: true)
                targets.removeAll(keepingCapacity: true)
                for t in first..<(first + steps) {
                    for s in 0..<streams {
                        let position = shift + s * length + t
                        inputs.append(t == 0 ? CharacterVocabulary.startID : ids[position - 1])
                        targets.append(ids[position])
                    }
                }
                chunk += 1
                let r = network.forward(ids: inputs, streams: streams, states: states)
                let out = loss(logits: r.logits, targets: targets)
                guard out.loss.isFinite else {
                    throw TrainingError.nonFiniteLoss(
                        value: Double(out.loss), epoch: epoch, batch: chunk)
                }
                var gradient = network.backward(
                    out.gradient, cache: r.cache, truncatedTo: k2 < steps ? k2 : nil)
                if options.clip > 0 {
                    GradientClipping.clipByGlobalNorm(&gradient, maxNorm: Float(options.clip))
                }
                do {
                    try NumericCheck.ensureFinite(gradient: gradient)
                } catch let error as TrainingError {
                    throw error.at(epoch: epoch, batch: chunk)
                }
                adam.update(&network, along: gradient)
                states = r.states
                nats += Double(out.loss) * Double(out.count)
                counted += out.count
                if let onEvent {
                    let elapsed = Stopwatch.now() - started
                    let rate = Double(counted) / max(elapsed, 1e-9)
                    onEvent(
                        .progress(
                            CharacterLanguageModelProgress(
                                epoch: epoch, epochs: options.epochs, charactersDone: counted,
                                characterCount: perEpoch, charactersPerSecond: rate,
                                bitsPerCharacter: nats / Double(counted) / M_LN2,
                                secondsRemaining: Double(perEpoch - counted) / rate)))
                }
                if shouldStop?() == true {
                    let kept = best ?? (network, 0, nil)
                    if best == nil, let outputPath { try model(network).save(to: outputPath) }
                    return CharacterLanguageModelTrainingOutcome(
                        model: model(kept.network), bestEpoch: kept.epoch, bestDev: kept.dev,
                        epochsRun: epochsRun, interrupted: true)
                }
            }
            let trainingSeconds = Stopwatch.now() - started
            epochsRun = epoch
            let current = model(network)
            let score = try dev.map {
                try current.evaluate(
                    $0, streams: options.evaluationStreams, source: "the dev text")
            }
            let improved: Bool
            if let score, let previous = best?.dev {
                improved = score.bitsPerCharacter < previous.bitsPerCharacter
            } else {
                improved = true
            }
            if improved {
                best = (network, epoch, score)
                sinceImprovement = 0
                if let outputPath { try current.save(to: outputPath) }
            } else {
                sinceImprovement += 1
            }
            onEvent?(
                .epochFinished(
                    CharacterLanguageModelEpoch(
                        epoch: epoch, trainBitsPerCharacter: nats / Double(max(counted, 1)) / M_LN2,
                        dev: score, improved: improved, bestEpoch: best!.epoch, bestDev: best!.dev,
                        learningRate: Double(adam.learningRate),
                        seconds: Stopwatch.now() - started,
                        charactersPerSecond: Double(counted) / max(trainingSeconds, 1e-9))))
            if !improved {
                if sinceImprovement >= options.patience {
                    if epoch < options.epochs { onEvent?(.stoppedEarly(epoch: epoch)) }
                    break
                }
                adam.learningRate *= Float(options.learningRateDecay)
            }
        }
        let kept = best!
        return CharacterLanguageModelTrainingOutcome(
            model: model(kept.network), bestEpoch: kept.epoch, bestDev: kept.dev,
            epochsRun: epochsRun, interrupted: false)
    }
}

/// Reading the text a character language model trains on or is scored on.
public enum LanguageModelText {
    /// The whole file as one text: its lines joined by `\n` (CRLF and CR line ends become
    /// `\n`; a byte order mark is dropped). Invalid UTF-8 throws
    /// `TextInputError.invalidUTF8` with the line and byte offset; a file without a single
    /// character throws `LanguageModelError.emptyText`.
    public static func read(path: String) throws -> String {
        let reader = try LineReader(path: path)
        var bytes: [UInt8] = []
        try reader.forEach { line in
            bytes += line.bytes
            if line.terminator != .none { bytes.append(0x0A) }
        }
        guard !bytes.isEmpty else { throw LanguageModelError.emptyText(source: path) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
