import ArgumentParser
import Benchmarks
import Foundation
import NeuralNetwork
import Tagging
import Text
import Tokenization

#if canImport(Glibc)
    import Glibc
#endif

extension TagScheme: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension CorpusFormat: ExpressibleByArgument {}
extension PoolingKind: ExpressibleByArgument {}
extension WordMismatchPolicy: ExpressibleByArgument {}
extension PretrainedVectors.UnknownWordPolicy: ExpressibleByArgument {}

/// Set by the SIGINT handler; polled by the trainers between batches.
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0

/// The options that `tagger train pos`, `ner` and `sentiment` (the neural taggers and
/// the classifier) share, with the defaults they share.
struct ModelTrainingOptions: ParsableArguments {
    @Option(help: "The training file (never the dev or test split).")
    var train: String

    @Option(help: "The dev file, for model selection only (never the test split).")
    var dev: String

    @Option(help: "Where to write the model.")
    var output: String

    @Option(
        help:
            "Input format: conllu, conll, iob2 or sentiment (default: from the task and extension)."
    )
    var format: CorpusFormat?

    @Option(help: "Passes over the training data at most.")
    var epochs = 20

    @Option(help: "The optimizer's step size.")
    var learningRate = 0.001

    @Option(help: "Seed of initialisation, shuffling and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Recurrent cell: lstm, gru or rnn.")
    var cell: CellKind = .lstm

    @Option(help: "Stacked bidirectional layers.")
    var layers = 1

    @Option(help: "Hidden units per direction.")
    var hidden = 128

    @Option(help: "Dropout probability.")
    var dropout = 0.5

    @Option(help: "Word embedding size (ignored with --embeddings).")
    var wordDim = 100

    @Option(help: "Character embedding size; 0 disables the character BiLSTM.")
    var charDim = 25

    @Option(help: "Character BiLSTM units per direction.")
    var charHidden = 25

    @Option(help: "Capitalisation-shape feature size; 0 disables it.")
    var shapeDim = 0

    @Flag(
        help:
            "Look words up lowercased in the word embedding (characters keep their case); for uncased vectors such as GloVe 6B."
    )
    var lowercaseWords = false

    @Option(help: "Sentences per batch.")
    var batchSize = 32

    @Option(help: "Optimizer: adam or sgd.")
    var optimizer: OptimizerKind = .adam

    @Option(help: "Clip the global gradient norm to this value (0: no clipping).")
    var clip = 5.0

    @Option(help: "Threads (2: each batch is split in two halves computed at once).")
    var threads = 2

    @Option(help: "Stop after this many epochs without a better dev score.")
    var patience = 5

    @Option(help: "Pretrained word vectors (word2vec, GloVe or fastText; .gz allowed).")
    var embeddings: String?

    @Option(help: "Read at most this many pretrained vectors.")
    var embeddingsLimit = 200_000

    @Option(
        help:
            "A shared vector table in the output's folder (see `tagger vectors table`): its vectors initialise the word embedding (instead of --embeddings) and the model reads the rows training left unchanged from it."
    )
    var sharedVectors: String?

    @Option(help: "Vectors for vocabulary words without a pretrained one: random, zero or average.")
    var unknownWords: PretrainedVectors.UnknownWordPolicy = .random

    @OptionGroup var session: TrainingRunOptions

    /// Checks the values and that the output can be written.
    func validate() throws {
        guard layers >= 1, hidden >= 1, batchSize >= 1, threads >= 1, epochs >= 1 else {
            throw ValidationError(
                "--layers, --hidden, --batch-size, --threads and --epochs must be positive.")
        }
        guard dropout >= 0, dropout < 1 else {
            throw ValidationError("--dropout must be in [0, 1).")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--learning-rate must be positive.")
        }
        guard clip >= 0, patience >= 1, wordDim >= 1, charDim >= 0, charHidden >= 1,
            shapeDim >= 0, embeddingsLimit >= 1
        else {
            throw ValidationError(
                "--clip, --char-dim and --shape-dim must not be negative; --patience, --word-dim, --char-hidden and --embeddings-limit must be positive."
            )
        }
        guard embeddings == nil || sharedVectors == nil else {
            throw ValidationError("Give --embeddings or --shared-vectors, not both.")
        }
        try checkWritableOutput(output)
    }

