import ArgumentParser
import Benchmarks
import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging

#if canImport(Glibc)
    import Glibc
#endif

/// Set by the SIGINT handler of `tagger train --task charlm`; polled after every chunk.
nonisolated(unsafe) private var charLMInterruptRequested: sig_atomic_t = 0

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

/// The options of `tagger train --task charlm` that no other task has. The shared ones
/// it also reads: `--cell`, `--layers`, `--hidden` (default 256), `--char-dim` (the
/// embedding, default 64), `--batch-size` (parallel streams, default 32), `--clip`,
/// `--patience` (default 3), `--dropout` (default 0.2), `--threads` (1 or 2), `--quiet`,
/// `--epochs` (default 10), `--seed`, `--learning-rate` (the peak, default 0.005).
struct CharLMTrainingOptions: ParsableArguments {
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
        help:
            "Once an epoch improves the dev score by less than 1%, also multiply the learning rate by this after every epoch (1: never)."
    )
    var lrDecay = 1.0

    @Option(
        help:
            "Score the dev text in this many pieces at once: faster, and each cut loses a little context, so the figure is slightly above the exact one (1: exactly, as tagger eval)."
    )
    var devStreams = 16

    /// Trains a character language model on the text of `train`, selecting epochs on `dev`.
    func train(
        train: String, dev: String?, output: String, shared: ModelTrainingOptions,
        general: SentenceTrainingOptions
    ) throws {
        var options = CharacterLanguageModelTrainingOptions()
        options.network.cell = shared.cell
        options.network.layers = shared.layers
        options.network.hidden = ModelTrainingOptions.given("--hidden", shared.hidden, default: 256)
        options.network.embeddingDimension = ModelTrainingOptions.given(
            "--char-dim", shared.charDim, default: 64)
        options.streams = ModelTrainingOptions.given(
            "--batch-size", shared.batchSize, default: 32)
        options.clip = shared.clip
        options.threads = shared.threads
        options.dropout = ModelTrainingOptions.given("--dropout", shared.dropout, default: 0.2)
        options.patience = ModelTrainingOptions.given("--patience", shared.patience, default: 3)
        options.epochs = ModelTrainingOptions.given("--epochs", general.epochs, default: 10)
        options.seed = general.seed
        options.learningRate = ModelTrainingOptions.given(
            "--learning-rate", Double(general.learningRate), default: 0.005)
        options.chunkSteps = bptt.chunk
        options.backpropagationSteps = bptt.backpropagated
        options.minimumCharacterCount = minCharCount
        options.learningRateDecay = lrDecay
        options.decayFraction = lrDecayFraction
        options.evaluationStreams = devStreams
        do {
            try options.validate()
        } catch let error as LanguageModelError {
            throw ValidationError(error.localizedDescription)
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
        signal(SIGINT) { _ in charLMInterruptRequested = 1 }
        defer { signal(SIGINT, SIG_DFL) }
        trainer.shouldStop = { charLMInterruptRequested != 0 }
        let display = CharLMProgressDisplay(enabled: !shared.quiet)
        trainer.onEvent = { display.handle($0) }
        let started = Stopwatch.now()
        let outcome = try trainer.train(text: text, dev: devText)
        let seconds = Stopwatch.now() - started
        if outcome.interrupted {
            print(
                "\ninterrupted: the best model so far (epoch \(outcome.bestEpoch)) is in \(output)",
                to: &err)
            throw ExitCode(130)
        }
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
