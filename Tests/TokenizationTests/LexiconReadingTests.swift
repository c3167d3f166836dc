import Foundation
import Tokenization
import XCTest

/// Reading a lexicon file that is not one: errors in words, file contents never raw.
final class LexiconReadingTests: XCTestCase {
    func testAFirstLineWithTerminalControlsIsQuoted() {
        XCTAssertThrowsError(try TokenizerLexicon(tsv: "\u{1B}]0;owned\u{7}\nabbrev\tMr.\n")) {
            error in
            let message = error.localizedDescription
            XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 }, message)
            XCTAssertTrue(
                message.hasPrefix(#"tokenizer lexicon format "\u{1B}]0;owned\u{7}" is not supported"#),
                message)
        }
        XCTAssertThrowsError(try TokenizerLexicon(tsv: "")) { error in
            XCTAssertTrue(
                error.localizedDescription.hasPrefix("the tokenizer lexicon has no format line"))
        }
    }

    func testUnreadableFilesAreNamedWithTheSystemsReason() {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
        XCTAssertThrowsError(try TokenizerLexicon(contentsOf: directory)) { error in
            XCTAssertEqual(
                error as? TokenizerError,
                .cannotReadLexicon(path: directory.path, reason: "Is a directory"))
        }
        let missing = URL(fileURLWithPath: "/nonexistent-\(getpid())/lexicon.tsv")
        XCTAssertThrowsError(try TokenizerLexicon(contentsOf: missing)) { error in
            XCTAssertEqual(
                error as? TokenizerError,
                .cannotReadLexicon(path: missing.path, reason: "No such file or directory"))
            XCTAssertEqual(
                error.localizedDescription,
                "\(missing.path): cannot read the tokenizer lexicon: No such file or directory; check --lexicon"
            )
        }
    }

    func testAnEndlessDeviceIsCutOffAtTheLimit() {
        let zero = URL(fileURLWithPath: "/dev/zero")
        XCTAssertThrowsError(try TokenizerLexicon(contentsOf: zero)) { error in
            XCTAssertEqual(
                error as? TokenizerError,
                .lexiconTooLarge(path: "/dev/zero", limit: TokenizerLexicon.maximumFileBytes))
        }
    }
}