    /// The training options these values give.
    var trainingOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.seed = seed
        options.learningRate = learningRate
        options.batchSize = batchSize
        options.optimizer = optimizer
        options.clip = clip
        options.threads = threads
        options.patience = patience
        return options
    }

    /// The network these values give (`crf` and `pooling` are the task's).
    var network: NetworkConfiguration {
        var network = NetworkConfiguration()
        network.cell = cell
        network.layers = layers
        network.hidden = hidden
        network.dropout = dropout
        network.embedder.wordDimension = wordDim
        network.embedder.characterDimension = charDim
        network.embedder.characterHidden = charHidden
        network.embedder.shapeDimension = shapeDim
        network.embedder.lowercase = lowercaseWords
        return network
    }

    /// The resolved options `--print-options` shows for every task (`network`'s values).
    func resolvedOptions(network: NetworkConfiguration) -> [String: String] {
        let options = trainingOptions
        return [
            "epochs": "\(options.epochs)", "learning-rate": "\(options.learningRate)",
            "seed": "\(options.seed)", "batch-size": "\(options.batchSize)",
            "optimizer": options.optimizer.rawValue, "clip": "\(options.clip)",
            "threads": "\(options.threads)", "patience": "\(options.patience)",
            "cell": network.cell.rawValue, "layers": "\(network.layers)",
            "hidden": "\(network.hidden)", "dropout": "\(network.dropout)",
            "word-dim": "\(network.embedder.wordDimension)",
            "char-dim": "\(network.embedder.characterDimension)",
            "char-hidden": "\(network.embedder.characterHidden)",
            "shape-dim": "\(network.embedder.shapeDimension)",
            "lowercase-words": "\(network.embedder.lowercase)",
            "embeddings-limit": "\(embeddingsLimit)", "unknown-words": unknownWords.rawValue,
        ]
    }

    /// Trains a POS or NER tagger or a sentiment classifier with `network`.
    func run(
        task: TaggingTask, network: NetworkConfiguration, tagColumn: Int?, scheme: TagScheme?
    ) throws {
        var resolved = resolvedOptions(network: network)
        if task == .sentiment { resolved["pooling"] = network.pooling.rawValue }
        if task != .sentiment { resolved["crf"] = "\(network.crf)" }
        if let scheme { resolved["tag-scheme"] = scheme.rawValue }
        try train(resolved: resolved) { trainer, err in
            let fileFormat = format ?? CorpusFormat.infer(path: train, task: task)
            let devFormat = format ?? CorpusFormat.infer(path: dev, task: task)
            if task == .sentiment {
                // The texts as the bundled tokenizer cuts them: the words `tagger classify` and
                // `tagger eval` give the model.
                let trainData = try TrainingData.readLabelled(
                    path: train, format: fileFormat, tokenizer: .english)
                let devData = try TrainingData.readLabelled(
                    path: dev, format: devFormat, tokenizer: .english)
                print(
                    "training on \(trainData.count) sentences, dev \(devData.count) sentences",
                    to: &err)
                let outcome = try trainer.trainClassifier(
                    network: network, train: trainData, dev: devData)
                return (outcome.interrupted, outcome.bestScore)
            }
            let trainData = try TrainingData.readTagged(
                path: train, format: fileFormat, tagColumn: tagColumn)
            let devData = try TrainingData.readTagged(
                path: dev, format: devFormat, tagColumn: tagColumn)
            let tokens = trainData.reduce(0) { $0 + $1.words.count }
            print(
                "training on \(trainData.count) sentences (\(tokens) tokens), dev \(devData.count) sentences",
                to: &err)
            let outcome = try trainer.trainTagger(
                task: task, network: network, train: trainData, dev: devData, scheme: scheme)
            return (outcome.interrupted, outcome.bestScore)
        }
    }

    /// Prints `resolved` for `--print-options`, or sets up a `Trainer` (output, checkpoint,
    /// pretrained vectors, Ctrl-C, progress) and runs `body` with it, then reports the run.
    func train(
        resolved: [String: String],
        _ body: (inout Trainer, inout StandardError) throws -> (interrupted: Bool, best: Double)
    ) throws {
        StandardError.openMissingDescriptors()
        if session.printOptions { return try printResolvedOptions(resolved) }
        var trainer = Trainer(options: trainingOptions)
        trainer.outputPath = output
        trainer.checkpointPath = session.checkpointPath(output: output)
        trainer.resume = session.resume
        trainer.trainSource = train
        trainer.devSource = dev
        trainer.unknownWordPolicy = unknownWords
        var err = StandardError()
        if let embeddings {
            let start = Stopwatch.now()
            trainer.pretrained = try PretrainedVectors.load(
                path: embeddings, limit: embeddingsLimit)
            print(
                "read \(trainer.pretrained!.words.count) vectors of \(trainer.pretrained!.dimension) dimensions from \(embeddings) in \(String(format: "%.1f", Stopwatch.now() - start)) s",
                to: &err)
        }
        if let sharedVectors {
            let table = try SharedVectorTable.shared(at: sharedVectors)
            guard table.isBeside(modelPath: output) else {
                throw SharedVectorsError.tableNotBesideModel(model: output, table: sharedVectors)
            }
            trainer.sharedVectors = table
            trainer.pretrained = table.vectors
            print(
                "read \(table.words.count) vectors of \(table.dimension) dimensions from \(sharedVectors)",
                to: &err)
        }
        Interruption.start()
        defer { Interruption.stop() }
        trainer.shouldStop = Interruption.requested
        let bar = ProgressBar(enabled: !session.quiet)
        trainer.onEvent = { bar.handle($0) }
        let started = Stopwatch.now()
        let (interrupted, best) = try body(&trainer, &err)
        if interrupted { try Interruption.exit(checkpoint: trainer.checkpointPath!) }
        print(
            String(
                format: "done in %.0f s; best dev score %.2f; model written to %@",
                Stopwatch.now() - started, 100 * best, output),
            to: &err)
    }
}

