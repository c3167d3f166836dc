import ArgumentParser
import Benchmarks
import Foundation
import LinearAlgebra
import Pipeline
import Tagging

/// `tagger benchmark …`: measurements users can repeat.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measure the speed of the building blocks and the taggers.",
        subcommands: [
            ReferenceBenchmarkCommand.self, BLASBenchmarkCommand.self,
            TokenizerBenchmarkCommand.self, EncoderBenchmarkCommand.self,
        ],
        defaultSubcommand: ReferenceBenchmarkCommand.self)
}

/// `tagger benchmark blas`: the `Matrix` gemm wrapper against raw `cblas_sgemm`, and the
/// packed C kernel.
struct BLASBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract:
            "GFLOP/s of the Matrix gemm wrapper beside raw cblas_sgemm and the packed C kernel.",
        discussion: """
            The packed kernel (which runs the recurrent steps) is timed on one thread whatever \
            --threads says, with the right-hand matrix packed beforehand. The first line names \
            the OpenBLAS core (see tagger info).
            """)

    @Option(help: "BLAS threads.")
    var threads = 1

    @Option(help: "Seconds of timing per shape and side.")
    var seconds = 1.0

    @Option(
        name: .customLong("shape"),
        help:
            "A shape MxNxK to time instead of the standard ones (repeatable), such as 1280x1024x150."
    )
    var shapes: [String] = []

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        for shape in shapes where Self.parse(shape) == nil {
            throw ValidationError(
                "--shape \(shape): expected three positive integers MxNxK, such as 1280x1024x150")
        }
    }

    /// `(m, n, k)` of "MxNxK" (`x` or `×`), or nil.
    static func parse(_ shape: String) -> (Int, Int, Int)? {
        let parts = shape.split(whereSeparator: { $0 == "x" || $0 == "×" }).compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    func run() throws {
        let benchmark = BLASBenchmark(threads: threads, secondsPerShape: seconds)
        let chosen = shapes.isEmpty ? BLASBenchmark.standardShapes : shapes.compactMap(Self.parse)
        let results = chosen.map { benchmark.measure(m: $0.0, n: $0.1, k: $0.2) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
            return
        }
        let status = OpenBLASCore.Status.current
        print(
            "sgemm, \(threads) BLAS thread(s), OpenBLAS core \(status.core); packed C kernel \(status.kernelLevel), 1 thread; best of repeated batches"
        )
        print(
            "shape m×n×k          raw GFLOP/s   Matrix.gemm GFLOP/s   wrapper/raw   packed GFLOP/s")
        for r in results {
            let shape = "\(r.m)×\(r.n)×\(r.k)".padding(toLength: 20, withPad: " ", startingAt: 0)
            print(
                shape
                    + String(
                        format: " %11.1f   %19.1f   %10.1f%%   %14.1f", r.rawGFLOPS,
                        r.wrapperGFLOPS, 100 * r.ratio, r.packedGFLOPS))
        }
    }
}
