import ArgumentParser
import Foundation
import Tagging

/// `tagger benchmark encoder`: a bidirectional LSTM's tokens per second beside sgemm.
struct EncoderBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Tokens/s of a bidirectional LSTM (Float) as a fraction of the sgemm rate.")

    @Option(help: "Input features per token.")
    var input = 150

    @Option(help: "Hidden units per direction.")
    var hidden = 128

    @Option(help: "Sentences per batch.")
    var batch = 32

    @Option(help: "Tokens per sentence.")
    var length = 40

    @Option(help: "Seconds of timing for each of forward and forward+backward.")
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
            "BiLSTM (Float) input \(r.inputSize), hidden \(r.hiddenSize) per direction, batch \(r.batch) × \(r.length) tokens, directions on \(threads) thread(s), 1 BLAS thread each; best timed batch"
        )
        print(
            String(
                format:
                    "sgemm 1 thread: step %d×%d×%d %.1f GFLOP/s, projection %d×%d×%d %.1f GFLOP/s",
                r.batch, 4 * r.hiddenSize, r.hiddenSize, r.sgemmStepGFLOPS,
                r.batch * r.length, 8 * r.hiddenSize, r.inputSize, r.sgemmProjectionGFLOPS))
        print(
            String(
                format: "reference: %d × %.1f = %.1f GFLOP/s", threads,
                r.referenceGFLOPS / Double(threads), r.referenceGFLOPS))
        print(
            "pass               tokens/s   GEMM FLOPs/token   GFLOP/s   of reference   of GEMM-only rate"
        )
        print(
            String(
                format: "forward          %10.0f   %16.0f   %7.1f   %11.1f%%   %11.1f%% of %.1f",
                r.forwardTokensPerSecond, r.forwardFLOPsPerToken, r.forwardGFLOPS,
                100 * r.forwardFraction,
                100 * r.forwardFractionOfGEMMOnly, r.forwardGEMMOnlyGFLOPS))
        print(
            String(
                format: "forward+backward %10.0f   %16.0f   %7.1f   %11.1f%%   %11.1f%% of %.1f",
                r.trainingTokensPerSecond, r.trainingFLOPsPerToken, r.trainingGFLOPS,
                100 * r.trainingFraction,
                100 * r.trainingFractionOfGEMMOnly, r.trainingGEMMOnlyGFLOPS))
        print(
            "GEMM-only rate: each GEMM at the sgemm rate of its shape (projection or step), × threads"
        )
    }
}
