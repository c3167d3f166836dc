import Foundation
import XCTest

/// `tagger benchmark ref` on tiny files: the shape of its results, not its speed.
final class BenchmarkCommandTests: XCTestCase {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A few tagged sentences, used as both training and test split.
    static let treebank = (1...6).map { k in
        """
        # text = The dog \(k) runs .
        1\tThe\tthe\tDET\t_\t_\t_\t_\t_\t_
        2\tdog\tdog\tNOUN\t_\t_\t_\t_\t_\t_
        3\t\(k)\t\(k)\tNUM\t_\t_\t_\t_\t_\t_
        4\truns\trun\tVERB\t_\t_\t_\t_\t_\t_
        5\t.\t.\tPUNCT\t_\t_\t_\t_\t_\t_

        """
    }.joined(separator: "\n")

    /// `treebank` written to a new file in the temporary directory; returns its path.
    static func temporaryTreebank() throws -> String {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("treebank-\(UUID().uuidString).conllu").path
        try treebank.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testReferenceBenchmarkReportsTheFastestTrainingEpoch() throws {
        let pos = Self.repository.appendingPathComponent("models/pos-en.model").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: pos))
        let file = try Self.temporaryTreebank()
        defer { try? FileManager.default.removeItem(atPath: file) }

        let result = try TaggerProcess.run(
            [
                "benchmark", "ref", "--json", "--pos-model", pos, "--train", file, "--test", file,
                "--threads", "1", "--repetitions", "1", "--training-epochs", "3",
            ], input: [])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let epochs = try XCTUnwrap(json["trainingEpochTokensPerSecond"] as? [Double])
        XCTAssertEqual(epochs.count, 3)
        XCTAssertTrue(epochs.allSatisfy { $0 > 0 }, "\(epochs)")
        XCTAssertEqual(json["trainingTokensPerSecond"] as? Double, epochs.max())
        XCTAssertEqual(json["trainingTokens"] as? Int, 30)
        XCTAssertEqual(json["testTokens"] as? Int, 30)
        // The limit is the better of OpenBLAS sgemm and the packed kernel, both reported.
        let sgemm = try XCTUnwrap(json["sgemmGFLOPS"] as? Double)
        let packed = try XCTUnwrap(json["packedGFLOPS"] as? Double)
        XCTAssertGreaterThan(sgemm, 0)
        XCTAssertGreaterThan(packed, 0)
        XCTAssertEqual(json["limitGFLOPS"] as? Double, max(sgemm, packed))
        let kernels = try XCTUnwrap(json["kernels"] as? [String: Any])
        XCTAssertFalse((kernels["core"] as? String ?? "").isEmpty, "\(kernels)")
        let tagging = try XCTUnwrap(json["tagging"] as? [[String: Any]])
        XCTAssertFalse(tagging.isEmpty)
        for figure in tagging {
            let fraction = try XCTUnwrap(figure["fractionOfLimit"] as? Double, "\(figure)")
            XCTAssertGreaterThan(fraction, 0)
        }
        // The command line, run as a child process over the test tokens 8 times (30 × 8),
        // beside the in-process batch-256 rate of the same thread count.
        let commandLine = try XCTUnwrap(json["commandLine"] as? [[String: Any]], "\(json.keys)")
        XCTAssertEqual(commandLine.count, 1)
        XCTAssertEqual(commandLine.first?["threads"] as? Int, 1)
        XCTAssertEqual(commandLine.first?["tokens"] as? Int, 240)
        XCTAssertGreaterThan(commandLine.first?["tokensPerSecond"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(
            commandLine.first?["fractionOfInProcessBatch256"] as? Double ?? 0, 0)

        let refused = try TaggerProcess.run(
            ["benchmark", "ref", "--pos-model", pos, "--training-epochs", "0"], input: [])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--training-epochs"), refused.stderr)
    }
}
