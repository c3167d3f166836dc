import Corpora
import Foundation
import Tagging

/// The speed of `tagger tag` as users run it: a child process of this executable reading
/// pre-tokenized sentences from a file and writing CoNLL output, timed whole (start-up,
/// model load, reading, tagging and writing), for `tagger benchmark ref`.
enum CommandLineProbe {
    /// How many times the test tokens are repeated in the input, so that the run is long
    /// enough for start-up to weigh as it does on a real file (200,752 tokens for EWT test).
    static let copies = 8

    /// The fewest runs of each thread count (`tagger benchmark ref --repetitions` may ask
    /// for more).
    static let minimumRepetitions = 5

    /// One thread count's figure.
    struct Reading: Codable {
        /// `--threads` of the child.
        var threads: Int
        /// Tokens of the input.
        var tokens: Int
        /// Tokens over the fastest run's wall-clock seconds.
        var tokensPerSecond: Double
        /// The same tokens tagged in this process at batch 256 on `threads` threads
        /// (``copies`` passes over the sentences, as the in-process figures tag them), over
        /// the fastest timing; the timings alternate with the runs, so that both see the
        /// same moments of a shared machine. Nil when the model cannot be loaded here.
        var inProcessTokensPerSecond: Double?
    }

    /// The input file: `sentences` repeated ``copies`` times, one token a line, a blank line
    /// after each sentence (`tagger tag --input tokens`).
    static func writeInput(_ sentences: [[String]], to path: String) throws {
        var text = ""
        for sentence in sentences where !sentence.isEmpty {
            text += sentence.joined(separator: "\n") + "\n\n"
        }
        let data = Data(String(repeating: text, count: copies).utf8)
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// The fastest of `repetitions` runs of `tagger tag --input tokens --format conll
    /// --model MODEL --threads T` over `sentences` (``copies`` times) for each thread count,
    /// each run followed by the same tagging in this process (see
    /// ``Reading/inProcessTokensPerSecond``); nil when the executable cannot be found or a
    /// run fails.
    static func measure(
        sentences: [[String]], model: String, threadCounts: [Int], repetitions: Int
    ) -> [Reading]? {
        guard
            let executable = try? FileManager.default.destinationOfSymbolicLink(
                atPath: "/proc/self/exe")
        else { return nil }
        let input = NSTemporaryDirectory() + "tagger-benchmark-tokens-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: input) }
        guard (try? writeInput(sentences, to: input)) != nil else { return nil }
        let tokens = copies * sentences.reduce(0) { $0 + $1.count }
        let tagger = try? TaggerModel.load(path: model)
        // The in-process side: the batch-256 figure's work (one call per pass over the
        // sentences), repeated as often as the input file repeats them.
        func tagInProcess(threads: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<copies {
                _ = tagger?.tag(sentences, batchSize: 256, threads: threads)
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var readings: [Reading] = []
        for threads in threadCounts {
            var best = Double.infinity
            var bestInProcess = Double.infinity
            if tagger != nil { _ = tagInProcess(threads: threads) }  // warm-up
            for _ in 0..<repetitions {
                guard let stdin = FileHandle(forReadingAtPath: input) else { return nil }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = [
                    "tag", "--input", "tokens", "--format", "conll", "--model", model,
                    "--threads", "\(threads)",
                ]
                process.standardInput = stdin
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let start = DispatchTime.now().uptimeNanoseconds
                guard (try? process.run()) != nil else { return nil }
                process.waitUntilExit()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                try? stdin.close()
                guard process.terminationStatus == 0 else { return nil }
                best = min(best, seconds)
                if tagger != nil { bestInProcess = min(bestInProcess, tagInProcess(threads: threads)) }
            }
            readings.append(
                Reading(
                    threads: threads, tokens: tokens, tokensPerSecond: Double(tokens) / best,
                    inProcessTokensPerSecond: tagger == nil ? nil : Double(tokens) / bestInProcess))
        }
        return readings
    }
}
