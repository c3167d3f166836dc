import Foundation
import Text
import XCTest

final class LineReaderTests: XCTestCase {
    private func lines(_ bytes: [UInt8], options: LineReader.Options = .init()) throws -> [Line] {
        let reader = LineReader(bytes: bytes, name: "t.txt", options: options)
        var result: [Line] = []
        try reader.forEach { result.append($0) }
        return result
    }

    /// Asserts that reading `bytes` throws invalid UTF-8 at `line`, `offset`, with `defect`.
    private func assertInvalid(
        _ bytes: [UInt8], line: Int, offset: Int, defect: UTF8Defect,
        file: StaticString = #filePath, lineNumber: UInt = #line
    ) {
        XCTAssertThrowsError(try lines(bytes), file: file, line: lineNumber) { error in
            guard case .invalidUTF8(let source, let l, let o, _, let d)? = error as? TextInputError
            else {
                return XCTFail("unexpected error \(error)", file: file, line: lineNumber)
            }
            XCTAssertEqual(source, "t.txt", file: file, line: lineNumber)
            XCTAssertEqual(l, line, "line", file: file, line: lineNumber)
            XCTAssertEqual(o, offset, "byte offset", file: file, line: lineNumber)
            XCTAssertEqual(d, defect, file: file, line: lineNumber)
        }
    }

    func testEmptyInputHasNoLines() throws {
        XCTAssertEqual(try lines([]).count, 0)
    }

    func testTerminatorsAndOffsets() throws {
        let input = Array("a\nbb\r\nccc\rd".utf8)
        let result = try lines(input)
        XCTAssertEqual(result.map(\.text), ["a", "bb", "ccc", "d"])
        XCTAssertEqual(result.map(\.terminator), [.lf, .crlf, .cr, .none])
        XCTAssertEqual(result.map(\.number), [1, 2, 3, 4])
        XCTAssertEqual(result.map(\.byteOffset), [0, 2, 6, 10])
        // Round trip.
        XCTAssertEqual(result.flatMap { $0.bytes + $0.terminator.bytes }, input)
    }

    func testBlankLinesAndTrailingTerminator() throws {
        let result = try lines(Array("\n\r\n\r\rx\n".utf8))
        XCTAssertEqual(result.map(\.text), ["", "", "", "", "x"])
        XCTAssertEqual(result.map(\.terminator), [.lf, .crlf, .cr, .cr, .lf])
    }

    func testCRLFSplitAcrossChunks() throws {
        // With 1-byte chunks every CR sits at the end of the buffer.
        let input = Array("ab\r\ncd\r\rx\r".utf8)
        let result = try lines(input, options: .init(chunkSize: 1))
        XCTAssertEqual(result.map(\.text), ["ab", "cd", "", "x"])
        XCTAssertEqual(result.map(\.terminator), [.crlf, .cr, .cr, .cr])
        XCTAssertEqual(result.map(\.byteOffset), [0, 4, 7, 8])
    }

    func testByteOrderMarkSkippedAndReported() throws {
        let reader = LineReader(bytes: [0xEF, 0xBB, 0xBF] + Array("hi\nyo".utf8), name: "t.txt")
        let first = try XCTUnwrap(try reader.next())
        XCTAssertTrue(reader.hadByteOrderMark)
        XCTAssertEqual(first.text, "hi")
        XCTAssertEqual(first.byteOffset, 3)
        XCTAssertEqual(try reader.next()?.byteOffset, 6)
        // A BOM later in the input is data.
        let later = try lines(Array("x\n".utf8) + [0xEF, 0xBB, 0xBF])
        XCTAssertEqual(later[1].text, "\u{FEFF}")
        let without = LineReader(string: "x")
        _ = try without.next()
        XCTAssertFalse(without.hadByteOrderMark)
    }

    func testNULIsData() throws {
        let result = try lines([0x61, 0x00, 0x62, 0x0A, 0x00])
        XCTAssertEqual(result.map(\.bytes), [[0x61, 0x00, 0x62], [0x00]])
        XCTAssertEqual(result[0].text, "a\u{0}b")
    }

    func testValidMultibyteAcceptedAcrossChunks() throws {
        let text = "é€😀\u{10FFFF}\u{FFFD}"
        let result = try lines(Array((text + "\n" + text).utf8), options: .init(chunkSize: 3))
        XCTAssertEqual(result.map(\.text), [text, text])
    }

    func testInvalidUTF8KindsWithExactOffsets() {
        // line 1 is "ok\n" (3 bytes), so line 2 starts at offset 3; bad byte after "ab".
        let prefix = Array("ok\nab".utf8)
        let cases: [([UInt8], UTF8Defect)] = [
            ([0x80], .unexpectedContinuationByte),
            ([0xBF, 0x41], .unexpectedContinuationByte),
            ([0xC0, 0xAF], .overlongEncoding),
            ([0xC1, 0xBF], .overlongEncoding),
            ([0xE0, 0x80, 0xAF], .overlongEncoding),
            ([0xF0, 0x8F, 0xBF, 0xBF], .overlongEncoding),
            ([0xED, 0xA0, 0x80], .surrogate),
            ([0xED, 0xBF, 0xBF], .surrogate),
            ([0xF4, 0x90, 0x80, 0x80], .beyondMaximumCodePoint),
            ([0xF5, 0x80, 0x80, 0x80], .beyondMaximumCodePoint),
            ([0xF8], .invalidByte),
            ([0xFF], .invalidByte),
            ([0xC3, 0x28], .missingContinuationByte),
            ([0xE2, 0x82, 0x41], .missingContinuationByte),
            ([0xC3], .truncatedAtEnd),
            ([0xE2, 0x82], .truncatedAtEnd),
            ([0xF0, 0x9F, 0x98], .truncatedAtEnd),
        ]
        for (bad, defect) in cases {
            // A truncated sequence followed by more text lacks a continuation byte.
            let followed: UTF8Defect = defect == .truncatedAtEnd ? .missingContinuationByte : defect
            assertInvalid(prefix + bad + Array("z\n".utf8), line: 2, offset: 5, defect: followed)
            if defect == .truncatedAtEnd {
                assertInvalid(prefix + bad + [0x0A], line: 2, offset: 5, defect: defect)
            }
        }
    }

