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
    public var chunkSteps = 32
    /// K2: backpropagation runs through the last this many steps of each chunk (`nil`:
    /// all K1). At most K1.
    public var backpropagationSteps: Int?
    /// Dropout on the embedding and on every layer's output (not on the state carried
    /// from step to step) while training.
    public var dropout = 0.2
    /// Passes over the training text.
    public var epochs = 10
    /// Adam's step size (its peak: see `decayFraction`).
    public var learningRate = 0.005
    /// Over the last this fraction of the planned training (`epochs` passes), the
    /// learning rate falls linearly, update by update, from `learningRate` towards zero at
    /// the end of the last epoch; before that it is constant. `0` keeps it constant.
    public var decayFraction = 0.4
    /// Once an epoch improves the dev bits per character by less than
    /// `annealingThreshold` (relative), the learning rate is also multiplied by this after
    /// that epoch and every later one (`1`: never lowered this way).
    public var learningRateDecay = 1.0
    /// The relative dev improvement below which the learning rate starts to decay.
    public var annealingThreshold = 0.01
    /// The global gradient norm is clipped to this; `0` disables clipping.
    public var clip = 5.0
    /// Stop after this many epochs without a better dev score.
    public var patience = 3
    /// Seed of the initial weights, the dropout masks and the per-epoch offset of the
    /// streams.
    public var seed: UInt64 = 1
    /// 2 splits the streams into two halves computed at once on two threads (their
    /// gradients combined before each update); 1 runs on the calling thread alone.
    public var threads = 2
    /// Streams the dev text is scored in (`1` scores it exactly, as `tagger eval` does).
    public var evaluationStreams = 1

    /// The default options: 1 × LSTM 256 over a 64-column embedding, 32 streams on two
    /// threads, K1 = K2 = 32, dropout 0.2, Adam 0.005 falling linearly to zero over the last
    /// 40% of 10 epochs, clip 5.
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
        try check(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1), got \(dropout)")
        try check(epochs >= 1, "epochs", "must be at least 1, got \(epochs)")
        try check(
            learningRate > 0 && learningRate.isFinite, "learning rate",
            "must be positive, got \(learningRate)")
        try check(
            decayFraction >= 0 && decayFraction <= 1, "learning-rate decay fraction",
            "must be in [0, 1], got \(decayFraction)")
        try check(
            learningRateDecay > 0 && learningRateDecay <= 1, "learning-rate decay",
            "must be in (0, 1], got \(learningRateDecay)")
        try check(
            annealingThreshold >= 0 && annealingThreshold < 1, "annealing threshold",
            "must be in [0, 1), got \(annealingThreshold)")
        try check(clip >= 0 && clip.isFinite, "clip", "must be 0 (off) or positive, got \(clip)")
        try check(patience >= 1, "patience", "must be at least 1, got \(patience)")
        try check(threads == 1 || threads == 2, "threads", "must be 1 or 2, got \(threads)")
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
    /// The learning rate of the epoch's last update.
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
/// the dev text is scored; the best model is kept (and written to `outputPath`). The
/// learning rate is constant, then falls linearly towards zero over the last
/// `decayFraction` of the planned epochs; once an epoch improves the dev score by less than
/// `annealingThreshold`, it is also multiplied by `learningRateDecay` after every epoch;
/// training stops after `patience` epochs in a row without a better dev score.
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
        var annealing = false
        // The learning rate before the scheduled decay: lowered by `learningRateDecay`.
        var baseRate = options.learningRate
        let halves =
            options.threads == 2 && streams >= 2
            ? [0..<(streams / 2), (streams / 2)..<streams] : [0..<streams]
        for epoch in 1...options.epochs {
            let started = Stopwatch.now()
            let maximumShift = min(k1 - 1, n - streams)
            let shift = epoch == 1 || maximumShift == 0 ? 0 : random.index(below: maximumShift + 1)
            let length = (n - shift) / streams
            let perEpoch = length * streams
            // Each half of the streams keeps its own state and runs on its own thread.
            var states: [[RecurrentState<Float>]?] = halves.map { _ in nil }
            var (nats, counted, chunk) = (0.0, 0, 0)
            for first in stride(from: 0, to: length, by: k1) {
                let steps = min(k1, length - first)
                let window = ChunkWindow(
                    ids: ids, shift: shift, length: length, first: first, steps: steps)
                chunk += 1
                var (a, b): (CharacterChunkGradient<Cell>?, CharacterChunkGradient<Cell>?) = (
                    nil, nil
                )
                let seeds = (random.next(), random.next())
                func half(_ h: Int, seed: UInt64) -> CharacterChunkGradient<Cell> {
                    window.run(
                        network, streams: halves[h], from: states[h], k2: k2,
                        dropout: options.dropout, seed: seed)
                }
                if halves.count == 2 {
                    TwoThreads.run({ a = half(0, seed: seeds.0) }, { b = half(1, seed: seeds.1) })
                } else {
                    a = half(0, seed: seeds.0)
                }
                states[0] = a!.states
                if let b { states[1] = b.states }
                // Both halves' losses are means: `combined` weighs them by their characters.
                let out = b.map { a!.combined(with: $0) } ?? a!
                guard out.loss.isFinite else {
                    throw TrainingError.nonFiniteLoss(
                        value: Double(out.loss), epoch: epoch, batch: chunk)
                }
                var gradient = out.gradient
                if options.clip > 0 {
                    GradientClipping.clipByGlobalNorm(&gradient, maxNorm: Float(options.clip))
                }
                do {
                    try NumericCheck.ensureFinite(gradient: gradient)
                } catch let error as TrainingError {
                    throw error.at(epoch: epoch, batch: chunk)
                }
                // Where this update falls in the planned training, from 0 to 1.
                let progress =
                    (Double(epoch - 1) + Double(counted) / Double(max(perEpoch, 1)))
                    / Double(options.epochs)
                let f = options.decayFraction
                let scheduled = f > 0 && progress > 1 - f ? max(0, (1 - progress) / f) : 1
                adam.learningRate = Float(baseRate * scheduled)
                adam.update(&network, along: gradient)
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
                let gain = 1 - score.bitsPerCharacter / previous.bitsPerCharacter
                if gain < options.annealingThreshold { annealing = true }
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
            if sinceImprovement >= options.patience {
                if epoch < options.epochs { onEvent?(.stoppedEarly(epoch: epoch)) }
                break
            }
            if annealing { baseRate *= options.learningRateDecay }
        }
        let kept = best!
        return CharacterLanguageModelTrainingOutcome(
            model: model(kept.network), bestEpoch: kept.epoch, bestDev: kept.dev,
            epochsRun: epochsRun, interrupted: false)
    }
}

/// The K1 steps of one chunk of the training streams.
private struct ChunkWindow {
    let ids: [Int]
    let shift: Int
    /// Characters per stream.
    let length: Int
    let first: Int
    let steps: Int

    /// Forward and backward over `streams` (a range of the stream indices) from `states`.
    func run<Cell: RecurrentCell>(
        _ network: CharacterLanguageNetwork<Cell>, streams: Range<Int>,
        from states: [RecurrentState<Float>]?, k2: Int, dropout: Double, seed: UInt64
    ) -> CharacterChunkGradient<Cell> where Cell.Scalar == Float {
        var inputs: [Int] = []
        var targets: [Int] = []
        inputs.reserveCapacity(steps * streams.count)
        targets.reserveCapacity(steps * streams.count)
        for t in first..<(first + steps) {
            for s in streams {
                let position = shift + s * length + t
                inputs.append(t == 0 ? CharacterVocabulary.startID : ids[position - 1])
                targets.append(ids[position])
            }
        }
        var random = SeededRandom(seed: seed)
        return network.chunkGradient(
            inputs: inputs, targets: targets, streams: streams.count, states: states,
            truncatedTo: k2, dropout: dropout, random: &random)
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
