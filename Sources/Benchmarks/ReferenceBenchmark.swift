import Corpora
import Foundation
import LinearAlgebra
import NeuralNetwork
import Tagging
import Text
import Tokenization

#if canImport(Glibc)
    import Glibc
#endif

/// The speed of the reference ("ref") tagger on the real corpora, in one run: model load
/// time, tagging throughput at several batch sizes and thread counts (pre-tokenized and
/// from raw text), peak memory, training (the fastest of a few epochs, each timed on its
/// own), and each figure as a fraction of the GEMM rate measured in the same run. Every
/// figure is the best of repeated measurements: other work on the machine only ever slows
/// a run down, so the fastest repetition is the closest to the cost of the code.
///
/// FLOPs are GEMM FLOPs of the network (`TokenClassifierNetwork.forwardFLOPs`); a
/// training step counts three times the forward pass (forward, then the gradients of the
/// inputs and of the weights). The reference rate (the limit) is `threads ×` the better of
/// two single-thread rates measured on the ref network's shapes: OpenBLAS sgemm on the
/// BiLSTM input projection of a batch of 32 × 40 tokens (`[1280, 150] × [150, 1024]`), and
/// the packed C kernel on one step's input product (`[32, 150] × [150, 512]`), which is how
/// tagging and the forward pass of training run their products (the large products of the
/// backward pass go through OpenBLAS). Either can be the faster: OpenBLAS on a core below
/// the CPU (`OpenBLASCore`) runs at a fraction of the packed kernel's rate.
public struct ReferenceBenchmark {
    /// One tagging measurement.
    public struct TaggingFigure: Sendable, Codable {
        /// `pos` or `ner`.
        public var model: String
        /// `tokens` (pre-tokenized) or `text` (raw text, tokenizer included).
        public var input: String
        /// Sentences per batch.
        public var batch: Int
        /// Threads.
        public var threads: Int
        /// Tokens (syntactic words) per second, best of the repetitions.
        public var tokensPerSecond: Double
        /// Achieved GFLOP/s over the reference rate for `threads` (`threads × limitGFLOPS`).
        public var fractionOfLimit: Double
    }

    /// Everything one run measures.
    public struct Result: Sendable, Codable {
        /// Single-thread OpenBLAS sgemm GFLOP/s on `[1280, 150] × [150, 1024]`.
        public var sgemmGFLOPS: Double
        /// Single-thread GFLOP/s of the packed C kernel on `[32, 150] × [150, 512]`.
        public var packedGFLOPS: Double
        /// The single-thread reference rate: the better of `sgemmGFLOPS` and `packedGFLOPS`.
        public var limitGFLOPS: Double
        /// The OpenBLAS core, the CPU's level and the C kernels' level of the run.
        public var kernels: OpenBLASCore.Status
        /// GEMM FLOPs per token of the POS model's forward pass on the test split.
        public var forwardFLOPsPerToken: Double
        /// GEMM FLOPs per token of a training step of the ref network that the training
        /// figure trains (three of its forward passes, on the test split).
        public var trainingFLOPsPerToken: Double
        /// Milliseconds to load the POS model (median of five loads).
        public var modelLoadMilliseconds: Double
        /// Size of the POS model file in bytes.
        public var modelBytes: Int
        /// Tagging throughput figures.
        public var tagging: [TaggingFigure]
        /// Peak resident memory after loading the models and tagging, in MiB.
        public var taggingPeakMemoryMiB: Double
        /// Sentences and tokens of the test split.
        public var testSentences: Int, testTokens: Int
        /// Training threads.
        public var trainingThreads: Int
        /// Tokens per second over one epoch of the training split (dev scoring excluded):
        /// the fastest of `trainingEpochTokensPerSecond`.
        public var trainingTokensPerSecond: Double
        /// Tokens per second of each timed epoch, in order.
        public var trainingEpochTokensPerSecond: [Double] = []
        /// Achieved training GFLOP/s over the reference rate for `trainingThreads`.
        public var trainingFractionOfLimit: Double
        /// Peak resident memory after training, in MiB.
        public var trainingPeakMemoryMiB: Double
        /// Tokens of the training split.
        public var trainingTokens: Int
    }

