import Foundation
import LinearAlgebra
import Tagging
import Text
import XCTest

final class PretrainedVectorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vectors-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func gzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-kf", path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return path + ".gz"
    }

    private let expected: [String: [Float]] = [
        "the": [0.5, -1.25, 3], "naïve": [1e-3, 2, -0.5], "Paris": [0, 0, 1],
    ]

    private func check(
        _ vectors: PretrainedVectors, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(vectors.dimension, 3, file: file, line: line)
        XCTAssertEqual(vectors.words, ["the", "naïve", "Paris"], file: file, line: line)
        for (word, v) in expected {
            XCTAssertEqual(vectors.vector(for: word), v, word, file: file, line: line)
        }
        XCTAssertEqual(
            vectors.vector(for: "THE"), expected["the"], "lowercase fallback", file: file,
            line: line)
        XCTAssertEqual(
            vectors.vector(for: "paris"), nil, "no fallback to other cases", file: file, line: line)
    }

    private let glove = "the 0.5 -1.25 3\nnaïve 0.001 2 -0.5\nParis 0 0 1\n"

    func testGloVeTextWithoutHeader() throws {
        check(try PretrainedVectors.load(path: try file("glove.txt", Array(glove.utf8))))
    }

    func testFastTextWithHeaderAndCRLF() throws {
        let text = "3 3\r\n" + glove.replacingOccurrences(of: "\n", with: " \r\n")
        check(try PretrainedVectors.load(path: try file("wiki.vec", Array(text.utf8))))
    }

    func testGzipCompressedText() throws {
        let path = try gzip(try file("glove.txt", Array(glove.utf8)))
        check(try PretrainedVectors.load(path: path))
    }

    private func binaryWord2vec() -> [UInt8] {
        var bytes = Array("3 3\n".utf8)
        for word in ["the", "naïve", "Paris"] {
            bytes += Array(word.utf8) + [0x20]
            for v in expected[word]! {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    func testBinaryWord2vecDetectedAutomaticallyAndGzipped() throws {
        let path = try file("vectors.bin", binaryWord2vec())
        check(try PretrainedVectors.load(path: path))
        check(try PretrainedVectors.load(path: path, format: .binary))
        check(try PretrainedVectors.load(path: try gzip(path)))
    }

    func testLimitAndKeepFilter() throws {
        let path = try file("glove.txt", Array(glove.utf8))
        XCTAssertEqual(try PretrainedVectors.load(path: path, limit: 2).words, ["the", "naïve"])
        XCTAssertEqual(
            try PretrainedVectors.load(path: path, keep: { $0 != "the" }).words, ["naïve", "Paris"])
    }

    func testMalformedLinesNameFileAndLine() throws {
        let cases: [(String, String)] = [
            ("the 1 2 3\ncat 1 2\n", ":2: expected 3 values after the word, found 2"),
            ("the 1 2 3\ncat 1 x 3\n", ":2: value 2 of \"cat\" is not a finite number"),
            ("the 1 2 3\ncat 1 nan 3\n", ":2: value 2 of \"cat\" is not a finite number"),
            ("2 3\nthe 1 2 3\ncat 1 2 3 4\n", ":3: expected 3 values after the word, found 4"),
        ]
        for (i, (content, message)) in cases.enumerated() {
            let path = try file("bad\(i).txt", Array(content.utf8))
            XCTAssertThrowsError(try PretrainedVectors.load(path: path), content) { error in
                XCTAssertEqual(error.localizedDescription, path + message)
            }
        }
        let invalid = try file(
            "invalid.txt", Array("the 1 2\n".utf8) + [0x63, 0xC3, 0x28] + Array(" 1 2\n".utf8))
        XCTAssertThrowsError(try PretrainedVectors.load(path: invalid)) { error in
            XCTAssertTrue(
                error.localizedDescription.hasPrefix(invalid + ":2: invalid UTF-8"), "\(error)")
        }
    }

    func testEmptyTruncatedAndMissingFiles() throws {
        let empty = try file("empty.txt", [])
        XCTAssertThrowsError(try PretrainedVectors.load(path: empty)) { error in
            XCTAssertEqual(error as? PretrainedVectorsError, .empty(path: empty))
        }
        let truncated = try file("cut.bin", Array(binaryWord2vec().dropLast(7)))
        XCTAssertThrowsError(try PretrainedVectors.load(path: truncated)) { error in
            XCTAssertEqual(
                error as? PretrainedVectorsError, .truncated(path: truncated, expected: 3, found: 2)
            )
        }
        XCTAssertThrowsError(try PretrainedVectors.load(path: directory.path + "/absent.vec")) {
            error in
            XCTAssertEqual(
                error as? PretrainedVectorsError, .cannotOpen(path: directory.path + "/absent.vec"))
        }
    }

    func testEmbeddingTableFollowsTheUnknownWordPolicy() throws {
        let vectors = try PretrainedVectors.load(path: try file("glove.txt", Array(glove.utf8)))
        let vocabulary = Vocabulary(
            symbols: ["<pad>", "<unk>", "the", "Naïve", "zebra"], unknown: "<unk>")
        var random = SeededRandom(seed: 1)
        let (zero, found) = vectors.embeddingTable(for: vocabulary, policy: .zero, random: &random)
        XCTAssertEqual(found, 2, "the, and Naïve through its lowercase form")
        XCTAssertEqual(zero.row(0), [0, 0, 0], "padding stays zero")
        XCTAssertEqual(zero.row(2), [0.5, -1.25, 3])
        XCTAssertEqual(zero.row(3), [1e-3, 2, -0.5])
        XCTAssertEqual(zero.row(4), [0, 0, 0])
        let (average, _) = vectors.embeddingTable(
            for: vocabulary, policy: .average, random: &random)
        assertRowClose(average.row(4), [0.5 + 1e-3, -1.25 + 2 + 0, 3 - 0.5 + 1].map { $0 / 3 })
        let (randomized, _) = vectors.embeddingTable(
            for: vocabulary, policy: .random, random: &random)
        XCTAssertNotEqual(randomized.row(4), [0, 0, 0])
        XCTAssertEqual(randomized.row(2), [0.5, -1.25, 3])
    }

    private func assertRowClose(
        _ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6, file: file, line: line) }
    }
}
