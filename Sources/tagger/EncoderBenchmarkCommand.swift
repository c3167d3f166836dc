import ArgumentParser
import Benchmarks
import Foundation
import Pipeline
import Tagging

/// `tagger benchmark encoder`: a bidirectional LSTM's tokens per second beside the GEMM rates.
struct EncoderBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Tokens/s of a bidirectional LSTM (Float) as a fraction of the GEMM rate.")

    @Option(help: "Input features per token.")
    var input = 150

    @Option(help: "Hidden units per direction.")
    var hidden = 128

    @Option(help: "Sentences per batch.")
    var batch = 32

    @Option(help: "Tokens per sentence.")
    var length = 40

    @Option(help: "Seconds of timing for each pass.")
    var seconds = 2.0

    @Flag(help: "Run the two directions one after the other on one thread.")
    var serial = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard input > 0, hidden > 0, batch > 0, length > 0 else {
            throw ValidationError("--input, --hidden, --batch and --length must be positive")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let r = EncoderBenchmark(
            inputSize: input, hiddenSize: hidden, batch: batch, length: length, seconds: seconds,
            concurrentDirections: !serial
        ).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        let threads = r.concurrentDirections ? 2 : 1
        print(
            "BiLSTM (Float) input \(r.inputSize), hidden \(r.hiddenSize) per direction, batch \(r.batch) × \(r.length) tokens, directions on \(threads) thread(s), 1 BLAS thread each, C kernels \(r.kernelLevel); best timed batch"
        )
        print(
            String(
                format:
                    "sgemm 1 thread (OpenBLAS core %@): step %d×%d×%d %.1f GFLOP/s, projection %d×%d×%d %.1f GFLOP/s",
                r.openBLASCore, r.batch, 4 * r.hiddenSize, r.hiddenSize, r.sgemmStepGFLOPS,
                r.batch * r.length, 8 * r.hiddenSize, r.inputSize, r.sgemmProjectionGFLOPS))
        print(
            String(
                format:
                    "packed kernel 1 thread: step %d×%d×%d %.1f GFLOP/s, step input %d×%d×%d %.1f GFLOP/s",
                r.batch, 4 * r.hiddenSize, r.hiddenSize, r.packedStepGFLOPS, r.batch,
                4 * r.hiddenSize, r.inputSize, r.packedInputGFLOPS))
        print(
            String(
                format: "reference: %d × %.1f (the best rate above) = %.1f GFLOP/s", threads,
                r.referenceGFLOPS / Double(threads), r.referenceGFLOPS))
        print(
            "pass               tokens/s   GEMM FLOPs/token   GFLOP/s   of reference   of GEMM-only rate"
        )
        func row(
            _ name: String, _ tokensPerSecond: Double, _ flops: Double, _ gflops: Double,
            _ fraction: Double, _ fractionOfGEMMOnly: Double, _ gemmOnly: Double
        ) {
            let cells = String(
                format: "%10.0f   %16.0f   %7.1f   %11.1f%%   %11.1f%% of %.1f", tokensPerSecond,
                flops, gflops, 100 * fraction, 100 * fractionOfGEMMOnly, gemmOnly)
            print(name.padding(toLength: 17, withPad: " ", startingAt: 0) + cells)
        }
        row(
            "forward", r.forwardTokensPerSecond, r.forwardFLOPsPerToken, r.forwardGFLOPS,
            r.forwardFraction, r.forwardFractionOfGEMMOnly, r.forwardGEMMOnlyGFLOPS)
        row(
            "forward+backward", r.trainingTokensPerSecond, r.trainingFLOPsPerToken,
            r.trainingGFLOPS, r.trainingFraction, r.trainingFractionOfGEMMOnly,
            r.trainingGEMMOnlyGFLOPS)
        print(
            "GEMM-only rate: each GEMM at the rate of its path and shape (packed steps, OpenBLAS backward products), × threads"
        )
        print(
            String(
                format:
                    "forward: the inference pass; the forward pass of training (keeping every step for backward): %.0f tokens/s, %.1f%% of reference",
                r.cachingForwardTokensPerSecond, 100 * r.cachingForwardFraction))
    }
}