    /// The POS model (the ref network, softmax).
    public var posModel: String
    /// The NER model (the ref network with a CRF), if any.
    public var nerModel: String?
    /// The CoNLL-U training split (UD English EWT train).
    public var trainFile: String
    /// The CoNLL-U test split (UD English EWT test).
    public var testFile: String
    /// Threads for training (and the largest thread count for tagging).
    public var threads: Int
    /// Timed repetitions of each tagging measurement (the best is kept).
    public var repetitions: Int
    /// Whether to train (the slowest part).
    public var includeTraining: Bool
    /// Epochs of training, each timed on its own; the fastest is reported.
    public var trainingEpochs: Int
    /// Called once the tagging figures are measured, before training: the command line sets
    /// up the process as `tagger train` does (its malloc settings), so the training figure
    /// is the one users get.
    public var beforeTraining: () -> Void = {}

    /// A benchmark over the given files.
    public init(
        posModel: String, nerModel: String?, trainFile: String, testFile: String, threads: Int = 2,
        repetitions: Int = 3, includeTraining: Bool = true, trainingEpochs: Int = 2
    ) {
        precondition(trainingEpochs >= 1, "at least one training epoch")
        self.posModel = posModel
        self.nerModel = nerModel
        self.trainFile = trainFile
        self.testFile = testFile
        self.threads = threads
        self.repetitions = repetitions
        self.includeTraining = includeTraining
        self.trainingEpochs = trainingEpochs
    }

    /// Peak resident set size of this process so far, in MiB.
    public static func peakMemoryMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }

    /// Runs every measurement, reporting each step to `progress`.
    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        // Training builds the ref network (`NetworkConfiguration()`: learned 100-d words), not
        // the shipped model's (50-d pretrained vectors); the GEMM rates are measured on its
        // shapes.
        let reference = NetworkConfiguration()
        let (input, hidden) = (reference.embedder.outputSize, reference.hidden)
        progress("GEMM rates: OpenBLAS sgemm and the packed kernel")
        let probe = BLASBenchmark(threads: 1, secondsPerShape: 0.5)
        let sgemm = probe.measure(m: 32 * 40, n: 8 * hidden, k: input).rawGFLOPS
        let packed = probe.measure(m: 32, n: 4 * hidden, k: input).packedGFLOPS
        let limit = max(sgemm, packed)

        progress("model load")
        var pos = try TaggerModel.load(path: posModel)
        let loadSeconds = Stopwatch.median(repetitions: 5) {
            pos = (try? TaggerModel.load(path: posModel)) ?? pos
        }
        let modelBytes =
            (try? FileManager.default.attributesOfItem(atPath: posModel)[.size] as? Int) ?? 0
        let ner = try nerModel.map { try TaggerModel.load(path: $0) }

        let test = try CoNLLUReader.read(path: testFile)
        let sentences = test.map { $0.words.map(\.form) }
        let lines = test.compactMap(\.text)
        let tokens = sentences.reduce(0) { $0 + $1.count }
        let words = Array(sentences.joined())
        let perToken = pos.configuration.network.forwardFLOPsPerWord(
            of: words, tags: pos.tags.count)
        // A training step is three forward passes of the ref network, counted on the same
        // test tokens.
        let trainingPerToken = 3 * reference.forwardFLOPsPerWord(of: words, tags: pos.tags.count)

        var figures: [TaggingFigure] = []
        func measure(_ name: String, _ model: TaggerModel, input: String, batch: Int, threads: Int)
        {
            progress("tagging: \(name), \(input), batch \(batch), \(threads) thread(s)")
            var produced = 0
            let seconds = Stopwatch.best(repetitions: repetitions) {
                if input == "text" {
                    let words = lines.flatMap { line -> [[String]] in
                        let document = Tokenizer.english.document(line, sentences: .lines)
                        return document.sentences.map {
                            document.tokens[$0].flatMap(\.syntacticWords)
                        }
                    }
                    produced = model.tag(words, batchSize: batch, threads: threads).reduce(0) {
                        $0 + $1.count
                    }
                } else {
                    produced = model.tag(sentences, batchSize: batch, threads: threads).reduce(0) {
                        $0 + $1.count
                    }
                }
            }
            let rate = Double(produced) / seconds
            figures.append(
                TaggingFigure(
                    model: name, input: input, batch: batch, threads: threads,
                    tokensPerSecond: rate,
                    fractionOfLimit: rate * perToken / 1e9 / (limit * Double(threads))))
        }
        BLASThreads.set(1)
        let threadCounts = Array(Set([1, max(1, threads)])).sorted()
        for batch in [1, 32, 256] {
            for t in threadCounts { measure("pos", pos, input: "tokens", batch: batch, threads: t) }
        }
        for t in threadCounts { measure("pos", pos, input: "text", batch: 32, threads: t) }
        if let ner {
            for batch in [1, 32] {
                for t in threadCounts {
                    measure("ner", ner, input: "tokens", batch: batch, threads: t)
                }
            }
        }
        let taggingPeak = Self.peakMemoryMiB()

        var result = Result(
            sgemmGFLOPS: sgemm, packedGFLOPS: packed, limitGFLOPS: limit,
            kernels: .current, forwardFLOPsPerToken: perToken,
            trainingFLOPsPerToken: trainingPerToken, modelLoadMilliseconds: 1000 * loadSeconds,
            modelBytes: modelBytes, tagging: figures, taggingPeakMemoryMiB: taggingPeak,
            testSentences: sentences.count, testTokens: tokens, trainingThreads: threads,
            trainingTokensPerSecond: 0, trainingFractionOfLimit: 0, trainingPeakMemoryMiB: 0,
            trainingTokens: 0)
        guard includeTraining else { return result }

        progress("training: \(trainingEpochs) epoch(s) of \(trainFile), \(threads) thread(s)")
        beforeTraining()
        let train = try TrainingData.readTagged(path: trainFile, format: .conllu)
        var options = TrainingOptions()
        options.epochs = trainingEpochs
        options.threads = threads
        var trainer = Trainer(options: options)
        var rates: [Double] = []
        trainer.onEvent = { event in
            if case .epochFinished(let summary) = event { rates.append(summary.tokensPerSecond) }
        }
        _ = try trainer.trainTagger(
            task: .pos, network: NetworkConfiguration(), train: train,
            dev: Array(train.prefix(50)))
        result.trainingTokens = train.reduce(0) { $0 + $1.words.count }
        result.trainingEpochTokensPerSecond = rates
        let rate = rates.max() ?? 0
        result.trainingTokensPerSecond = rate
        result.trainingFractionOfLimit =
            rate * trainingPerToken / 1e9 / (limit * Double(threads))
        result.trainingPeakMemoryMiB = Self.peakMemoryMiB()
        return result
    }
}

