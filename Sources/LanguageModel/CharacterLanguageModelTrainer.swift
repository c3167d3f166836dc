import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// How `CharacterLanguageModelTrainer` trains.
public struct CharacterLanguageModelTrainingOptions: Codable, Equatable, Sendable {
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
    /// Over the last this fraction of the planned training (`epochs` passes), the
    /// parameters after every update are averaged (Polyak averaging, as AWD-LSTM's averaged
    /// SGD); from the epoch in which the average begins, the average is what is scored on
    /// the dev text, kept and written, while training goes on updating the parameters
    /// themselves. `0`: no averaging.
    public var averageFraction = 0.0
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
            averageFraction >= 0 && averageFraction <= 1, "average fraction",
            "must be in [0, 1], got \(averageFraction)")
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
    /// The updates averaged into the model that was scored and possibly kept (0: the
    /// parameters after the epoch's last update; see `averageFraction`).
    public var averagedUpdates: Int
    /// With an average, the dev bits per character of the parameters after the epoch's last
    /// update, for comparison (not kept); `nil` otherwise.
    public var unaveragedDevBitsPerCharacter: Double?
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
    /// The model of the epoch with the best dev score (the last epoch without a dev text);
    /// with `averageFraction`, the average of the parameters if that epoch's was kept.
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
/// training stops after `patience` epochs in a row without a better dev score. With
/// `averageFraction`, the parameters are averaged over the updates of the last part of the
/// run, and from then on the average is scored and kept in place of the parameters.
public struct CharacterLanguageModelTrainer {
    /// The options.
    public var options: CharacterLanguageModelTrainingOptions
    /// Called with progress and epoch results.
    public var onEvent: ((CharacterLanguageModelTrainingEvent) -> Void)?
    /// Polled before every chunk; returning `true` writes a checkpoint (when
    /// `checkpointPath` is set) and stops training with the best model so far.
    public var shouldStop: (() -> Bool)?
    /// Where the best model is written whenever it improves, if set.
    public var outputPath: String?
    /// Where checkpoints are written (after each epoch and on a stop); removed after a
    /// finished run.
    public var checkpointPath: String?
    /// Continue from `checkpointPath` if it exists: the run then ends with the model the
    /// uninterrupted run gives (the options come from the checkpoint, but for `threads`).
    public var resume = false

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
        var options = options
        var checkpoint: TrainingCheckpoint<CharacterLanguageModelTrainingOptions>? = nil
        if resume, let checkpointPath, FileManager.default.fileExists(atPath: checkpointPath) {
            checkpoint = try TrainingCheckpoint.read(from: checkpointPath)
            let threads = options.threads
            options = checkpoint!.options
            options.threads = threads
            // The options come from a file: checked like the command line's.
            try options.validate()
        }
        let configuration = options.network
        var random = SeededRandom(seed: options.seed)
        var network = CharacterLanguageNetwork<Cell>(
            symbolCount: vocabulary.count, embeddingDimension: configuration.embeddingDimension,
            hiddenSize: configuration.hidden, layerCount: configuration.layers, random: &random)
        func model(_ network: CharacterLanguageNetwork<Cell>) -> CharacterLanguageModel {
            CharacterLanguageModel(
                configuration: configuration, vocabulary: vocabulary, network: network)
        }
        if let checkpoint {
            let saved = try CharacterLanguageModel(file: checkpoint.model, path: checkpointPath!)
            guard let restored = saved.network as? CharacterLanguageNetwork<Cell>,
                saved.vocabulary == vocabulary
            else {
                throw LanguageModelError.invalidOption(
                    name: "resume",
                    reason:
                        "the checkpoint \(checkpointPath!) was written for another text or network")
            }
            network = restored
        }
        var task = CharacterLanguageModelTask<Cell>(
            options: options, ids: ids, random: random, dev: dev, model: model,
            outputPath: outputPath)
        var loopOptions = TrainingLoopOptions(
            epochs: options.epochs, learningRate: options.learningRate)
        loopOptions.clip = options.clip
        loopOptions.patience = options.patience
        loopOptions.higherScoreIsBetter = false
        loopOptions.learningRate.linearDecayFraction = options.decayFraction
        loopOptions.learningRate.plateauDecay = options.learningRateDecay
        loopOptions.learningRate.plateauThreshold = options.annealingThreshold
        loopOptions.averageFraction = options.averageFraction
        var loop = TrainingLoop<CharacterLanguageModelTask<Cell>, Adam<Float>>(
            options: loopOptions, network: network,
            optimizer: Adam(learningRate: Float(options.learningRate)))
        if let checkpoint {
            do {
                try checkpoint.task.validateMatrices(prefix: "best.", against: network)
                try loop.resume(from: checkpoint.contents(network: network), task: &task)
            } catch let error as CheckpointError {
                throw error.at(path: checkpointPath!)
            }
            task.restoreBest(shapedLike: network)
        }
        loop.shouldStop = shouldStop
        if let checkpointPath {
            let saved = options
            loop.saveCheckpoint = { contents in
                try TrainingCheckpoint(
                    model: try model(contents.network).modelFile(), options: saved,
                    contents: contents
                ).write(to: checkpointPath)
            }
        }
        let onEvent = self.onEvent
        let epochs = options.epochs
        // The dev score of each epoch, as the task computed it.
        let scores = task.scores
        loop.onEvent = { event in
            guard let onEvent else { return }
            switch event {
            case .progress(let epoch, _, _, let units, let total, let rate, let loss, let remaining):
                onEvent(
                    .progress(
                        CharacterLanguageModelProgress(
                            epoch: epoch, epochs: epochs, charactersDone: units,
                            characterCount: total, charactersPerSecond: rate,
                            bitsPerCharacter: loss / M_LN2, secondsRemaining: remaining)))
            case .epochFinished(let e):
                onEvent(
                    .epochFinished(
                        CharacterLanguageModelEpoch(
                            epoch: e.epoch, trainBitsPerCharacter: e.loss / M_LN2,
                            dev: scores.latest, averagedUpdates: e.averagedUpdates,
                            unaveragedDevBitsPerCharacter: e.unaveragedScore,
                            improved: e.improved, bestEpoch: e.bestEpoch,
                            bestDev: scores.best, learningRate: e.learningRate,
                            seconds: e.seconds, charactersPerSecond: e.unitsPerSecond)))
            case .checkpointSaved: break
            case .stoppedEarly(let epoch): onEvent(.stoppedEarly(epoch: epoch))
            }
        }
        let interrupted: Bool
        do {
            interrupted = try loop.run(&task)
        } catch let error as CheckpointError {
            // Only a resumed run's place can disagree with its epoch's plan.
            throw error.at(path: checkpointPath ?? "")
        }
        if !interrupted {
            TrainingCheckpoint<CharacterLanguageModelTrainingOptions>.remove(checkpointPath)
        }
        let kept = task.best ?? loop.network
        return CharacterLanguageModelTrainingOutcome(
            model: model(kept), bestEpoch: loop.state.bestEpoch, bestDev: scores.best,
            epochsRun: interrupted ? loop.state.epoch - 1 : min(loop.state.epoch - 1, epochs),
            interrupted: interrupted)
    }
}

