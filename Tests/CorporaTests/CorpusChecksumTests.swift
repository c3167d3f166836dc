import Foundation
import XCTest

/// `corpora/SHA256SUMS` covers every data file, matches the files, and the check
/// that `make check-corpora` runs names a file that has changed by one byte.
final class CorpusChecksumTests: XCTestCase {
    /// Runs the check of `make check-corpora` in `directory`: its exit status and output.
    private func checkSums(in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", "--check", "--quiet", "--strict", "SHA256SUMS"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The paths listed in `SHA256SUMS`, relative to the corpus folder.
    private func listedFiles(in directory: String) throws -> [String] {
        let text = try String(contentsOfFile: directory + "/SHA256SUMS", encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            XCTAssertEqual(parts.count, 2, "malformed line \(line)")
            XCTAssertEqual(parts.first?.count, 64, "not a SHA-256: \(line)")
            return String(parts.last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: " *"))
        }
    }

    func testEveryDataFileHasASum() throws {
        let directory = try corporaDirectory()
        let listed = Set(try listedFiles(in: directory))
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: directory))
        var dataFiles = Set<String>()
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(
                atPath: directory + "/" + path, isDirectory: &isDirectory)
            // The folder's own description and sums are not data.
            if isDirectory.boolValue || path == "README.md" || path == "SHA256SUMS" { continue }
            dataFiles.insert(path)
        }
        XCTAssertEqual(dataFiles.subtracting(listed), [], "data files without a sum in SHA256SUMS")
        XCTAssertEqual(listed.subtracting(dataFiles), [], "sums of files that are not there")
        for split in ["train", "dev", "test"] {
            XCTAssertTrue(listed.contains("ud-english-ewt/\(split).conllu"))
            XCTAssertTrue(listed.contains("uner-english-ewt/\(split).iob2"))
            XCTAssertTrue(listed.contains("sst2/\(split).txt"))
        }
    }

    func testTheCorporaMatchTheirSums() throws {
        let result = try checkSums(in: try corporaDirectory())
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testOneChangedByteIsReportedByName() throws {
        let source = try corporaDirectory()
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("corpus-sums-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        for folder in ["ud-english-ewt", "uner-english-ewt", "sst2"] {
            try FileManager.default.createDirectory(
                atPath: copy + "/" + folder, withIntermediateDirectories: true)
        }
        for path in try listedFiles(in: source) {
            try FileManager.default.copyItem(atPath: source + "/" + path, toPath: copy + "/" + path)
        }
        try FileManager.default.copyItem(
            atPath: source + "/SHA256SUMS", toPath: copy + "/SHA256SUMS")
        XCTAssertEqual(try checkSums(in: copy).status, 0)

        // One byte in the middle of the NER test split, flipped.
        let target = copy + "/uner-english-ewt/test.iob2"
        var bytes = try fileBytes(target)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        let changed = try checkSums(in: copy)
        XCTAssertNotEqual(changed.status, 0)
        XCTAssertTrue(changed.output.contains("uner-english-ewt/test.iob2: FAILED"), changed.output)
        XCTAssertFalse(changed.output.contains("ud-english-ewt/test.conllu"), changed.output)

        // A truncated file too.
        let truncated = copy + "/sst2/dev.txt"
        try Data(try fileBytes(truncated).dropLast(10)).write(to: URL(fileURLWithPath: truncated))
        XCTAssertTrue(try checkSums(in: copy).output.contains("sst2/dev.txt: FAILED"))
    }
}
