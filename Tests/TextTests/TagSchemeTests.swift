import Foundation
import Text
import XCTest

final class TagSchemeTests: XCTestCase {
    private func split(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// One sentence written in all three schemes, with adjacent same-type
    /// spans, single-token spans, and spans at both ends.
    private let spans = [
        Span(0..<2, type: "PER"), Span(2..<3, type: "PER"), Span(4..<5, type: "LOC"),
        Span(5..<8, type: "ORG"), Span(8..<9, type: "LOC"),
    ]
    private lazy var encodings: [TagScheme: [String]] = [
        .iob1: split("I-PER I-PER B-PER O I-LOC I-ORG I-ORG I-ORG I-LOC"),
        .iob2: split("B-PER I-PER B-PER O B-LOC B-ORG I-ORG I-ORG B-LOC"),
        .bioes: split("B-PER E-PER S-PER O S-LOC B-ORG I-ORG E-ORG S-LOC"),
    ]

    func testTagsForSpansInEveryScheme() {
        for scheme in TagScheme.allCases {
            XCTAssertEqual(scheme.tags(for: spans, count: 9), encodings[scheme], "\(scheme)")
            // Order of the spans does not matter.
            XCTAssertEqual(
                scheme.tags(for: spans.reversed(), count: 9), encodings[scheme], "\(scheme)")
        }
        XCTAssertEqual(TagScheme.iob2.tags(for: [], count: 2), ["O", "O"])
    }

    func testSpansFromTagsInEverySchemeAndMode() throws {
        for scheme in TagScheme.allCases {
            for mode in [TagScheme.Mode.strict, .lenient] {
                XCTAssertEqual(
                    try scheme.spans(from: encodings[scheme]!, mode: mode), spans,
                    "\(scheme) \(mode)")
            }
        }
        XCTAssertEqual(try TagScheme.bioes.spans(from: []), [])
        XCTAssertEqual(try TagScheme.iob2.spans(from: ["O", "O"]), [])
    }

    func testConversionBetweenEveryPair() throws {
        for source in TagScheme.allCases {
            for target in TagScheme.allCases {
                XCTAssertEqual(
                    try source.convert(encodings[source]!, to: target), encodings[target],
                    "\(source) → \(target)")
            }
        }
    }

    func testStrictIOB2RejectsIContinuingNothingOrAnotherType() {
        assertSequenceError(try TagScheme.iob2.spans(from: split("O I-PER")), index: 1)
        assertSequenceError(try TagScheme.iob2.spans(from: split("I-PER")), index: 0)
        assertSequenceError(try TagScheme.iob2.spans(from: split("B-PER I-PER I-LOC")), index: 2)
        XCTAssertThrowsError(try TagScheme.iob2.spans(from: split("O I-PER"))) { error in
            XCTAssertEqual(
                (error as? LocalizedError)?.errorDescription,
                "token 1: tag 'I-PER': continues no span (expected B-PER first)")
        }
    }

    func testStrictIOB1AndBIOESRules() {
        // IOB1: I- may start a span, but B- must follow a span of its type.
        XCTAssertEqual(
            try TagScheme.iob1.spans(from: split("O I-PER I-LOC")),
            [Span(1..<2, type: "PER"), Span(2..<3, type: "LOC")])
        assertSequenceError(try TagScheme.iob1.spans(from: split("O B-PER")), index: 1)
        assertSequenceError(try TagScheme.iob1.spans(from: split("I-LOC B-PER")), index: 1)
        // BIOES.
        assertSequenceError(try TagScheme.bioes.spans(from: split("O I-PER E-PER")), index: 1)
        assertSequenceError(try TagScheme.bioes.spans(from: split("E-PER")), index: 0)
        assertSequenceError(try TagScheme.bioes.spans(from: split("B-PER O")), index: 1)
        assertSequenceError(try TagScheme.bioes.spans(from: split("B-PER B-PER E-PER")), index: 1)
        assertSequenceError(try TagScheme.bioes.spans(from: split("B-PER S-LOC")), index: 1)
        assertSequenceError(try TagScheme.bioes.spans(from: split("B-PER I-LOC E-LOC")), index: 1)
        assertSequenceError(try TagScheme.bioes.spans(from: split("S-LOC B-PER I-PER")), index: 2)
        XCTAssertNoThrow(try TagScheme.bioes.validate(split("B-PER I-PER E-PER S-PER O")))
    }

    func testLenientModeStartsNewSpansLikeConlleval() throws {
        XCTAssertEqual(
            try TagScheme.iob2.spans(from: split("O I-PER I-PER I-LOC B-LOC"), mode: .lenient),
            [Span(1..<3, type: "PER"), Span(3..<4, type: "LOC"), Span(4..<5, type: "LOC")])
        XCTAssertEqual(
            try TagScheme.iob1.spans(from: split("B-PER I-PER O B-LOC"), mode: .lenient),
            [Span(0..<2, type: "PER"), Span(3..<4, type: "LOC")])
        XCTAssertEqual(
            try TagScheme.bioes.spans(
                from: split("B-PER I-PER O E-LOC I-ORG B-PER S-PER B-LOC"), mode: .lenient),
            [
                Span(0..<2, type: "PER"), Span(3..<4, type: "LOC"), Span(4..<5, type: "ORG"),
                Span(5..<6, type: "PER"), Span(6..<7, type: "PER"), Span(7..<8, type: "LOC"),
            ])
        XCTAssertEqual(
            try TagScheme.iob2.convert(split("I-PER I-PER O I-LOC"), to: .bioes, mode: .lenient),
            split("B-PER E-PER O S-LOC"))
    }

    func testMalformedTagsAreErrorsInBothModes() {
        for mode in [TagScheme.Mode.strict, .lenient] {
            for (scheme, tag) in [
                (TagScheme.iob2, "E-PER"), (.iob1, "S-PER"), (.bioes, "X-PER"), (.iob2, "B-"),
                (.iob2, "BPER"),
                (.iob2, "o"), (.bioes, ""),
            ] {
                XCTAssertThrowsError(try scheme.spans(from: ["O", tag], mode: mode)) { error in
                    XCTAssertEqual(
                        error as? TagSchemeError, .invalidTag(index: 1, tag: tag, scheme: scheme))
                }
            }
        }
        // Types may contain hyphens.
        XCTAssertEqual(
            try TagScheme.iob2.spans(from: ["B-GPE-LOC"]), [Span(0..<1, type: "GPE-LOC")])
    }

    private func assertSequenceError<T>(
        _ body: @autoclosure () throws -> T, index: Int, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case .invalidSequence(let i, _, _)? = error as? TagSchemeError else {
                return XCTFail("unexpected error \(error)", file: file, line: line)
            }
            XCTAssertEqual(i, index, "token index", file: file, line: line)
        }
    }
}