/// The dev scores of a character language model's training: the latest epoch's and the
/// best.
final class LanguageModelScores {
    var latest: LanguageModelScore?
    var best: LanguageModelScore?
}

/// The training task of the character language model: the text cut into `streams` pieces
/// read side by side, from a seeded offset per epoch, chunk after chunk with the state
/// carried from one to the next; the dev text's bits per character pick the best epoch.
/// Its random generator, the carried states and the best network go into checkpoints.
struct CharacterLanguageModelTask<Cell: RecurrentCell>: TrainingTask where Cell.Scalar == Float {
    typealias Network = CharacterLanguageNetwork<Cell>

    let options: CharacterLanguageModelTrainingOptions
    let ids: [Int]
    let dev: String?
    let model: (Network) -> CharacterLanguageModel
    let outputPath: String?
    let scores = LanguageModelScores()
    var random: SeededRandom
    /// The generator as the epoch started, and the place to continue from after a resume.
    var epochStart: SeededRandom
    var pending: (random: SeededRandom, states: [[RecurrentState<Float>]?])?
    /// Whether the current epoch's last chunk has run: a checkpoint taken then continues
    /// with the next epoch, which draws its offset from `random` and starts from zero states.
    var epochComplete = false
    /// The chunks of the current epoch.
    var batchCount = 0
    var best: Network?
    let streams: Int
    let halves: [Range<Int>]
    var shift = 0, length = 0
    var states: [[RecurrentState<Float>]?]

    init(
        options: CharacterLanguageModelTrainingOptions, ids: [Int], random: SeededRandom,
        dev: String?, model: @escaping (Network) -> CharacterLanguageModel, outputPath: String?
    ) {
        self.options = options
        self.ids = ids
        self.random = random
        self.epochStart = random
        self.dev = dev
        self.model = model
        self.outputPath = outputPath
        streams = min(options.streams, ids.count)
        halves =
            options.threads == 2 && streams >= 2
            ? [0..<(streams / 2), (streams / 2)..<streams] : [0..<streams]
        states = halves.map { _ in nil }
    }

    mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int) {
        epochComplete = false
        epochStart = random
        let (n, k1) = (ids.count, options.chunkSteps)
        let maximumShift = min(k1 - 1, n - streams)
        shift = epoch == 1 || maximumShift == 0 ? 0 : random.index(below: maximumShift + 1)
        length = (n - shift) / streams
        // Each half of the streams keeps its own state and runs on its own thread.
        states = halves.map { _ in nil }
        if let pending {
            random = pending.random
            if pending.states.count == halves.count { states = pending.states }
            self.pending = nil
        }
        batchCount = (length + k1 - 1) / k1
        return (batchCount, length * streams)
    }

    mutating func batch(_ index: Int, network: Network) -> TrainingBatch<Float> {
        let k1 = options.chunkSteps
        let first = index * k1
        let window = ChunkWindow(
            ids: ids, shift: shift, length: length, first: first, steps: min(k1, length - first))
        let seeds = (random.next(), random.next())
        let states = self.states
        let halves = self.halves
        let (k2, dropout) = (options.truncation, options.dropout)
        func half(_ h: Int, seed: UInt64) -> CharacterChunkGradient<Cell> {
            window.run(
                network, streams: halves[h], from: states[h], k2: k2, dropout: dropout, seed: seed)
        }
        var (a, b): (CharacterChunkGradient<Cell>?, CharacterChunkGradient<Cell>?) = (nil, nil)
        if halves.count == 2 {
            TwoThreads.run({ a = half(0, seed: seeds.0) }, { b = half(1, seed: seeds.1) })
        } else {
            a = half(0, seed: seeds.0)
        }
        self.states[0] = a!.states
        if let b { self.states[1] = b.states }
        if index + 1 == batchCount { epochComplete = true }
        // Both halves' losses are means: `combined` weighs them by their characters.
        let out = b.map { a!.combined(with: $0) } ?? a!
        return TrainingBatch(
            loss: out.loss, gradients: ParameterGradients(out.gradient),
            lossWeight: Double(out.count), units: out.count)
    }

    mutating func score(_ network: Network) throws -> Double? {
        scores.latest = try dev.map {
            try model(network).evaluate(
                $0, streams: options.evaluationStreams, source: "the dev text")
        }
        return scores.latest?.bitsPerCharacter
    }

    mutating func keepBest(_ network: Network, epoch: Int) throws {
        best = network
        scores.best = scores.latest
        if let outputPath { try model(network).save(to: outputPath) }
    }

    func checkpointState() -> TrainingTaskState<Float> {
        var state = TrainingTaskState<Float>()
        // After an epoch's last chunk the run goes on with the next epoch, as a fresh one:
        // no states carried, its offset drawn from the generator as it is now.
        if epochComplete {
            state.generators = ["random": random]
            state.numbers["epochComplete"] = 1
        } else {
            state.generators = ["epochStart": epochStart, "random": random]
        }
        for (h, half) in (epochComplete ? [] : states).enumerated() {
            for (l, layer) in (half ?? []).enumerated() {
                state.matrices["state.\(h).\(l).h"] = layer.hidden
                if let cell = layer.cell { state.matrices["state.\(h).\(l).c"] = cell }
            }
        }
        if var best {
            best.visitParameters { name, matrix in state.matrices["best." + name] = matrix }
        }
        if let score = scores.best {
            state.numbers["best.characters"] = Double(score.characters)
            state.numbers["best.logProbability"] = score.logProbability
        }
        return state
    }

    mutating func restore(_ state: TrainingTaskState<Float>) throws {
        if state.numbers["epochComplete"] == 1 {
            // The next epoch starts as in the uninterrupted run.
            if let saved = state.generators["random"] { random = saved }
            pending = nil
            restoreScores(state)
            return
        }
        if let start = state.generators["epochStart"] { random = start }
        var saved: [[RecurrentState<Float>]?] = halves.map { _ in nil }
        for h in halves.indices {
            var layers: [RecurrentState<Float>] = []
            while let hidden = state.matrices["state.\(h).\(layers.count).h"] {
                layers.append(
                    RecurrentState(
                        hidden: hidden, cell: state.matrices["state.\(h).\(layers.count).c"]))
            }
            if !layers.isEmpty { saved[h] = layers }
        }
        pending = (state.generators["random"] ?? random, saved)
        restoreScores(state)
    }

    /// The best score and network of a checkpoint.
    private mutating func restoreScores(_ state: TrainingTaskState<Float>) {
        if let characters = state.numbers["best.characters"],
            let logProbability = state.numbers["best.logProbability"]
        {
            scores.best = LanguageModelScore(
                characters: Int(characters), logProbability: logProbability)
        }
        bestMatrices = state.matrices.filter { $0.key.hasPrefix("best.") }
    }

    /// The best network's matrices read from a checkpoint, put into `best` by `restoreBest`.
    var bestMatrices: [String: Matrix<Float>] = [:]

    /// `network` with the best matrices of a checkpoint, if it had any.
    mutating func restoreBest(shapedLike network: Network) {
        guard !bestMatrices.isEmpty else { return }
        var restored = network
        restored.visitParameters { name, matrix in
            if let m = bestMatrices["best." + name] { matrix = m }
        }
        best = restored
        bestMatrices = [:]
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
