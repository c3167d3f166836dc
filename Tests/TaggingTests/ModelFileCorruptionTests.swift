import Foundation
import LinearAlgebra
import ModelStorage
import Tagging
import Text
import XCTest

/// Model files as untrusted input: whole trained models truncated, corrupted, of another
/// format or version, and headers rewritten with a valid checksum to state shapes and
/// sizes that disagree with the stored parameters. Each is rejected with an error that
/// names the problem, before anything of the stated size is allocated.
final class ModelFileCorruptionTests: XCTestCase {
    /// A tiny POS tagger, trained for one epoch.
    static let tagger = TinyTagger.train(
        width: 8, epochs: 1, batchSize: 2, dropout: 0, shapeDimension: 2)

    /// A tiny sentence splitter built from its parts.
    static let splitter: NeuralSentenceSplitter = {
        var random = SeededRandom(seed: 3)
        var configuration = SentenceBoundaryConfiguration()
        configuration.wordDimension = 4
        configuration.shapeDimension = 2
        configuration.hiddenSize = 4
        let network = SentenceBoundaryNetwork<Float>(
            wordCount: 3, wordDimension: 4, shapeCount: 2, shapeDimension: 2,
            featureCount: BoundaryFeatures.count, hiddenSize: 4,
            random: &random)
        return NeuralSentenceSplitter(
            configuration: configuration, networks: [network], words: ["<unk>", "the", "."],
            shapes: ["<unk>", "x"], abbreviations: ["Mr."], perceptronWeights: ["a": 0.5])
    }()

    private func temporaryPath(_ name: String) -> String {
        let directory = NSTemporaryDirectory() + "model-corruption-\(getpid())"
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        return directory + "/" + name
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(
            atPath: NSTemporaryDirectory() + "model-corruption-\(getpid())")
    }

    /// Loads `bytes` as a tagger, the way `TaggerModel.load` does.
    private func loadTagger(_ bytes: [UInt8]) throws -> TaggerModel {
        try TaggerModel(file: ModelFile(bytes: bytes, source: "m.model"), path: "m.model")
    }

    /// `file` with its configuration replaced by `edit` applied to the decoded one, serialised
    /// with a correct checksum (as a deliberately crafted file would be).
    private func rewritten(_ edit: (inout ModelConfiguration) -> Void) throws -> [UInt8] {
        var file = try Self.tagger.modelFile()
        var configuration = try JSONDecoder().decode(
            ModelConfiguration.self, from: file.configuration)
        edit(&configuration)
        file.configuration = try JSONEncoder().encode(configuration)
        return try file.serialized()
    }

