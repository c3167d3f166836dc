import Foundation
import SequenceTagging
import XCTest

/// What the README's example prints, collected by the `print` below, which the example's
/// calls resolve to in this file.
private var printed: [String] = []

private func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    printed.append(items.map { "\($0)" }.joined(separator: separator))
}

/// The README's library example, exactly as printed there (between the markers).
private func readmeExample() throws {
    // README example begins
    let pipeline = try Pipeline()  // the shipped POS, NER, sentiment and sentence models
    let document = pipeline.annotate(
        "Alice Smith moved to Paris in 2019. The rent is awful. She loves it.")
    for word in document.words {
        print(word.text, word.pos!.tag, document.tokens[word.token].range.scalars)
    }
    for entity in document.entities { print(entity.type, entity.text, entity.range.scalars) }
    for sentence in document.sentences {
        print(document.text(of: sentence), sentence.sentiment!.label)
    }
    // README example ends
}

final class ReadmeExampleTests: XCTestCase {
    func testTheREADMEShowsThisExample() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let lines = source.components(separatedBy: "\n")
        let begin = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("// README example begins") })
        let end = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("// README example ends") })
        let body = lines[(begin + 1)..<end].map { String($0.dropFirst(4)) }
        let example = (["import SequenceTagging", ""] + body).joined(separator: "\n")
        let readme = try String(
            contentsOf: Shipped.root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(
            readme.contains("```swift\n" + example + "\n```"),
            "README.md's library example differs from the tested one:\n" + example)
        XCTAssertLessThanOrEqual(body.count + 1, 12, "the example is at most 12 lines")
    }

    func testTheExampleRunsAsPrinted() throws {
        printed = []
        try readmeExample()
        XCTAssertEqual(printed.first, "Alice PROPN 0..<5")
        XCTAssertTrue(printed.contains("Paris PROPN 21..<26"), "\(printed)")
        XCTAssertTrue(printed.contains("PER Alice Smith 0..<11"), "\(printed)")
        XCTAssertTrue(printed.contains("LOC Paris 21..<26"), "\(printed)")
        XCTAssertEqual(
            Array(printed.suffix(3)),
            [
                "Alice Smith moved to Paris in 2019. positive", "The rent is awful. negative",
                "She loves it. positive",
            ])
    }
}