    func testEveryPositionAndAlignment() throws {
        // Exercises the eight-bytes-at-a-time scans at every offset.
        for k in 0..<40 {
            let body = [UInt8](repeating: 0x61, count: k)
            for terminator in [LineTerminator.lf, .crlf, .cr] {
                let input = body + terminator.bytes + body + [0xC3, 0xA9]
                let result = try lines(input)
                XCTAssertEqual(result.map(\.bytes), [body, body + [0xC3, 0xA9]], "k=\(k)")
                XCTAssertEqual(result[1].byteOffset, k + terminator.bytes.count)
            }
            assertInvalid(
                body + [0xC3] + body, line: 1, offset: k,
                defect: k == 0 ? .truncatedAtEnd : .missingContinuationByte)
            assertInvalid(
                Array("x\n".utf8) + body + [0x80], line: 2, offset: 2 + k,
                defect: .unexpectedContinuationByte)
        }
    }

    func testInvalidUTF8OffsetCountsBOMAndCRLF() {
        assertInvalid(
            [0xEF, 0xBB, 0xBF] + Array("a\r\nb\rc".utf8) + [0xC3, 0x0A], line: 3, offset: 9,
            defect: .truncatedAtEnd)
    }

    func testInvalidUTF8Description() {
        XCTAssertThrowsError(try lines(Array("a\nbb".utf8) + [0xC3, 0x28])) { error in
            let text = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(
                text.hasPrefix(
                    "t.txt:2: invalid UTF-8 at byte offset 4 (byte 0xC3 followed by 0x28: "), text)
        }
    }

    func testReplacementMode() throws {
        let options = LineReader.Options(replaceInvalid: true)
        let input: [UInt8] = [
            0x61, 0xC3, 0x28, 0x0A, 0xE2, 0x82, 0x0A, 0xED, 0xA0, 0x80, 0x62, 0x0A, 0xF0, 0x9F,
            0x98,
        ]
        let result = try lines(input, options: options)
        // C3 -> one U+FFFD; E2 82 (maximal subpart) -> one; ED A0 80 -> three (ED alone, A0, 80);
        // F0 9F 98 at end -> one.
        XCTAssertEqual(
            result.map(\.text), ["a\u{FFFD}(", "\u{FFFD}", "\u{FFFD}\u{FFFD}\u{FFFD}b", "\u{FFFD}"])
        XCTAssertEqual(result.map(\.replacements), [1, 1, 3, 1])
        XCTAssertNil(UTF8Validation.firstDefect(in: result.flatMap(\.bytes)))
    }

    func testLineLongerThanLimitThrows() throws {
        let options = LineReader.Options(chunkSize: 4, maximumLineLength: 10)
        // Exactly at the limit is fine.
        XCTAssertEqual(try lines(Array("0123456789\nx".utf8), options: options).count, 2)
        XCTAssertThrowsError(try lines(Array("ok\n0123456789A\n".utf8), options: options)) {
            error in
            XCTAssertEqual(
                error as? TextInputError,
                .lineTooLong(source: "t.txt", line: 2, byteOffset: 3, limit: 10))
        }
        // Without any terminator, the reader stops before buffering unboundedly.
        let big = [UInt8](repeating: 0x61, count: 1000)
        XCTAssertThrowsError(try lines(big, options: options)) { error in
            XCTAssertEqual(
                error as? TextInputError,
                .lineTooLong(source: "t.txt", line: 1, byteOffset: 0, limit: 10))
        }
    }

    func testFileAndMissingFile() throws {
        let path = NSTemporaryDirectory() + "linereader-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var content = ""
        for i in 0..<20_000 { content += "line \(i)\r\n" }
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path, options: .init(chunkSize: 1000))
        var count = 0
        var bytes: [UInt8] = []
        while let line = try reader.next() {
            XCTAssertEqual(line.text, "line \(count)")
            bytes += line.bytes + line.terminator.bytes
            count += 1
        }
        XCTAssertEqual(count, 20_000)
        XCTAssertEqual(bytes, Array(content.utf8))

        XCTAssertThrowsError(try LineReader(path: path + ".missing")) { error in
            guard case .cannotOpen? = error as? TextInputError else { return XCTFail("\(error)") }
        }
    }

    func testByteWriterWritesFile() throws {
        let path = NSTemporaryDirectory() + "bytewriter-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try ByteWriter(path: path, bufferSize: 7)
        for i in 0..<100 { try writer.write("é\(i)\n") }
        try writer.write([0x00, 0x0A])
        try writer.close()
        var expected = ""
        for i in 0..<100 { expected += "é\(i)\n" }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: path)), Data(expected.utf8) + Data([0, 10]))
    }
}
