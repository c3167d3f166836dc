import Foundation
import XCTest

/// Hostile text on standard input of `tokenize`, `tag` and `classify`: every kind of
/// ill-formed UTF-8, NUL bytes, a byte order mark, every line ending, a 10 MB line without
/// white space, 100,000 empty lines, control characters, combining marks, emoji sequences
/// and right-to-left text. Each run gives correct output, or an error naming the line and
/// byte offset with exit status 1; none crashes or hangs.
final class HostileInputTests: XCTestCase {
    /// The three commands, each with a tiny model where it needs one.
    static var commands: [(name: String, arguments: [String])] {
        [
            ("tokenize", ["tokenize"]),
            ("tag", ["tag", "--model", TinyModels.pos]),
            ("classify", ["classify", "--model", TinyModels.sentiment]),
        ]
    }

    /// Ill-formed sequences, each placed after `ok\nab` (so at byte offset 5 of line 2),
    /// with the defect the error must name.
    static let illFormed: [(bytes: [UInt8], reason: String)] = [
        ([0x80], "unexpected continuation byte"),
        ([0xBF, 0x41], "unexpected continuation byte"),
        ([0xC0, 0xAF], "overlong encoding"),
        ([0xC1, 0xBF], "overlong encoding"),
        ([0xE0, 0x80, 0xAF], "overlong encoding"),
        ([0xF0, 0x80, 0x80, 0xAF], "overlong encoding"),
        ([0xED, 0xA0, 0x80], "encoded UTF-16 surrogate"),
        ([0xED, 0xBF, 0xBF], "encoded UTF-16 surrogate"),
        ([0xF4, 0x90, 0x80, 0x80], "code point above U+10FFFF"),
        ([0xF5, 0x80, 0x80, 0x80], "code point above U+10FFFF"),
        ([0xFF], "byte that never occurs in UTF-8"),
        ([0xFE, 0xFF], "byte that never occurs in UTF-8"),
        ([0xE2, 0x28, 0xA1], "sequence missing a continuation byte"),
        ([0xF0, 0x9F, 0x98], "sequence truncated at end of line"),
        ([0xE2, 0x82], "sequence truncated at end of line"),
    ]

    func testEveryKindOfInvalidUTF8IsAnErrorNamingLineAndOffset() throws {
        for (name, arguments) in Self.commands {
            // Every kind for the tokenizer; tag and classify read through the same reader,
            // so one of each defect class is enough there.
            let cases =
                name == "tokenize"
                ? Self.illFormed
                : Self.illFormed.enumerated()
                    .filter { [0, 2, 6, 8, 10, 12, 13].contains($0.offset) }.map(\.element)
            for (sequence, reason) in cases {
                let input = Array("ok\nab".utf8) + sequence + Array("\nfine\n".utf8)
                let result = try TaggerProcess.run(arguments, input: input)
                let label = "\(name) \(sequence.map { String($0, radix: 16) })"
                XCTAssertEqual(result.status, 1, label)
                XCTAssertTrue(
                    result.stderr.contains("<stdin>:2: invalid UTF-8 at byte offset 5 ("),
                    "\(label): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(": \(reason));"), "\(label): \(result.stderr)")
                XCTAssertFalse(result.stdout.contains("fine"), label)
            }
        }
    }

