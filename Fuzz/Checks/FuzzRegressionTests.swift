import Foundation
import XCTest

/// Replays every seed input (`Fuzz/Corpus/<target>/`) and every input a fuzz run saved as
/// a crash, leak or timeout (`Fuzz/Crashers/<target>-*`) through the check of its target,
/// so that what the fuzzer once found is tested on every `swift test`.
final class FuzzRegressionTests: XCTestCase {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()

    static let checks: [String: ([UInt8]) -> Void] = [
        "FuzzTokenizer": FuzzChecks.tokenizer,
        "FuzzCoNLLU": FuzzChecks.coNLLU,
        "FuzzColumns": FuzzChecks.columns,
        "FuzzModelFile": FuzzChecks.modelFile,
        "FuzzCheckpoint": FuzzChecks.checkpoint,
    ]

    /// The inputs of `target`: its seeds and its saved crashers.
    static func inputs(of target: String) throws -> [URL] {
        let manager = FileManager.default
        let seeds = fuzzDirectory.appendingPathComponent("Corpus/" + target)
        let crashers = fuzzDirectory.appendingPathComponent("Crashers")
        var result = try manager.contentsOfDirectory(
            at: seeds, includingPropertiesForKeys: nil)
        if let saved = try? manager.contentsOfDirectory(
            at: crashers, includingPropertiesForKeys: nil)
        {
            result += saved.filter { $0.lastPathComponent.hasPrefix(target + "-") }
        }
        return result.sorted { $0.path < $1.path }
    }

    func testSeedsAndSavedCrashersPass() throws {
        for (target, check) in Self.checks.sorted(by: { $0.key < $1.key }) {
            let inputs = try Self.inputs(of: target)
            XCTAssertFalse(inputs.isEmpty, "\(target) has no seed inputs")
            for input in inputs {
                check(Array(try Data(contentsOf: input)))
            }
        }
    }
}
