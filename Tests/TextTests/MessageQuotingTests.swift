import Text
import XCTest

final class MessageQuotingTests: XCTestCase {
    func testControlAndInvisibleCharactersAreEscapedAndTheRestKept() {
        XCTAssertEqual("A\u{1B}[31m".quotedForMessage, #""A\u{1B}[31m""#)
        XCTAssertEqual("NO UN".quotedForMessage, #""NO UN""#)
        XCTAssertEqual("".quotedForMessage, #""""#)
        XCTAssertEqual("a\nb\tc\r\u{7}\u{0}\u{7F}\u{85}".quotedForMessage,
            #""a\u{A}b\u{9}c\u{D}\u{7}\u{0}\u{7F}\u{85}""#)
        XCTAssertEqual("say \"hi\" \\o/".quotedForMessage, #""say \"hi\" \\o/""#)
        // Bidirectional overrides, separators and zero-width characters are invisible.
        XCTAssertEqual("a\u{202E}b\u{2028}c\u{200B}".quotedForMessage,
            #""a\u{202E}b\u{2028}c\u{200B}""#)
        // Letters, marks and symbols of any script stay readable.
        XCTAssertEqual("Zürich 東京 é 👍".quotedForMessage, "\"Zürich 東京 é 👍\"")
    }

    func testLongTextIsCut() {
        let quoted = String(repeating: "x", count: 1000).quotedForMessage
        XCTAssertEqual(quoted, "\"" + String(repeating: "x", count: 80) + "…\" (1000 characters)")
        XCTAssertEqual(String(repeating: "y", count: 80).quotedForMessage.count, 82)
    }
}