    private func assertImplausible(
        _ bytes: [UInt8], mentioning text: String, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try loadTagger(bytes), file: file, line: line) { error in
            guard case .implausibleConfiguration(let reason)? = error as? ModelFileError else {
                return XCTFail("unexpected \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(text), reason, file: file, line: line)
        }
    }

    // MARK: Accidental corruption

    func testWholeModelRoundTripsAndEveryTruncationIsRejected() throws {
        let bytes = try Self.tagger.modelFile().serialized()
        XCTAssertEqual(try loadTagger(bytes).modelFile(), try Self.tagger.modelFile())
        // Every length up to the end of the header, then a spread of lengths through the
        // parameters (each check hashes the whole prefix).
        let headerEnd = 16 + Int(bytes[12]) + Int(bytes[13]) << 8 + Int(bytes[14]) << 16
        let lengths = Array(0..<headerEnd) + Array(stride(from: headerEnd, to: bytes.count, by: 97))
        for length in lengths {
            XCTAssertThrowsError(try loadTagger(Array(bytes.prefix(length))), "length \(length)") {
                error in
                guard let error = error as? ModelFileError else { return XCTFail("\(error)") }
                switch error {
                case .notAModelFile, .truncated, .checksumMismatch: break
                default: XCTFail("length \(length): unexpected \(error)")
                }
            }
        }
    }

    func testAFlippedByteAnywhereIsACorruptFile() throws {
        let bytes = try Self.tagger.modelFile().serialized()
        for i in stride(from: 12, to: bytes.count, by: 31) {
            var corrupt = bytes
            corrupt[i] ^= 0x04
            XCTAssertThrowsError(try loadTagger(corrupt), "byte \(i)") { error in
                guard case .checksumMismatch(path: "m.model", _, _)? = error as? ModelFileError
                else { return XCTFail("byte \(i): unexpected \(error)") }
                XCTAssertTrue(error.localizedDescription.contains("the file is corrupt"))
            }
        }
    }

    func testForeignFilesAndOtherVersionsAreNamed() throws {
        let path = temporaryPath("foreign.model")
        try Data("# text = Hello\n1\tHello\t_\tINTJ\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            XCTAssertEqual(error as? ModelFileError, .notAModelFile(path: path))
        }
        try Data().write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            XCTAssertEqual(error as? ModelFileError, .notAModelFile(path: path))
        }
        // An endless device is rejected after its first bytes, not read to the end.
        XCTAssertThrowsError(try TaggerModel.load(path: "/dev/zero")) { error in
            XCTAssertEqual(error as? ModelFileError, .notAModelFile(path: "/dev/zero"))
        }
        XCTAssertThrowsError(try TaggerModel.load(path: NSTemporaryDirectory())) { error in
            guard case .cannotOpen? = error as? ModelFileError else { return XCTFail("\(error)") }
        }
        var bytes = try Self.tagger.modelFile().serialized()
        bytes[8] = 5
        XCTAssertThrowsError(try loadTagger(bytes)) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "m.model: model format version 5 is not supported (this build reads versions 1 to 4); retrain or use a matching build"
            )
        }
        bytes[8] = 0
        XCTAssertThrowsError(try loadTagger(bytes)) { error in
            XCTAssertEqual(
                error as? ModelFileError,
                .unsupportedVersion(path: "m.model", found: 0, supported: 4))
        }
    }

    func testAModelOfAnotherKindIsNamed() throws {
        let file = Self.splitter.modelFile
        XCTAssertThrowsError(try TaggerModel(file: file, path: "s.model")) { error in
            XCTAssertEqual(
                error as? ModelError,
                .wrongKind(
                    path: "s.model", architecture: NeuralSentenceSplitter.architecture,
                    expected: ModelArchitecture.tokenClassifier))
        }
        XCTAssertThrowsError(try SentimentModel(file: try Self.tagger.modelFile())) { error in
            guard case .wrongKind? = error as? ModelError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Headers that disagree with the parameters (valid checksum)

    func testAShapeDisagreeingWithTheHyperParametersNamesTheParameter() throws {
        let bytes = try rewritten { $0.network.hidden = 9 }
        XCTAssertThrowsError(try loadTagger(bytes)) { error in
            guard case .shapeMismatch(let name, let expected, let found)? = error as? ModelFileError
            else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(name.hasPrefix("encoder."), name)
            XCTAssertTrue(expected.hasSuffix(", 36]"), expected)
            XCTAssertTrue(found.hasSuffix(", 32]"), found)
            XCTAssertEqual(
                error.localizedDescription,
                "shape mismatch for \(name): expected \(expected), found \(found)")
        }
        var extra = try Self.tagger.modelFile()
        extra.parameters.append(.init(name: "extra.W", matrix: Matrix(rows: 2, columns: 2)))
        XCTAssertThrowsError(try loadTagger(try extra.serialized())) { error in
            XCTAssertEqual(
                error as? ModelError, .unexpectedParameter(path: "m.model", name: "extra.W"))
        }
    }

    /// A hidden size of 10^6 would mean 4·10^12 recurrent weights per direction; the file
    /// holds a few thousand values, so it is rejected before the network is built.
    func testAbsurdHyperParametersAreRejectedBeforeAllocation() throws {
        assertImplausible(
            try rewritten { $0.network.hidden = 1_000_000 }, mentioning: "parameter values")
        assertImplausible(
            try rewritten { $0.network.hidden = 10_000_000 },
            mentioning: "network.hidden is 10000000, expected 1 to 1048576")
        assertImplausible(
            try rewritten { $0.network.hidden = 100_000 }, mentioning: "parameter values")
        assertImplausible(
            try rewritten { $0.network.embedder.wordDimension = 1 << 19 },
            mentioning: "parameter values")
        assertImplausible(
            try rewritten { $0.network.layers = 1000 }, mentioning: "parameter values")
        assertImplausible(
            try rewritten { $0.network.layers = 0 }, mentioning: "network.layers is 0")
        assertImplausible(
            try rewritten { $0.network.embedder.characterDimension = -4 },
            mentioning: "embedder.characterDimension is -4")
        assertImplausible(
            try rewritten { $0.network.embedder.characterHidden = 0 },
            mentioning: "embedder.characterHidden is 0")
        assertImplausible(
            try rewritten { $0.network.dropout = 1.5 }, mentioning: "network.dropout is 1.5")
        XCTAssertThrowsError(
            try loadTagger(try rewritten { $0.network.hidden = 1_000_000 })
        ) { error in
            XCTAssertTrue(
                error.localizedDescription.hasPrefix(
                    "the model's hyper-parameters disagree with its parameters: they need at least 20000"
                ), error.localizedDescription)
        }
    }

    func testASplitterWithAbsurdSizesIsRejected() throws {
        let original = Self.splitter.modelFile
        XCTAssertNoThrow(try NeuralSentenceSplitter(modelFile: original))
        let edits: [(String, Any, String)] = [
            ("hiddenSize", 1_000_000, "parameter values"),
            ("hiddenSize", 10_000_000, "hiddenSize is 10000000"),
            ("wordDimension", 500_000, "parameter values"),
            ("margin", -3, "margin is -3"),
            ("window", 0, "window is 0"),
            ("members", 0, "members is 0"),
        ]
        for (key, value, message) in edits {
            var json =
                try JSONSerialization.jsonObject(with: original.configuration) as! [String: Any]
            json[key] = value
            var file = original
            file.configuration = try JSONSerialization.data(withJSONObject: json)
            let bytes = try file.serialized()
            XCTAssertThrowsError(
                try NeuralSentenceSplitter(modelFile: ModelFile(bytes: bytes, source: "s")), key
            ) { error in
                guard case .implausibleConfiguration(let reason)? = error as? ModelFileError else {
                    return XCTFail("\(key): unexpected \(error)")
                }
                XCTAssertTrue(reason.contains(message), "\(key): \(reason)")
            }
        }
    }

    /// Every byte of the header, changed and re-checksummed, either still loads or gives a
    /// named error; none traps.
    func testEveryHeaderByteRewrittenWithAValidChecksumNeverTraps() throws {
        let bytes = try Self.tagger.modelFile().serialized()
        let headerEnd = 16 + Int(bytes[12]) + Int(bytes[13]) << 8 + Int(bytes[14]) << 16
        var rejected = 0
        for i in 16..<headerEnd {
            for replacement: UInt8 in [UInt8(ascii: "9"), UInt8(ascii: "-"), bytes[i] ^ 0x01] {
                var edited = bytes
                edited[i] = replacement
                let body = edited[..<(edited.count - 8)]
                let checksum = ModelFile.checksum(body)
                for k in 0..<8 {
                    edited[edited.count - 8 + k] = UInt8(
                        truncatingIfNeeded: checksum >> (8 * UInt64(k)))
                }
                do {
                    _ = try loadTagger(edited)
                } catch is ModelFileError, is ModelError {
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, headerEnd - 16)
    }

    /// A parameter count and a matrix shape of 10^12 values, with a valid checksum.
    func testAbsurdParameterCountsAndShapesAreRejected() throws {
        var file = try Self.tagger.modelFile()
        file.parameters = [
            .init(name: "output.W", matrix: Matrix(rows: 1, columns: 1))
        ]
        var bytes = try file.serialized()
        // The last parameter record: name length 2 + "output.W" (8) … then rows, columns.
        let shapeOffset = bytes.count - 8 - 4 - 8
        for (k, byte) in [0x40, 0x42, 0x0F, 0x00, 0x40, 0x42, 0x0F, 0x00].enumerated() {
            bytes[shapeOffset + k] = UInt8(byte)
        }
        let checksum = ModelFile.checksum(bytes[..<(bytes.count - 8)])
        for k in 0..<8 {
            bytes[bytes.count - 8 + k] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(k)))
        }
        XCTAssertThrowsError(try ModelFile(bytes: bytes, source: "huge")) { error in
            guard case .truncated(path: "huge", let needed, _)? = error as? ModelFileError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(needed, 4_000_000_000_000)
        }
        // 2^32 − 1 rows of 2^31 − 1 columns: the element count fits in an Int, its byte
        // count does not (found by the model-file fuzzer; it used to trap on the overflow).
        for (k, byte) in [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F].enumerated() {
            bytes[shapeOffset + k] = UInt8(byte)
        }
        let fixed = ModelFile.checksum(bytes[..<(bytes.count - 8)])
        for k in 0..<8 {
            bytes[bytes.count - 8 + k] = UInt8(truncatingIfNeeded: fixed >> (8 * UInt64(k)))
        }
        XCTAssertThrowsError(try ModelFile(bytes: bytes, source: "huge")) { error in
            guard case .truncated(path: "huge", Int.max, _)? = error as? ModelFileError else {
                return XCTFail("\(error)")
            }
        }
    }
}