    func testReplaceInvalidKeepsGoingWithU_FFFD() throws {
        let input = Array("ab".utf8) + [0xC0, 0xAF, 0xED, 0xA0, 0x80] + Array("cd\n".utf8)
        let tokens = try TaggerProcess.run(
            ["tokenize", "--format", "tokens", "--replace-invalid"], input: input)
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        // Each maximal ill-formed subpart becomes one U+FFFD: C0, AF, ED, A0, 80.
        // (U+FFFD is a symbol, so the tokenizer splits it off the letters.)
        XCTAssertEqual(tokens.stdout, "ab \u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD} cd\n")
        for (name, arguments) in Self.commands.dropFirst() {
            let result = try TaggerProcess.run(arguments + ["--replace-invalid"], input: input)
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, name)
        }
    }

    func testNULBytesOrderMarkAndEveryLineEnding() throws {
        // LF, CRLF, a lone CR, and a last line without terminator; a BOM first; NUL inside.
        let input =
            [0xEF, 0xBB, 0xBF] + Array("one\r\ntwo\rthree\nfo".utf8) + [0x00]
            + Array("ur\r\n\r\nfive".utf8)
        let tokens = try TaggerProcess.run(["tokenize", "--format", "tokens"], input: input)
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        XCTAssertEqual(tokens.stdout, "one\ntwo\nthree\nfo ur\nfive\n")
        let tagged = try TaggerProcess.run(["tag", "--model", TinyModels.pos], input: input)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        let lines = tagged.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        // One output line per input line (six lines, the fifth blank), then the final newline.
        XCTAssertEqual(lines.count, 7, tagged.stdout)
        XCTAssertEqual(lines[4], "")
        XCTAssertTrue(lines[0].hasPrefix("one/"), tagged.stdout)
        let classified = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment], input: input)
        XCTAssertEqual(classified.status, 0, classified.stderr)
        XCTAssertEqual(
            classified.stdout.split(separator: "\n", omittingEmptySubsequences: false).count, 7)
    }

    /// The tokenizer cuts a chunk without white space into tokens of at most 8,192
    /// scalars (so its memory stays bounded); nothing is lost.
    func testTenMegabyteLineWithoutWhiteSpace() throws {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        let tokens = try TaggerProcess.run(
            ["tokenize", "--format", "tokens"], input: line + [0x0A])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        let pieces = tokens.stdout.dropLast().split(separator: " ")
        XCTAssertEqual(pieces.reduce(0) { $0 + $1.utf8.count }, line.count)
        XCTAssertTrue(pieces.allSatisfy { $0.utf8.count <= 8192 })
        let tagged = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos, "--format", "conll"], input: line + [0x0A])
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(tagged.stdout.split(separator: "\n").count, pieces.count)
        XCTAssertTrue(tagged.stdout.hasPrefix("xxxx"))
        let classified = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment], input: line + [0x0A])
        XCTAssertEqual(classified.status, 0, classified.stderr)
        XCTAssertEqual(classified.stdout.split(separator: "\n").count, 1)
    }

    func testAHundredThousandEmptyLines() throws {
        let input = [UInt8](repeating: 0x0A, count: 100_000)
        let tokens = try TaggerProcess.run(["tokenize"], input: input)
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        XCTAssertEqual(tokens.stdout, "")
        let split = try TaggerProcess.run(["tokenize", "--split-sentences"], input: input)
        XCTAssertEqual(split.status, 0, split.stderr)
        XCTAssertEqual(split.stdout, "")
        // tag and classify keep one output line per input line.
        let tagged = try TaggerProcess.run(["tag", "--model", TinyModels.pos], input: input)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(tagged.stdout, String(repeating: "\n", count: 100_000))
        let classified = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment], input: input)
        XCTAssertEqual(classified.status, 0, classified.stderr)
        XCTAssertEqual(classified.stdout, String(repeating: "\n", count: 100_000))
    }

    /// Lines of unusual but valid text: controls, combining marks, emoji sequences,
    /// right-to-left scripts with direction marks, JSON-special characters.
    static let unusualLines = [
        "bell\u{07}and\u{1B}[31mescape\u{7F} delete \u{85}nel",
        "tab\there\u{0B}vertical\u{0C}feed",
        "line\u{2028}separator and paragraph\u{2029}separator",
        "cafe\u{301} Zalgo: a\u{300}\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}",
        "family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 skin 👍🏽 keycap 1️⃣ regional 🇫🇷🇩🇪",
        "עברית עם \u{200F}סימן\u{200E} and العربية ١٢٣ \u{202E}override\u{202C} end",
        "quotes \" backslash \\ slash / braces {} and \u{01}\u{1F} controls",
        "zero\u{200B}width\u{FEFF}nbsp\u{00A0}here",
    ]

    func testUnusualTextTokenizesWithoutLosingCharacters() throws {
        let input = Array(Self.unusualLines.joined(separator: "\n").utf8) + [0x0A]
        let result = try TaggerProcess.run(["tokenize", "--format", "tokens"], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, Self.unusualLines.count + 1, result.stdout)
        // The tokens hold every letter, mark, number, punctuation and symbol of the line, in
        // order (controls, format characters and separators may separate tokens).
        func graphic<S: StringProtocol>(_ text: S) -> String {
            String(
                String.UnicodeScalarView(
                    text.unicodeScalars.filter {
                        switch $0.properties.generalCategory {
                        case .control, .format, .spaceSeparator, .lineSeparator,
                            .paragraphSeparator:
                            return false
                        default: return true
                        }
                    }))
        }
        for (output, line) in zip(lines, Self.unusualLines) {
            XCTAssertEqual(graphic(output), graphic(line), line)
        }
        let conllu = try TaggerProcess.run(["tokenize"], input: input)
        XCTAssertEqual(conllu.status, 0, conllu.stderr)
        for line in conllu.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertEqual(
                line.split(separator: "\t", omittingEmptySubsequences: false).count, 10,
                String(line))
        }
    }

    func testUnusualTextGivesValidJSON() throws {
        let input = Array(Self.unusualLines.joined(separator: "\n").utf8) + [0x0A]
        let tagged = try TaggerProcess.run(
            ["tag", "--model", TinyModels.ner, "--format", "json"], input: input)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        let classified = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment, "--format", "json"], input: input)
        XCTAssertEqual(classified.status, 0, classified.stderr)
        for output in [tagged.stdout, classified.stdout] {
            let lines = output.split(separator: "\n")
            XCTAssertEqual(lines.count, Self.unusualLines.count)
            for (line, text) in zip(lines, Self.unusualLines) {
                let object =
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                XCTAssertEqual(object?["text"] as? String, text)
            }
        }
    }

    /// A sentence longer than a window (1,000 words) is tagged window by window, and a
    /// line of more than 100,000 tokens is an error naming it, so memory stays bounded.
    func testLongSentencesAreTaggedInWindowsAndTooManyTokensIsAnError() throws {
        let long = Array(repeating: "the cat ran .", count: 1250).joined(separator: " ")
        let tagged = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos], input: Array("Dogs bark .\n\(long)\n".utf8))
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        let lines = tagged.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[1].split(separator: " ").count, 5000)
        let classified = try TaggerProcess.run(
            ["classify", "--model", TinyModels.sentiment], input: Array("\(long)\n".utf8))
        XCTAssertEqual(classified.status, 0, classified.stderr)
        XCTAssertEqual(classified.stdout.split(separator: "\n").count, 1)

        let huge = Array("ok\n".utf8) + Array(String(repeating: "a ", count: 100_001).utf8)
        for (name, arguments) in Self.commands.dropFirst() {
            let result = try TaggerProcess.run(arguments, input: huge)
            XCTAssertEqual(result.status, 1, name)
            XCTAssertTrue(
                result.stderr.contains(
                    "<stdin>:2: more than 100000 tokens in one sentence (the line starts at byte offset 3)"
                ), "\(name): \(result.stderr)")
        }
        let tokens = Array(String(repeating: "a\n", count: 100_001).utf8)
        let result = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos, "--input", "tokens"], input: tokens)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(
            result.stderr.contains("<stdin>:100001: more than 100000 tokens"), result.stderr)
    }

    /// Running text without blank lines (380 kB), and one line of 760 kB, are split into
    /// sentences in pieces of at most 256 KiB: every word comes out, none is cut.
    func testLongRunningTextIsSplitInBoundedPieces() throws {
        let sentence = "The cat sat on the mat with the dog ."
        let lines = String(repeating: sentence + "\n", count: 10_000)
        let oneLine = String(repeating: sentence + " ", count: 20_000) + "\n"
        for input in [lines, oneLine] {
            let result = try TaggerProcess.run(
                [
                    "tokenize", "--split-sentences", "--splitter", "perceptron", "--format",
                    "tokens",
                ],
                input: Array(input.utf8))
            XCTAssertEqual(result.status, 0, result.stderr)
            let words = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            XCTAssertEqual(
                words.count, input.split(whereSeparator: { $0 == " " || $0 == "\n" }).count)
            let vocabulary = Set(sentence.split(separator: " "))
            XCTAssertTrue(words.allSatisfy { vocabulary.contains($0) }, "a word was cut")
        }
    }

    /// A line longer than the reader's limit (64 MiB) is an error naming it, not a
    /// buffer that grows with the input.
    func testALineOverTheLimitIsAnError() throws {
        let input =
            Array("ok\n".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: (64 << 20) + 10)
        let result = try TaggerProcess.run(["tokenize", "--format", "tokens"], input: input)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(
            result.stderr.contains(
                "<stdin>:2: line starting at byte offset 3 is longer than the limit of 67108864 bytes"
            ),
            result.stderr)
        XCTAssertEqual(result.stdout, "ok\n")
    }
}