extension NetworkConfiguration {
    /// `forwardFLOPs` per word over `words` (each word's characters counted up to
    /// `maximumWordLength`, as the embedder reads them).
    public func forwardFLOPsPerWord(of words: [String], tags: Int) -> Double {
        let characters = words.reduce(0) {
            $0 + min($1.unicodeScalars.count, embedder.maximumWordLength)
        }
        return forwardFLOPs(tokens: words.count, characters: characters, tags: tags)
            / Double(max(1, words.count))
    }

    /// GEMM FLOPs of a token classifier's forward pass over `tokens` tokens of
    /// `characters` characters in all: per character, the character BiLSTM's input and
    /// recurrent products; per token, each encoder layer's input and recurrent products in
    /// both directions and the output projection. Element-wise work is not counted.
    public func forwardFLOPs(tokens: Int, characters: Int, tags: Int) -> Double {
        let gates: Int
        switch cell {
        case .lstm: gates = 4
        case .gru: gates = 3
        case .rnn: gates = 1
        }
        var perCharacter = 0
        if embedder.characterDimension > 0 {
            let h = embedder.characterHidden
            perCharacter = 2 * (2 * embedder.characterDimension * 4 * h + 2 * h * 4 * h)
        }
        var perToken = 0
        var input = embedder.outputSize
        for _ in 0..<layers {
            perToken += 2 * (2 * input * gates * hidden + 2 * hidden * gates * hidden)
            input = 2 * hidden
        }
        perToken += 2 * input * tags
        return Double(perToken) * Double(tokens) + Double(perCharacter) * Double(characters)
    }
}

extension Stopwatch {
    /// The shortest of `repetitions` timings of `body`, in seconds, after one warm-up call.
    public static func best(repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = now()
            body()
            best = min(best, now() - start)
        }
        return best
    }
}
