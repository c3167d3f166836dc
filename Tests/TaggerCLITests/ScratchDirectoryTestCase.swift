import Foundation
import XCTest

/// A test case with a fresh directory of its own for each test (`directory`), removed after
/// it, and `write` to put a file there.
class ScratchDirectoryTestCase: XCTestCase {
    /// The test's directory, under the temporary directory.
    var directory = ""

    override func setUpWithError() throws {
        directory =
            NSTemporaryDirectory()
            + "\(Self.self)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes `text` to `name` in the test's directory; returns the file's path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
