import ArgumentParser
import Foundation
import NeuralNetwork
import Tagging
import Text

#if canImport(Glibc)
    import Glibc
#endif

extension TagScheme: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension CorpusFormat: ExpressibleByArgument {}
extension PoolingKind: ExpressibleByArgument {}
extension PretrainedVectors.UnknownWordPolicy: ExpressibleByArgument {}

/// Set by the SIGINT handler; polled by the trainer between batches.
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0

/// The options of `tagger train --task pos|ner|sentiment` (the neural taggers and classifier).
/// `--epochs`, `--seed` and `--learning-rate` are shared with the sentence splitter's group.
struct ModelTrainingOptions: ParsableArguments {
    @Option(
        help:
            "Input format: conllu, conll, iob2 or sentiment (default: from the task and extension)."
    )
    var format: CorpusFormat?

    @Option(
        help:
            "The tag column, counted from 1 (default: UPOS for CoNLL-U, the last column otherwise)."
    )
    var tagColumn: Int?

    @Option(help: "NER tag scheme of the files: iob1, iob2 or bioes (default iob2).")
    var tagScheme: TagScheme?

    @Option(help: "Recurrent cell: lstm, gru or rnn.")
    var cell: CellKind = .lstm

    @Option(help: "Stacked bidirectional layers.")
    var layers = 1

    @Option(help: "Hidden units per direction.")
    var hidden = 128

    @Flag(inversion: .prefixedNo, help: "Decode with a CRF (default: on for ner, off for pos).")
    var crf: Bool?

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

    @Option(help: "Sentence pooling for sentiment: final, mean or max.")
    var pooling: PoolingKind = .max

    @Option(help: "Sentences per batch.")
    var batchSize = 32

    @Option(help: "Optimizer: adam or sgd.")
    var optimizer: OptimizerKind = .adam

    @Option(help: "Clip the global gradient norm to this value (0: no clipping).")
    var clip = 5.0

    @Option(help: "Threads (2: the two directions of each layer run concurrently).")
    var threads = 2

    @Option(help: "Stop after this many epochs without a better dev score.")
    var patience = 5

    @Option(help: "Pretrained word vectors (word2vec, GloVe or fastText; .gz allowed).")
    var embeddings: String?

    @Option(help: "Read at most this many pretrained vectors.")
    var embeddingsLimit = 200_000

    @Option(help: "Vectors for vocabulary words without a pretrained one: random, zero or average.")
    var unknownWords: PretrainedVectors.UnknownWordPolicy = .random

    @Option(help: "Checkpoint file (default: OUTPUT.checkpoint); written each epoch and on Ctrl-C.")
    var checkpoint: String?

    @Flag(help: "Resume from the checkpoint.")
    var resume = false

    @Flag(help: "No progress bar.")
    var quiet = false

    /// The value of `name` when given on the command line, else `fallback`.
    static func given<T>(_ name: String, _ value: T, default fallback: T) -> T {
        CommandLine.arguments.contains { $0 == name || $0.hasPrefix(name + "=") } ? value : fallback
    }

    /// Trains a POS or NER tagger or a sentiment classifier.
    func run(
        task: TaggingTask, train: String, dev: String?, output: String, epochs: Int, seed: UInt64,
        learningRate: Double
    ) throws {
        guard let dev else {
            throw ValidationError("--task \(task.rawValue) needs --dev (to select the best epoch)")
        }
        guard layers >= 1, hidden >= 1, batchSize >= 1, threads >= 1, epochs >= 1 else {
            throw ValidationError(
                "--layers, --hidden, --batch-size, --threads and --epochs must be positive")
        }
        guard dropout >= 0, dropout < 1 else {
            throw ValidationError("--dropout must be in [0, 1)")
        }
        var options = TrainingOptions()
        options.epochs = epochs
        options.seed = seed
        options.learningRate = learningRate
        options.batchSize = batchSize
        options.optimizer = optimizer
        options.clip = clip
        options.threads = threads
        options.patience = patience

        var network = NetworkConfiguration()
        network.cell = cell
        network.layers = layers
        network.hidden = hidden
        network.dropout = dropout
        network.crf = crf ?? (task == .ner)
        network.pooling = pooling
        network.embedder.wordDimension = wordDim
        network.embedder.characterDimension = charDim
        network.embedder.characterHidden = charHidden
        network.embedder.shapeDimension = shapeDim
        network.embedder.lowercase = lowercaseWords

        var trainer = Trainer(options: options)
        trainer.outputPath = output
        trainer.checkpointPath = checkpoint ?? output + ".checkpoint"
        trainer.resume = resume
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
        signal(SIGINT) { _ in interruptRequested = 1 }
        trainer.shouldStop = { interruptRequested != 0 }
        let bar = ProgressBar(enabled: !quiet)
        trainer.onEvent = { bar.handle($0) }

        let fileFormat = format ?? CorpusFormat.infer(path: train, task: task)
        let devFormat = format ?? CorpusFormat.infer(path: dev, task: task)
        let started = Stopwatch.now()
        let interrupted: Bool
        let best: Double
        if task == .sentiment {
            let trainData = try TrainingData.readLabelled(path: train, format: fileFormat)
            let devData = try TrainingData.readLabelled(path: dev, format: devFormat)
            print(
                "training on \(trainData.count) sentences, dev \(devData.count) sentences", to: &err
            )
            let outcome = try trainer.trainClassifier(
                network: network, train: trainData, dev: devData)
            (interrupted, best) = (outcome.interrupted, outcome.bestScore)
        } else {
            let trainData = try TrainingData.readTagged(
                path: train, format: fileFormat, tagColumn: tagColumn)
            let devData = try TrainingData.readTagged(
                path: dev, format: devFormat, tagColumn: tagColumn)
            let tokens = trainData.reduce(0) { $0 + $1.words.count }
            print(
                "training on \(trainData.count) sentences (\(tokens) tokens), dev \(devData.count) sentences",
                to: &err)
            let outcome = try trainer.trainTagger(
                task: task, network: network, train: trainData, dev: devData, scheme: tagScheme)
            (interrupted, best) = (outcome.interrupted, outcome.bestScore)
        }
        signal(SIGINT, SIG_DFL)
        if interrupted {
            print(
                "\ninterrupted: checkpoint saved to \(trainer.checkpointPath!); continue with the same command and --resume",
                to: &err)
            throw ExitCode(130)
        }
        print(
            String(
                format: "done in %.0f s; best dev score %.2f; model written to %@",
                Stopwatch.now() - started, 100 * best, output),
            to: &err)
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
