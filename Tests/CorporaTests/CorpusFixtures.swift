import Corpora
import Foundation
import XCTest

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where the corpora live: `$CORPORA` when set, else the package's own `corpora/`.
func corporaDirectory() throws -> String {
    if let path = ProcessInfo.processInfo.environment["CORPORA"], !path.isEmpty {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("CORPORA=\(path) does not exist")
        }
        return path
    }
    return packageRoot.appendingPathComponent("corpora").path
}

/// The bytes of a file, for byte-for-byte comparisons.
func fileBytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Asserts that `body` throws `CorpusError.malformedLine` at `line` with `reason`.
func assertMalformed<T>(
    _ body: @autoclosure () throws -> T, line: Int, reason: CorpusError.Reason,
    file: StaticString = #filePath, sourceLine: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: sourceLine) { error in
        guard case .malformedLine(_, let l, let r)? = error as? CorpusError else {
            return XCTFail("unexpected error \(error)", file: file, line: sourceLine)
        }
        XCTAssertEqual(l, line, "line number", file: file, line: sourceLine)
        XCTAssertEqual(r, reason, file: file, line: sourceLine)
    }
}
