import ArgumentParser
import Benchmarks
import Foundation
import LanguageModel
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging

/// `--bptt K1[:K2]`: chunk length and the steps backpropagated through in each chunk.
struct BPTTSteps: ExpressibleByArgument, Equatable {
    /// K1.
    var chunk: Int
    /// K2 (≤ K1).
    var backpropagated: Int

    init(chunk: Int, backpropagated: Int) {
        self.chunk = chunk
        self.backpropagated = backpropagated
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let k1 = Int(parts[0]), k1 >= 1 else {
            return nil
        }
        let k2 = parts.count == 2 ? Int(parts[1]) : k1
        guard let k2, k2 >= 1, k2 <= k1 else { return nil }
        self.init(chunk: k1, backpropagated: k2)
    }

    var defaultValueDescription: String {
        chunk == backpropagated ? "\(chunk)" : "\(chunk):\(backpropagated)"
    }
}

/// `tagger train charlm`: a character language model from a plain text file read as one
/// stream.
struct CharLMTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charlm",
        abstract: "Train a character language model on a plain text file read as one stream.")

    @Option(help: "The training text (UTF-8; lines joined by newlines).")
    var train: String

    @Option(help: "The dev text, for model selection only (never the test split).")
    var dev: String?

    @Option(help: "Where to write the model.")
    var output: String

    @Option(help: "Passes over the training text at most.")
    var epochs = 10

    @Option(help: "Adam's peak step size (see --lr-decay-fraction).")
    var learningRate = 0.005

    @Option(help: "Seed of initialisation, stream offsets and dropout.")
    var seed: UInt64 = 1

    @Option(help: "Recurrent cell: lstm, gru or rnn.")
    var cell: CellKind = .lstm

    @Option(help: "Stacked unidirectional layers.")
    var layers = 1

    @Option(help: "Hidden units per layer.")
    var hidden = 256

    @Option(help: "Character embedding size.")
    var charDim = 64

    @Option(help: "Parallel streams: the text is cut into this many pieces read side by side.")
    var batchSize = 32

    @Option(help: "Dropout on the embedding and every layer's output.")
    var dropout = 0.2

    @Option(help: "Clip the global gradient norm to this value (0: no clipping).")
    var clip = 5.0

    @Option(help: "Stop after this many epochs without a better dev score.")
    var patience = 3

    @Option(help: "Threads: 1, or 2 (the two halves of the streams at once).")
    var threads = 2

    @Option(
        help: ArgumentHelp(
            "Truncated BPTT: K1 steps per chunk (one update each, state carried to the next), backpropagating through the last K2 ≤ K1.",
            valueName: "K1[:K2]"))
    var bptt = BPTTSteps(chunk: 32, backpropagated: 32)

    @Option(help: "Characters seen fewer times in the training text become <unk>.")
    var minCharCount = 2

    @Option(
        help:
            "Over the last this fraction of the planned epochs the learning rate falls linearly, update by update, from --learning-rate towards zero (0: constant)."
    )
    var lrDecayFraction = 0.4

    @Option(
        help: ArgumentHelp(
            "Average the parameters over the updates of the last this fraction of the planned epochs (Polyak averaging); from then on the average is scored on the dev text and written (0: no averaging).",
            valueName: "fraction"))
    var averageFrom = 0.0

    @Option(
        help:
            "Once an epoch improves the dev score by less than 1%, also multiply the learning rate by this after every epoch (1: never)."
    )
    var lrDecay = 1.0

    @Option(
        help:
            "Score the dev text in this many pieces at once: faster, and each cut loses a little context, so the figure is slightly above the exact one (1: exactly, as tagger eval)."
    )
    var devStreams = 16

    @OptionGroup var session: TrainingRunOptions

    /// The trainer's options these values give.
    var options: CharacterLanguageModelTrainingOptions {
        var options = CharacterLanguageModelTrainingOptions()
        options.network.cell = cell
        options.network.layers = layers
        options.network.hidden = hidden
        options.network.embeddingDimension = charDim
        options.streams = batchSize
        options.clip = clip
        options.threads = threads
        options.dropout = dropout
        options.patience = patience
        options.epochs = epochs
        options.seed = seed
        options.learningRate = learningRate
        options.chunkSteps = bptt.chunk
        options.backpropagationSteps = bptt.backpropagated
        options.minimumCharacterCount = minCharCount
        options.learningRateDecay = lrDecay
        options.decayFraction = lrDecayFraction
        options.averageFraction = averageFrom
        options.evaluationStreams = devStreams
        return options
    }

    func validate() throws {
        do {
            try options.validate()
        } catch let error as LanguageModelError {
            throw ValidationError(error.localizedDescription)
        }
        try checkWritableOutput(output)
    }

    /// Trains a character language model on the text of `train`, selecting epochs on `dev`.
    func run() throws {
        StandardError.openMissingDescriptors()
        let options = self.options
        if session.printOptions {
            return try printResolvedOptions([
                "epochs": "\(options.epochs)", "learning-rate": "\(options.learningRate)",
                "seed": "\(options.seed)", "cell": options.network.cell.rawValue,
                "layers": "\(options.network.layers)", "hidden": "\(options.network.hidden)",
                "char-dim": "\(options.network.embeddingDimension)",
                "batch-size": "\(options.streams)", "dropout": "\(options.dropout)",
                "clip": "\(options.clip)", "patience": "\(options.patience)",
                "threads": "\(options.threads)",
                "bptt": BPTTSteps(
                    chunk: options.chunkSteps, backpropagated: options.truncation
                ).defaultValueDescription,
                "min-char-count": "\(options.minimumCharacterCount)",
                "lr-decay-fraction": "\(options.decayFraction)",
                "average-from": "\(options.averageFraction)",
                "lr-decay": "\(options.learningRateDecay)",
                "dev-streams": "\(options.evaluationStreams)",
            ])
        }
        var err = StandardError()
        let text = try LanguageModelText.read(path: train)
        let devText = try dev.map { try LanguageModelText.read(path: $0) }
        print(
            "training on \(text.unicodeScalars.count) characters"
                + (devText.map { ", dev \($0.unicodeScalars.count) characters" } ?? "")
                + "; \(options.network.layers) × \(options.network.cell.rawValue.uppercased()) \(options.network.hidden), \(options.streams) streams, bptt \(bptt.defaultValueDescription)",
            to: &err)
        var trainer = CharacterLanguageModelTrainer(options: options)
        trainer.outputPath = output
        trainer.checkpointPath = session.checkpointPath(output: output)
        trainer.resume = session.resume
        Interruption.start()
        defer { Interruption.stop() }
        trainer.shouldStop = Interruption.requested
        let display = CharLMProgressDisplay(enabled: !session.quiet)
        trainer.onEvent = { display.handle($0) }
        let started = Stopwatch.now()
        let outcome = try trainer.train(text: text, dev: devText)
        let seconds = Stopwatch.now() - started
        if outcome.interrupted { try Interruption.exit(checkpoint: trainer.checkpointPath!) }
        let best =
            outcome.bestDev.map {
                String(format: "; best dev %.4f bits per character", $0.bitsPerCharacter)
            } ?? ""
        print(
            String(format: "done in %.0f s", seconds)
                + "\(best) (epoch \(outcome.bestEpoch)); model written to \(output)", to: &err)
    }
}

