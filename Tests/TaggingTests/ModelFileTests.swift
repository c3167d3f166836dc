import Foundation
import LinearAlgebra
import ModelStorage
import Tagging
import XCTest

final class ModelFileTests: XCTestCase {
    private func sample() -> ModelFile {
        var random = SeededRandom(seed: 4)
        return ModelFile(
            architecture: "TestModel.v1", configuration: Data(#"{"hidden":3}"#.utf8),
            vocabularies: ["words": ["<unk>", "the", "naïve"], "tags": ["NOUN", "VERB"]],
            parameters: [
                .init(
                    name: "Wx",
                    matrix: Initializer.uniform(rows: 4, columns: 3, limit: 1, using: &random)),
                .init(name: "b", matrix: Matrix(rows: 1, columns: 3, repeating: 0.5)),
                .init(name: "empty", matrix: Matrix(rows: 0, columns: 7)),
            ])
    }

    private func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelfile-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    func testRoundTripThroughBytesAndFile() throws {
        let model = sample()
        XCTAssertEqual(try ModelFile(bytes: try model.serialized(), source: "memory"), model)
        let path = temporaryPath("roundtrip.model")
        try model.write(to: path)
        XCTAssertEqual(try ModelFile.read(from: path), model)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp-\(getpid())"))
    }

    func testEveryTruncationIsRejected() throws {
        let bytes = try sample().serialized()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(
                try ModelFile(bytes: Array(bytes.prefix(length)), source: "cut"), "length \(length)"
            )
        }
    }

    func testEveryFlippedByteIsRejected() throws {
        let bytes = try sample().serialized()
        for i in bytes.indices {
            var corrupt = bytes
            corrupt[i] ^= 0x20
            XCTAssertThrowsError(try ModelFile(bytes: corrupt, source: "flip"), "byte \(i)") {
                error in
                guard let error = error as? ModelFileError else { return XCTFail("\(error)") }
                switch error {
                case .notAModelFile, .unsupportedVersion, .checksumMismatch: break
                default: XCTFail("byte \(i): unexpected \(error)")
                }
            }
        }
    }

    func testForeignFileIsNotAModel() {
        let text = Array("1\tThe\tthe\tDET\n".utf8)
        XCTAssertThrowsError(try ModelFile(bytes: text, source: "x.conllu")) { error in
            XCTAssertEqual(error as? ModelFileError, .notAModelFile(path: "x.conllu"))
            XCTAssertTrue(error.localizedDescription.contains("x.conllu"))
        }
    }

    func testOtherVersionIsNamed() throws {
        var bytes = try sample().serialized()
        bytes[8] = 9
        XCTAssertThrowsError(try ModelFile(bytes: bytes, source: "m")) { error in
            XCTAssertEqual(
                error as? ModelFileError, .unsupportedVersion(path: "m", found: 9, supported: 4))
        }
    }

    /// A well-formed file whose parameter claims 10^12 elements is rejected before
    /// anything of that size is allocated.
    func testAbsurdSizeIsRejectedBeforeAllocation() throws {
        var bytes = ModelFile.magic
        func append<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        }
        append(UInt32(1))
        let header = Array(#"{"architecture":"X","configuration":"{}","vocabularies":{}}"#.utf8)
        append(UInt32(header.count))
        bytes += header
        append(UInt32(1))
        append(UInt16(2))
        bytes += Array("Wx".utf8)
        append(UInt32(1_000_000))
        append(UInt32(1_000_000))
        append(ModelFile.checksum(bytes[...]))
        XCTAssertThrowsError(try ModelFile(bytes: bytes, source: "huge")) { error in
            guard case .truncated(path: "huge", _, _)? = error as? ModelFileError else {
                return XCTFail("\(error)")
            }
        }
    }

    func testShapeMismatchNamesTheParameter() throws {
        XCTAssertThrowsError(try sample().matrix(named: "Wx", rows: 5, columns: 3)) { error in
            XCTAssertEqual(
                error.localizedDescription, "shape mismatch for Wx: expected [5, 3], found [4, 3]")
        }
        XCTAssertThrowsError(try sample().matrix(named: "Wh", rows: 1, columns: 1)) { error in
            XCTAssertEqual(error as? ModelFileError, .missingParameter(name: "Wh"))
        }
        XCTAssertEqual(
            try sample().matrix(named: "b", rows: 1, columns: 3).scalars, [0.5, 0.5, 0.5])
    }

    func testFailedSaveLeavesThePreviousFile() throws {
        let path = temporaryPath("keep.model")
        try sample().write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A directory in the way of the temporary file makes the save fail.
        try? FileManager.default.createDirectory(
            atPath: path + ".tmp-\(getpid())", withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: path + ".tmp-\(getpid())") }
        var changed = sample()
        changed.architecture = "Other.v1"
        XCTAssertThrowsError(try changed.write(to: path)) { error in
            guard case .writeFailed? = error as? ModelFileError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testMissingFileIsReported() {
        XCTAssertThrowsError(try ModelFile.read(from: "/nonexistent/dir/model")) { error in
            XCTAssertTrue(error.localizedDescription.contains("/nonexistent/dir/model"))
        }
    }
}
