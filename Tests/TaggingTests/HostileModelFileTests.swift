import Foundation
import LinearAlgebra
import ModelStorage
import Tagging
import Text
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Model files crafted to cost unbounded memory or time, to carry weights or tags that
/// would make the output meaningless or malformed, or to forge lines in error messages.
final class HostileModelFileTests: XCTestCase {
    static let tagger = TinyTagger.train(
        width: 8, epochs: 1, batchSize: 2, dropout: 0, shapeDimension: 2)

    private static let directory = NSTemporaryDirectory() + "hostile-models-\(getpid())"

    private func temporaryPath(_ name: String) -> String {
        try? FileManager.default.createDirectory(
            atPath: Self.directory, withIntermediateDirectories: true)
        return Self.directory + "/" + name
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The magic bytes and the current version: a valid start.
    private var validStart: [UInt8] {
        ModelFile.magic + [UInt8(ModelFile.formatVersion), 0, 0, 0]
    }

    // MARK: Size (item 5)

    func testASparseFileBeyondTheLimitIsRefusedBeforeReading() throws {
        let path = temporaryPath("sparse.model")
        FileManager.default.createFile(atPath: path, contents: Data(validStart))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 30 << 30)
        try handle.write(contentsOf: [0])
        try handle.close()
        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            XCTAssertEqual(
                error as? ModelFileError,
                .tooLarge(path: path, size: (30 << 30) + 1, limit: ModelFile.maximumFileBytes))
            XCTAssertTrue(error.localizedDescription.contains("limit of 1073741824 bytes"))
        }
    }

    func testStatedLengthsBeyondTheLimitAreRefusedBeforeReading() throws {
        // Header length 0, one parameter "W" of 65,536 × 65,536 floats (16 GiB).
        var bytes = validStart + [0, 0, 0, 0] + [1, 0, 0, 0] + [1, 0] + Array("W".utf8)
        bytes += [0, 0, 1, 0] + [0, 0, 1, 0]
        let path = temporaryPath("stated.model")
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        XCTAssertThrowsError(try ModelFile.read(from: path)) { error in
            guard case .tooLarge(path, _, ModelFile.maximumFileBytes)? = error as? ModelFileError
            else { return XCTFail("\(error)") }
        }
    }

    /// Feeds `bytes` and then zeros without end (until the reader closes) into a FIFO.
    private func endlessPipe(_ name: String, starting bytes: [UInt8]) throws -> (String, Thread) {
        let path = temporaryPath(name)
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        signal(SIGPIPE, SIG_IGN)
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var sent = 0
            var chunk = bytes
            while sent < (512 << 20) {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
                if n <= 0 { return }
                sent += n
                chunk = [UInt8](repeating: 0, count: 1 << 16)
            }
        }
        writer.start()
        return (path, writer)
    }

    func testAPipeThatKeepsSendingAfterAValidModelIsCutOff() throws {
        let model = try Self.tagger.modelFile().serialized()
        let (path, _) = try endlessPipe("model.fifo", starting: model)
        XCTAssertThrowsError(try ModelFile.read(from: path)) { error in
            XCTAssertEqual(
                error as? ModelFileError, .trailingData(path: path, offset: model.count))
        }
    }

    func testAPipeSendingAValidStartAndThenZerosIsCutOff() throws {
        let (path, _) = try endlessPipe("zeros.fifo", starting: validStart)
        // Zeros read as an empty header, no parameters and a checksum; the next byte is refused.
        XCTAssertThrowsError(try ModelFile.read(from: path)) { error in
            XCTAssertEqual(error as? ModelFileError, .trailingData(path: path, offset: 28))
        }
    }

    func testAModelReadFromAFileOrAPipeLoadsAlike() throws {
        let file = try Self.tagger.modelFile()
        let path = temporaryPath("good.model")
        try file.write(to: path)
        XCTAssertEqual(try ModelFile.read(from: path), file)
        let fifo = temporaryPath("good.fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let bytes = try file.serialized()
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            close(fd)
        }
        writer.start()
        XCTAssertEqual(try ModelFile.read(from: fifo), file)
    }

    // MARK: Costly settings (item 10)

    private func assertImplausible(_ bytes: [UInt8], mentioning text: String, line: UInt = #line)
    {
        XCTAssertThrowsError(
            try TaggerModel(file: ModelFile(bytes: bytes, source: "m"), path: "m"), line: line
        ) { error in
            guard case .implausibleConfiguration(let reason)? = error as? ModelFileError else {
                return XCTFail("unexpected \(error)", line: line)
            }
            XCTAssertTrue(reason.contains(text), reason, line: line)
        }
    }

    func testAnUnboundedWordLengthIsRejected() throws {
        for length in [Int.max, 1025, 0] {
            var file = try Self.tagger.modelFile()
            var configuration = try JSONDecoder().decode(
                ModelConfiguration.self, from: file.configuration)
            configuration.network.embedder.maximumWordLength = length
            file.configuration = try JSONEncoder().encode(configuration)
            assertImplausible(
                try file.serialized(),
                mentioning: "embedder.maximumWordLength is \(length), expected 1 to 1024")
        }
    }

    func testASplitterWindowThatRereadsEveryTokenIsRejected() throws {
        let original = ModelFileCorruptionTests.splitter.modelFile
        let edits: [([String: Int], String)] = [
            (["window": 1001, "margin": 500], "margin is 500, expected 0 to 250"),
            (["window": 5000, "margin": 30], "window is 5000, expected 2 to 4096"),
            (["layers": 9], "layers is 9, expected 1 to 8"),
            (["pretrainedDimension": 1025], "pretrainedDimension is 1025"),
        ]
        for (edit, message) in edits {
            var json =
                try JSONSerialization.jsonObject(with: original.configuration) as! [String: Any]
            for (key, value) in edit { json[key] = value }
            var file = original
            file.configuration = try JSONSerialization.data(withJSONObject: json)
            XCTAssertThrowsError(
                try NeuralSentenceSplitter(modelFile: ModelFile(bytes: file.serialized(), source: "s")),
                "\(edit)"
            ) { error in
                guard case .implausibleConfiguration(let reason)? = error as? ModelFileError else {
                    return XCTFail("\(edit): unexpected \(error)")
                }
                XCTAssertTrue(reason.contains(message), "\(edit): \(reason)")
            }
        }
    }

    // MARK: Non-finite weights (item 11)

    func testNonFiniteWeightsAreRejectedNamingTheParameter() throws {
        for value in [Float.nan, .infinity, -.infinity] {
            var file = try Self.tagger.modelFile()
            let k = file.parameters.count - 1
            let name = file.parameters[k].name
            file.parameters[k].matrix[0, 1] = value
            XCTAssertThrowsError(try ModelFile(bytes: file.serialized(), source: "m")) { error in
                guard case .nonFiniteParameter(name, 0, 1, let found)? = error as? ModelFileError
                else { return XCTFail("\(error)") }
                XCTAssertEqual(found.bitPattern, value.bitPattern)
                XCTAssertTrue(
                    error.localizedDescription.hasPrefix(
                        "the parameter \"\(name)\" holds \(value) at row 0, column 1"),
                    error.localizedDescription)
            }
        }
    }

    // MARK: Tags (item 9)

    func testTagsThatWouldBreakTheOutputAreRejectedWhenLoading() throws {
        let cases: [(String, String)] = [
            ("NO UN", "\"NO UN\": it holds white space (U+20)"),
            ("A\nB", "\"A\\u{A}B\": it holds white space (U+A)"),
            ("", "\"\": it is empty"),
            ("X\tY", "\"X\\u{9}Y\": it holds white space (U+9)"),
            ("E\u{1B}[31m", "\"E\\u{1B}[31m\": it holds the control or invisible character U+1B"),
            ("A|B", "\"A|B\": it holds \"|\""),
        ]
        for (tag, message) in cases {
            var file = try Self.tagger.modelFile()
            file.vocabularies["tags"]![1] = tag
            XCTAssertThrowsError(try TaggerModel(file: file, path: "t.model"), tag.debugDescription) {
                error in
                guard case .invalidVocabulary("t.model", "tags", let reason)? = error as? ModelError
                else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("entry 2, " + message), reason)
                XCTAssertFalse(error.localizedDescription.contains(where: \.isNewline))
            }
        }
        // The shipped-style tags stay accepted.
        var file = try Self.tagger.modelFile()
        file.vocabularies["tags"]![1] = "B-PER"
        XCTAssertNoThrow(try TaggerModel(file: file, path: "t.model"))
    }

    // MARK: Messages (item 13)

    func testNamesFromTheFileAreQuotedAndEscapedInMessages() throws {
        var file = try Self.tagger.modelFile()
        file.parameters.append(file.parameters[0])
        file.parameters[file.parameters.count - 1].name = "W\u{1B}]0;owned\u{7}"
        file.parameters.append(file.parameters[file.parameters.count - 1])
        XCTAssertThrowsError(try ModelFile(bytes: file.serialized(), source: "m")) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "the model has the parameter \"W\\u{1B}]0;owned\\u{7}\" twice")
        }

        let forged = "X.v1\nError: everything is fine"
        XCTAssertEqual(
            ModelError.wrongKind(path: "m", architecture: forged, expected: "BiRNNTokenClassifier.v1")
                .localizedDescription.contains("\"X.v1\\u{A}Error: everything is fine\""),
            true)

        var extra = try Self.tagger.modelFile()
        extra.parameters.append(.init(name: "x\r\nError: y", matrix: Matrix(rows: 1, columns: 1)))
        XCTAssertThrowsError(try TaggerModel(file: extra, path: "m")) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "m: unexpected parameter \"x\\u{D}\\u{A}Error: y\" for this configuration; the file was written by another build"
            )
        }

        var undecodable = try Self.tagger.modelFile()
        undecodable.configuration = Data(#"{"task":"pos\u001b[2J","network":{}}"#.utf8)
        XCTAssertThrowsError(try TaggerModel(file: undecodable, path: "m")) { error in
            let message = error.localizedDescription
            XCTAssertEqual(
                message,
                "malformed model header: the configuration does not decode: \"task\" holds a value that is not allowed"
            )
        }
        undecodable.configuration = Data(#"{"network":{}}"#.utf8)
        XCTAssertThrowsError(try TaggerModel(file: undecodable, path: "m")) { error in
            XCTAssertEqual(
                error.localizedDescription,
                "malformed model header: the configuration does not decode: the key \"task\" is missing"
            )
        }
    }
}
