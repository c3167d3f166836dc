import Foundation
import XCTest

import Pipeline

/// The first column of a token line, against Foundation's trimming (which it replaces for
/// speed): the same strings, including tabs, no-break and ideographic spaces.
final class TokenColumnTests: XCTestCase {
    /// What `firstColumn` returned when it trimmed with `CharacterSet.whitespaces`.
    func reference(_ line: String) -> String {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if let tab = trimmed.firstIndex(of: "\t") {
            return String(trimmed[..<tab]).trimmingCharacters(in: .whitespaces)
        }
        if let space = trimmed.firstIndex(of: " ") { return String(trimmed[..<space]) }
        return trimmed
    }

    func testFirstColumnIsFoundationsTrimmedColumn() {
        let lines = [
            "", " ", "\t", "word", "  word  ", "word\tNOUN", " word \t NOUN\t_", "Peter B-PER",
            "EU NNP B-NP B-ORG", "\u{00A0}word\u{00A0}", "word\u{00A0}\tNOUN", "a\u{3000}b c",
            "\u{2003}\t\u{2003}x", "café\tNOUN", "x\u{0301} y", "\t\tlate\ttab",
        ]
        for line in lines {
            XCTAssertEqual(DocumentReader.firstColumn(line), reference(line), "line \(line.debugDescription)")
        }
    }

    func testColumnCountCountsSpaceSeparatedColumns() {
        XCTAssertEqual(DocumentReader.columnCount(""), 0)
        XCTAssertEqual(DocumentReader.columnCount("   "), 0)
        XCTAssertEqual(DocumentReader.columnCount("EU NNP B-NP B-ORG"), 4)
        XCTAssertEqual(DocumentReader.columnCount("  a   b "), 2)
        XCTAssertEqual(DocumentReader.columnCount("café crème"), 2)
    }
}