/// The options of every neural training command that concern the run rather than the
/// model: checkpoints, resuming, progress and `--print-options`.
struct TrainingRunOptions: ParsableArguments {
    @Option(
        help:
            "Checkpoint file (default: OUTPUT.checkpoint); written each epoch and on Ctrl-C, removed after a finished run."
    )
    var checkpoint: String?

    @Flag(help: "Resume from the checkpoint.")
    var resume = false

    @Flag(help: "No progress display.")
    var quiet = false

    @Flag(help: "Print the resolved options as JSON and exit without training.")
    var printOptions = false

    /// `--checkpoint`, or `OUTPUT.checkpoint`.
    func checkpointPath(output: String) -> String { checkpoint ?? output + ".checkpoint" }
}

/// Ctrl-C while training: the SIGINT handler sets a flag that the trainers poll between
/// batches; they then write a checkpoint and stop.
enum Interruption {
    /// Installs the handler.
    static func start() {
        interruptRequested = 0
        signal(SIGINT) { _ in interruptRequested = 1 }
    }

    /// Restores the default handler.
    static func stop() { signal(SIGINT, SIG_DFL) }

    /// Whether Ctrl-C was pressed since `start`.
    static func requested() -> Bool { interruptRequested != 0 }

    /// Says where the checkpoint is and how to continue, and exits with status 130.
    static func exit(checkpoint: String) throws -> Never {
        var err = StandardError()
        print(
            "\ninterrupted: checkpoint saved to \(checkpoint); continue with the same command and --resume",
            to: &err)
        throw ExitCode(130)
    }
}

/// A one-line progress bar on stderr, redrawn at most five times a second.
final class ProgressBar {
    let enabled: Bool
    var lastDraw = 0.0
    var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }

    func handle(_ event: TrainingEvent) {
        var err = StandardError()
        switch event {
        case .progress(let p):
            guard enabled else { return }
            let now = Stopwatch.now()
            guard now - lastDraw >= 0.2 || p.sentencesDone == p.sentenceCount else { return }
            lastDraw = now
            let width = 24
            let filled = p.sentenceCount == 0 ? width : width * p.sentencesDone / p.sentenceCount
            let bar =
                String(repeating: "=", count: filled)
                + String(repeating: " ", count: width - filled)
            print(
                String(
                    format: "\repoch %d/%d [%@] %d/%d sentences  %.0f tokens/s  loss %.4f  ETA %@ ",
                    p.epoch, p.epochs, bar, p.sentencesDone, p.sentenceCount, p.tokensPerSecond,
                    p.runningLoss,
                    Self.duration(p.secondsRemaining)), terminator: "", to: &err)
            drawn = true
        case .epochFinished(let s):
            if drawn { print("", to: &err) }
            drawn = false
            print(
                String(
                    format:
                        "epoch %d: loss %.4f, dev %.2f%@ (best %.2f at epoch %d), %.1f s, %.0f training tokens/s",
                    s.epoch, s.loss, 100 * s.devScore, s.improved ? " *saved*" : "",
                    100 * s.bestScore, s.bestEpoch,
                    s.seconds, s.tokensPerSecond), to: &err)
        case .checkpointSaved:
            break
        case .stoppedEarly(let epoch):
            print(
                "stopping early after epoch \(epoch): no better dev score for the patience window",
                to: &err)
        }
    }
}
