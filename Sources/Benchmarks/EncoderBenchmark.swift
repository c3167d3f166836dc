import LinearAlgebra
import NeuralNetwork

/// Speed of a bidirectional LSTM encoder beside the GEMM rates measured in the same run.
///
/// FLOPs are the GEMM flops only: per token, the forward pass does the input projection
/// `2·inputSize·4·hidden` and the recurrent product `2·hidden·4·hidden` per direction;
/// the backward pass does twice that (`dX` and `dWx`, `dH` and `dWh`), so a training
/// step (forward + backward) is three times the forward count. The element-wise gate
/// kernels are not counted.
///
/// "Forward" is the inference pass (`keepsCache: false`, as tagging runs it); the forward
/// pass of training, which keeps every step's states and activations for the backward
/// pass, is reported beside it.
///
/// The forward pass runs every product step by step in the packed C kernel (`Wx` and `Wh`
/// packed once per pass); the backward pass runs the per-step `dH` products there too, and
/// `dX`, `dWx`, `dWh` as large GEMMs through OpenBLAS. Single-thread rates are measured on
/// these paths and shapes: OpenBLAS sgemm on the recurrent step
/// `[batch, hidden] × [hidden, 4·hidden]` and on the input projection
/// `[time·batch, inputSize] × [inputSize, 8·hidden]`, the packed kernel on the recurrent step
/// and on one step's input product `[batch, inputSize] × [inputSize, 4·hidden]`. The two
/// directions run on two threads with one BLAS thread each, so the reference rate is twice
/// the best of these rates (with the directions run serially, the best rate itself): the
/// packed kernel can be the faster path, several times over when OpenBLAS runs a core below
/// the CPU (`OpenBLASCore`). A second, shape-aware reference is also reported: the rate at
/// which the same GEMMs would run at the rates measured for their path and shape.
public struct EncoderBenchmark {
    /// Figures of one run.
    public struct Result: Sendable, Codable {
        /// Input features per token.
        public var inputSize: Int
        /// Hidden units per direction.
        public var hiddenSize: Int
        /// Sentences per batch.
        public var batch: Int
        /// Tokens per sentence.
        public var length: Int
        /// Whether the two directions ran on two threads.
        public var concurrentDirections: Bool
        /// The instruction-set level of the C kernels (gate kernel, step products).
        public var kernelLevel: String
        /// The core OpenBLAS ran (`OpenBLASCore.running`).
        public var openBLASCore: String
        /// Tokens per second of the inference forward pass (best timed batch).
        public var forwardTokensPerSecond: Double
        /// Tokens per second of the forward pass that keeps the cache for backward.
        public var cachingForwardTokensPerSecond: Double
        /// `cachingForwardTokensPerSecond` in GFLOP/s, as a fraction of `referenceGFLOPS`.
        public var cachingForwardFraction: Double
        /// Tokens per second of forward + backward (best timed batch).
        public var trainingTokensPerSecond: Double
        /// GEMM FLOPs per token of the forward pass, both directions.
        public var forwardFLOPsPerToken: Double
        /// GEMM FLOPs per token of forward + backward, both directions.
        public var trainingFLOPsPerToken: Double
        /// Achieved GFLOP/s of the forward pass.
        public var forwardGFLOPS: Double
        /// Achieved GFLOP/s of forward + backward.
        public var trainingGFLOPS: Double
        /// Single-thread sgemm GFLOP/s of the recurrent step shape.
        public var sgemmStepGFLOPS: Double
        /// Single-thread sgemm GFLOP/s of the input projection shape.
        public var sgemmProjectionGFLOPS: Double
        /// Single-thread GFLOP/s of the packed kernel on the recurrent step shape.
        public var packedStepGFLOPS: Double
        /// Single-thread GFLOP/s of the packed kernel on one step's input product.
        public var packedInputGFLOPS: Double
        /// The rate compared against: `threads ×` the best single-thread rate.
        public var referenceGFLOPS: Double
        /// `forwardGFLOPS / referenceGFLOPS`.
        public var forwardFraction: Double
        /// `trainingGFLOPS / referenceGFLOPS`.
        public var trainingFraction: Double
        /// A second, shape-aware reference for the forward pass: the rate if every GEMM ran
        /// at the rate measured for its path and shape (the packed kernel's input-product and
        /// step rates), times the thread count.
        public var forwardGEMMOnlyGFLOPS: Double
        /// The same for forward + backward (the forward pass as above, `dX`, `dWx`, `dWh` at
        /// the OpenBLAS projection rate, the per-step `dH` products at the packed step rate).
        public var trainingGEMMOnlyGFLOPS: Double
        /// `forwardGFLOPS / forwardGEMMOnlyGFLOPS`.
        public var forwardFractionOfGEMMOnly: Double
        /// `trainingGFLOPS / trainingGEMMOnlyGFLOPS`.
        public var trainingFractionOfGEMMOnly: Double
    }

    /// Input features per token.
    public var inputSize: Int
    /// Hidden units per direction.
    public var hiddenSize: Int
    /// Sentences per batch.
    public var batch: Int
    /// Tokens per sentence (all of equal length).
    public var length: Int
    /// Minimum seconds spent timing each of forward and forward + backward.
    public var seconds: Double
    /// Whether the two directions run on two threads.
    public var concurrentDirections: Bool