/// Progress of a character language model's training on stderr: a line redrawn at most
/// five times a second, and one line per epoch.
final class CharLMProgressDisplay {
    let enabled: Bool
    var lastDraw = 0.0
    var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func handle(_ event: CharacterLanguageModelTrainingEvent) {
        var err = StandardError()
        switch event {
        case .progress(let p):
            guard enabled else { return }
            let now = Stopwatch.now()
            guard now - lastDraw >= 0.2 || p.charactersDone == p.characterCount else { return }
            lastDraw = now
            let percent = p.characterCount == 0 ? 100 : 100 * p.charactersDone / p.characterCount
            print(
                String(
                    format: "\repoch %d/%d %3d%%  %.0f characters/s  train %.3f bits/char  ETA %@ ",
                    p.epoch, p.epochs, percent, p.charactersPerSecond, p.bitsPerCharacter,
                    ProgressBar.duration(p.secondsRemaining)), terminator: "", to: &err)
            drawn = true
        case .epochFinished(let e):
            if drawn { print("", to: &err) }
            drawn = false
            var line = String(
                format: "epoch %d: train %.4f bits/char", e.epoch, e.trainBitsPerCharacter)
            if let dev = e.dev {
                line += String(
                    format: ", dev %.4f bits/char (perplexity %.2f)%@, best %.4f at epoch %d",
                    dev.bitsPerCharacter, dev.perplexity, e.improved ? " *saved*" : "",
                    e.bestDev?.bitsPerCharacter ?? .nan, e.bestEpoch)
            }
            if e.averagedUpdates > 0 {
                line += ", averaged over the last \(e.averagedUpdates) updates"
                if let unaveraged = e.unaveragedDevBitsPerCharacter {
                    line += String(format: " (unaveraged dev %.4f)", unaveraged)
                }
            }
            line += String(
                format: ", lr %.2g, %.1f s, %.0f characters/s", e.learningRate, e.seconds,
                e.charactersPerSecond)
            print(line, to: &err)
        case .stoppedEarly(let epoch):
            print(
                "stopping early after epoch \(epoch): no better dev score for the patience window",
                to: &err)
        }
    }
}

/// `tagger eval --model CHARLM --test FILE.txt`.
enum CharLMEvaluation {
    /// Scores the character language model `file` on the text of `test` and prints bits
    /// per character and perplexity (and the training text's unigram figure beside them).
    static func run(file: ModelFile, path: String, test: String) throws {
        let model = try CharacterLanguageModel(file: file, path: path)
        BLASThreads.set(1)
        let text = try LanguageModelText.read(path: test)
        let start = Stopwatch.now()
        let score = try model.evaluate(text, source: test)
        print("Character language model on \(test): \(score.characters) characters")
        print(
            String(
                format: "bits per character %.4f  perplexity %.4f", score.bitsPerCharacter,
                score.perplexity))
        print(
            String(
                format: "unigram of the training counts: bits per character %.4f",
                model.vocabulary.unigramBitsPerCharacter(of: text)))
        var err = StandardError()
        print(String(format: "evaluated in %.2f s", Stopwatch.now() - start), to: &err)
    }
}
