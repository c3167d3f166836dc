import Foundation
import XCTest

/// `tagger annotate` with the shipped models: every format, the same tags as `tag` and
/// `classify`, one JSON line per input line with `--line-documents`.
final class AnnotateCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let testSplit = root.appendingPathComponent("corpora/ud-english-ewt/test.conllu").path

    let sentences = """
        Alice Smith moved to Paris in 2019.
        The film was a delight from start to finish.

        I don't think the service at Google was any good.
        Barack Obama met Angela Merkel in Berlin on Tuesday.

        """

    private func run(_ arguments: [String], _ input: String) throws -> TaggerProcess.Result {
        try TaggerProcess.run(arguments, input: Array(input.utf8))
    }

    private func jsonLines(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
        }
    }

    /// The tags of the pipeline are those of `tag` (POS, NER) and `classify` on the same lines.
    func testSameTagsAsTagAndClassify() throws {
        let annotated = try run(["annotate", "--format", "text"], sentences)
        XCTAssertEqual(annotated.status, 0, annotated.stderr)
        let pos = try run(["tag"], sentences)
        let ner = try run(["tag", "--task", "ner"], sentences)
        let sentiment = try run(["classify"], sentences)
        let lines = annotated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let posLines = pos.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let nerLines = ner.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let labels = sentiment.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, posLines.count)
        for k in lines.indices {
            let parts = lines[k].split(separator: "\t")
            guard let words = parts.first else {
                XCTAssertEqual(posLines[k], "")
                XCTAssertEqual(labels[k], "")
                continue
            }
            var expected: [String] = []
            for (p, n) in zip(posLines[k].split(separator: " "), nerLines[k].split(separator: " "))
            {
                let nerTag = n[n.index(after: n.lastIndex(of: "/")!)...]
                expected.append(p + "/" + nerTag)
            }
            XCTAssertEqual(words.split(separator: " ").map(String.init), expected)
            XCTAssertEqual(
                parts.last.map { $0.replacingOccurrences(of: " ", with: "\t") }, String(labels[k]))
        }
    }

    func testJSONDocumentsWithUTF16Offsets() throws {
        // A leading emoji followed by a capital may end a sentence of its own (as emoticons do
        // in EWT); "so" keeps it in the first one.
        let text = "😀 so Bob Dylan visited Berlin. It was great!\n"
        let result = try run(["annotate", "--split-sentences"], text)
        XCTAssertEqual(result.status, 0, result.stderr)
        let documents = try jsonLines(result.stdout)
        XCTAssertEqual(documents.count, 1)
        let document = documents[0]
        XCTAssertEqual(document["offsets"] as? String, "utf16")
        let sentences = try XCTUnwrap(document["sentences"] as? [[String: Any]])
        XCTAssertEqual(sentences.count, 2)
        let entities = try XCTUnwrap(sentences[0]["entities"] as? [[String: Any]])
        XCTAssertEqual(entities.first?["text"] as? String, "Bob Dylan")
        XCTAssertEqual(entities.first?["type"] as? String, "PER")
        // UTF-16: the emoji is two units, so "Bob" starts at 6.
        XCTAssertEqual(entities.first?["start"] as? Int, 6)
        XCTAssertEqual(entities.first?["end"] as? Int, 15)
        let words = try XCTUnwrap(sentences[0]["words"] as? [[String: Any]])
        XCTAssertEqual(words[2]["text"] as? String, "Bob")
        XCTAssertEqual(words[2]["upos"] as? String, "PROPN")
        XCTAssertEqual(words[2]["ner"] as? String, "B-PER")
        XCTAssertNotNil((sentences[1]["sentiment"] as? [String: Any])?["label"] as? String)
        XCTAssertNotNil(document["sentiment"] as? [String: Any])

        let scalars = try jsonLines(try run(["annotate", "--offsets", "scalars"], text).stdout)
        let first = try XCTUnwrap((scalars[0]["sentences"] as? [[String: Any]])?.first)
        XCTAssertEqual((first["entities"] as? [[String: Any]])?.first?["start"] as? Int, 5)
    }

    func testComponentsAndFormats() throws {
        let conll = try run(
            ["annotate", "--components", "ner,pos", "--format", "conll"], "Alice left.\n")
        XCTAssertEqual(conll.status, 0, conll.stderr)
        XCTAssertEqual(conll.stdout, "Alice\tPROPN\tB-PER\nleft\tVERB\tO\n.\tPUNCT\tO\n\n")
        let sentiment = try run(
            ["annotate", "--components", "sentiment", "--format", "conllu"], "Awful.\n")
        XCTAssertTrue(sentiment.stdout.contains("# sentiment = negative 0."), sentiment.stdout)
        XCTAssertTrue(sentiment.stdout.contains("1\tAwful\t_\t_\t_"), sentiment.stdout)
        let bad = try run(["annotate", "--components", "pos,parse"], "x\n")
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--components"), bad.stderr)
    }

    /// CoNLL-U output of the EWT test split: the gold columns kept, UPOS as `tag` gives it,
    /// NER in MISC on every word and one sentiment comment per sentence.
    func testCoNLLUOfTheTestSplit() throws {
        let gold = try String(contentsOfFile: Self.testSplit, encoding: .utf8)
        let annotated = try run(["annotate", "--input", "conllu", "--format", "conllu"], gold)
        XCTAssertEqual(annotated.status, 0, annotated.stderr)
        let tagged = try run(["tag", "--input", "conllu", "--format", "conllu"], gold)
        func column(_ text: String, _ k: Int) -> [Substring] {
            text.split(separator: "\n").filter { $0.first?.isNumber == true }.map {
                $0.split(separator: "\t", omittingEmptySubsequences: false)[k]
            }
        }
        XCTAssertEqual(column(annotated.stdout, 3), column(tagged.stdout, 3))
        let sentences = gold.components(separatedBy: "\n# sent_id").count - 1
        let lines = annotated.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("# sentiment = ") }.count, sentences)
        let wordLines = lines.filter {
            $0.first?.isNumber == true && !$0.split(separator: "\t")[0].contains("-")
                && !$0.split(separator: "\t")[0].contains(".")
        }
        XCTAssertTrue(wordLines.allSatisfy { $0.contains("NER=") })
    }

    /// One JSON object per input line, in order, whatever the line holds.
    func testLineDocuments() throws {
        let input: [UInt8] =
            Array("First one. Second one.\n\n   \n".utf8) + [0x61, 0xC3, 0x28, 0x0A]
            + Array("Paris is nice.\nno newline at the end".utf8)
        let result = try TaggerProcess.run(["annotate", "--line-documents"], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try jsonLines(result.stdout)
        XCTAssertEqual(lines.count, 6)
        XCTAssertEqual((lines[0]["sentences"] as? [Any])?.count, 2)
        XCTAssertEqual(lines[1]["line"] as? Int, 2)
        XCTAssertTrue((lines[1]["error"] as? String)?.contains("empty line") == true)
        XCTAssertTrue((lines[2]["error"] as? String)?.contains("empty line") == true)
        XCTAssertTrue(
            (lines[3]["error"] as? String)?.contains("invalid UTF-8 at byte offset 29") == true)
        XCTAssertEqual(lines[4]["text"] as? String, "Paris is nice.")
        XCTAssertEqual(lines[5]["text"] as? String, "no newline at the end")

        let text = try run(["annotate", "--line-documents", "--format", "text"], "x\n")
        XCTAssertEqual(text.status, 64)
    }

    /// Each input line gives the same bytes however the input is cut into pieces (as Spark
    /// partitions it) and on one thread or two: a sentence's probabilities do not depend on
    /// which sentences share its batch.
    func testLineDocumentsAreTheSameWhereverTheInputIsCut() throws {
        guard FileManager.default.fileExists(atPath: Self.testSplit) else {
            throw XCTSkip("\(Self.testSplit) is not present")
        }
        let lines = try String(contentsOfFile: Self.testSplit, encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("# text = ") }
            .map { $0.dropFirst("# text = ".count) + "\n" }
        XCTAssertGreaterThan(lines.count, 2000)
        func annotate(_ range: Range<Int>, threads: Int) throws -> String {
            let result = try run(
                ["annotate", "--format", "json", "--line-documents", "--threads", "\(threads)"],
                lines[range].joined())
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        // The numbers of the lines of `output` that are not those of `expected`.
        func differingLines(_ output: String, _ expected: String) -> [Int] {
            let (a, b) = (output.split(separator: "\n"), expected.split(separator: "\n"))
            XCTAssertEqual(a.count, b.count)
            return zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map {
                $0.offset + 1
            }
        }
        let whole = try annotate(0..<lines.count, threads: 1)
        XCTAssertEqual(whole.split(separator: "\n").count, lines.count)
        XCTAssertEqual(differingLines(try annotate(0..<lines.count, threads: 2), whole), [])
        for cuts in [[1, 2, 40, 333, 1500], [256, 700]] {
            let bounds = [0] + cuts + [lines.count]
            var pieces = ""
            for (k, (start, end)) in zip(bounds, bounds.dropFirst()).enumerated() {
                pieces += try annotate(start..<end, threads: 1 + k % 2)
            }
            XCTAssertEqual(differingLines(pieces, whole), [], "cut at \(cuts)")
        }
    }

    func testUsageMistakesAreExplained() throws {
        let file = try run(["tag", "news.txt"], "")
        XCTAssertEqual(file.status, 64)
        XCTAssertTrue(file.stderr.contains("--input-file news.txt"), file.stderr)
        let annotateFile = try run(["annotate", "news.txt"], "")
        XCTAssertEqual(annotateFile.status, 64)
        let runningText = try run(
            ["tag", "--input", "tokens"], "Alice moved to Paris.\nShe likes it.\n")
        XCTAssertEqual(runningText.status, 1)
        XCTAssertTrue(runningText.stderr.contains("--input text"), runningText.stderr)
        let wrongModel = try run(
            [
                "annotate", "--ner-model",
                Self.root.appendingPathComponent("models/pos-en.model").path,
            ],
            "x\n")
        XCTAssertEqual(wrongModel.status, 1)
        XCTAssertTrue(
            wrongModel.stderr.contains("is a pos model, not a ner model"), wrongModel.stderr)
    }
}