    /// A benchmark of the given shape; the defaults are the reference tagger's word BiLSTM.
    public init(
        inputSize: Int = 150, hiddenSize: Int = 128, batch: Int = 32, length: Int = 40,
        seconds: Double = 2, concurrentDirections: Bool = true
    ) {
        precondition(
            inputSize > 0 && hiddenSize > 0 && batch > 0 && length > 0 && seconds > 0,
            "benchmark sizes must be positive: input \(inputSize), hidden \(hiddenSize), batch \(batch), length \(length), seconds \(seconds)"
        )
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.batch = batch
        self.length = length
        self.seconds = seconds
        self.concurrentDirections = concurrentDirections
    }

    /// The shortest time of `body` over repeated calls lasting at least `seconds`.
    func bestTime(_ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        let deadline = Stopwatch.now() + seconds
        var runs = 0
        repeat {
            let start = Stopwatch.now()
            body()
            best = min(best, Stopwatch.now() - start)
            runs += 1
        } while Stopwatch.now() < deadline || runs < 3
        return best
    }

    /// Runs the measurement. Sets OpenBLAS to one thread.
    public func run() -> Result {
        BLASThreads.set(1)
        let gemm = BLASBenchmark(threads: 1, secondsPerShape: min(1, seconds / 2))
        let step = gemm.measure(m: batch, n: 4 * hiddenSize, k: hiddenSize)
        let inputStep = gemm.measure(m: batch, n: 4 * hiddenSize, k: inputSize)
        let projection = gemm.measure(m: batch * length, n: 8 * hiddenSize, k: inputSize)

        var random = SeededRandom(seed: 1)
        var encoder = Bidirectional<LSTMCell<Float>>(
            inputSize: inputSize, hiddenSize: hiddenSize, random: &random)
        encoder.runsDirectionsConcurrently = concurrentDirections
        let tokens = batch * length
        let input: Matrix<Float> = Initializer.uniform(
            rows: tokens, columns: inputSize, limit: 1, using: &random)
        let dOutput: Matrix<Float> = Initializer.uniform(
            rows: tokens, columns: 2 * hiddenSize, limit: 1, using: &random)
        let lengths = [Int](repeating: length, count: batch)

        var sink: Float = 0
        let forwardTime = bestTime {
            let r = encoder.forward(input, lengths: lengths, keepsCache: false)
            sink += r.output.scalars[0]
        }
        let cachingForwardTime = bestTime {
            let r = encoder.forward(input, lengths: lengths)
            sink += r.output.scalars[0]
        }
        let trainingTime = bestTime {
            let r = encoder.forward(input, lengths: lengths)
            let back = encoder.backward(dOutput, cache: r.cache)
            sink += back.dInput.scalars[0]
        }
        precondition(sink.isFinite || !sink.isFinite)  // keeps the work observable

        let forwardFLOPs = 2.0 * Double(inputSize + hiddenSize) * 4 * Double(hiddenSize) * 2
        let trainingFLOPs = 3 * forwardFLOPs
        let forwardRate = Double(tokens) / forwardTime
        let trainingRate = Double(tokens) / trainingTime
        let best = [
            step.rawGFLOPS, projection.rawGFLOPS, step.packedGFLOPS, inputStep.packedGFLOPS,
        ].max()!
        let reference = (concurrentDirections ? 2 : 1) * best
        let forwardGFLOPS = forwardRate * forwardFLOPs / 1e9
        let trainingGFLOPS = trainingRate * trainingFLOPs / 1e9
        let threads: Double = concurrentDirections ? 2 : 1
        let inputSide = 2.0 * Double(inputSize) * 4 * Double(hiddenSize) * 2
        let recurrentSide = 2.0 * Double(hiddenSize) * 4 * Double(hiddenSize) * 2
        let (large, packedInput, packedStep) =
            (projection.rawGFLOPS, inputStep.packedGFLOPS, step.packedGFLOPS)
        // Nanoseconds per token of the forward pass's products at their measured rates.
        let forwardGEMMTime = inputSide / packedInput + recurrentSide / packedStep
        let forwardGEMMOnly = threads * forwardFLOPs / forwardGEMMTime
        let trainingGEMMOnly =
            threads * trainingFLOPs
            / (forwardGEMMTime + (2 * inputSide + recurrentSide) / large
                + recurrentSide / packedStep)
        return Result(
            inputSize: inputSize, hiddenSize: hiddenSize, batch: batch, length: length,
            concurrentDirections: concurrentDirections, kernelLevel: Float.kernelLevel,
            openBLASCore: OpenBLASCore.running,
            forwardTokensPerSecond: forwardRate,
            cachingForwardTokensPerSecond: Double(tokens) / cachingForwardTime,
            cachingForwardFraction: Double(tokens) / cachingForwardTime * forwardFLOPs / 1e9
                / reference,
            trainingTokensPerSecond: trainingRate, forwardFLOPsPerToken: forwardFLOPs,
            trainingFLOPsPerToken: trainingFLOPs, forwardGFLOPS: forwardGFLOPS,
            trainingGFLOPS: trainingGFLOPS, sgemmStepGFLOPS: step.rawGFLOPS,
            sgemmProjectionGFLOPS: projection.rawGFLOPS, packedStepGFLOPS: step.packedGFLOPS,
            packedInputGFLOPS: inputStep.packedGFLOPS, referenceGFLOPS: reference,
            forwardFraction: forwardGFLOPS / reference,
            trainingFraction: trainingGFLOPS / reference,
            forwardGEMMOnlyGFLOPS: forwardGEMMOnly, trainingGEMMOnlyGFLOPS: trainingGEMMOnly,
            forwardFractionOfGEMMOnly: forwardGFLOPS / forwardGEMMOnly,
            trainingFractionOfGEMMOnly: trainingGFLOPS / trainingGEMMOnly)
    }
}
