import Foundation
import Tagging
import Text
import XCTest

/// Matching a CoNLL-U POS file with a Universal NER file by `sent_id`, read with the
/// project's readers: aligned sentences, sentences of one file only, and every mismatch.
final class JointTrainingDataTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("joint-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A CoNLL-U file: each sentence as `(sent_id or nil, [(form, upos)])`.
    func conllu(_ sentences: [(String?, [(String, String)])]) throws -> String {
        var text = ""
        for (id, words) in sentences {
            if let id { text += "# sent_id = \(id)\n" }
            text += "# text = \(words.map(\.0).joined(separator: " "))\n"
            for (k, (form, upos)) in words.enumerated() {
                text +=
                    "\(k + 1)\t\(form)\t_\t\(upos)\t_\t_\t\(k == 0 ? 0 : 1)\t\(k == 0 ? "root" : "dep")\t_\t_\n"
            }
            text += "\n"
        }
        return try write(text, to: "pos.conllu")
    }

    /// A Universal NER file: each sentence as `(sent_id or nil, [(form, tag)])`.
    func iob2(_ sentences: [(String?, [(String, String)])]) throws -> String {
        var text = ""
        for (id, words) in sentences {
            if let id { text += "# sent_id = \(id)\n" }
            for (k, (form, tag)) in words.enumerated() { text += "\(k + 1)\t\(form)\t\(tag)\n" }
            text += "\n"
        }
        return try write(text, to: "ner.iob2")
    }

    func write(_ text: String, to name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func align(_ pos: String, _ ner: String, policy: WordMismatchPolicy = .error) throws
        -> JointAlignment
    {
        try JointTrainingData.align(
            pos: TrainingData.readTagged(path: pos, format: .conllu), posFile: pos,
            ner: TrainingData.readTagged(path: ner, format: .iob2), nerFile: ner,
            onWordMismatch: policy)
    }

    func testAlignsBySentenceIDAndKeepsSentencesOfOneFile() throws {
        let pos = try conllu([
            ("a-1", [("Alice", "PROPN"), ("runs", "VERB")]),
            ("a-2", [("Hi", "INTJ")]),
            ("a-3", [("Go", "VERB"), ("home", "ADV")]),
        ])
        // Another order, one sentence missing and one the POS file lacks.
        let ner = try iob2([
            ("a-3", [("Go", "O"), ("home", "O")]),
            ("b-9", [("Paris", "B-LOC")]),
            ("a-1", [("Alice", "B-PER"), ("runs", "O")]),
        ])
        let alignment = try align(pos, ner)
        XCTAssertEqual(alignment.aligned, 2)
        XCTAssertEqual(alignment.posOnly.map(\.id), ["a-2"])
        XCTAssertEqual(alignment.posOnly.map(\.line), [6])
        XCTAssertEqual(alignment.nerOnly.map(\.id), ["b-9"])
        XCTAssertEqual(alignment.nerOnly.map(\.line), [5])
        XCTAssertEqual(
            alignment.sentences,
            [
                JointTrainingSentence(
                    words: ["Alice", "runs"], pos: ["PROPN", "VERB"], ner: ["B-PER", "O"],
                    posLine: 1, nerLine: 8),
                JointTrainingSentence(
                    words: ["Go", "home"], pos: ["VERB", "ADV"], ner: ["O", "O"], posLine: 10,
                    nerLine: 1),
                JointTrainingSentence(words: ["Hi"], pos: ["INTJ"], ner: nil, posLine: 6),
                JointTrainingSentence(words: ["Paris"], pos: nil, ner: ["B-LOC"], nerLine: 5),
            ])
        XCTAssertEqual(
            alignment.summary,
            "2 sentences in both files, 1 in the POS file only, 1 in the NER file only")
    }

    func testDifferentWordsAreAnErrorNamingBothLines() throws {
        let pos = try conllu([
            ("a-1", [("Alice", "PROPN")]), ("a-2", [("Inter", "PROPN"), ("-", "PUNCT")]),
        ])
        let ner = try iob2([("a-1", [("Alice", "B-PER")]), ("a-2", [("Inter-", "B-ORG")])])
        XCTAssertThrowsError(try align(pos, ner)) { error in
            XCTAssertEqual(
                error as? JointDataError,
                .wordMismatch(
                    posFile: pos, posLine: 5, nerFile: ner, nerLine: 4, sentenceID: "a-2",
                    problem: "word 1 is \"Inter\" in the POS file but \"Inter-\" in the NER file"))
            XCTAssertEqual(
                error.localizedDescription,
                "\(ner):4: sentence \"a-2\" does not have the words of \(pos):5: word 1 is \"Inter\" in the POS file but \"Inter-\" in the NER file; fix one file, or train on such sentences one task each with --on-word-mismatch separate"
            )
        }
        // With `.separate` both versions are kept, each for its own task, and listed.
        let alignment = try align(pos, ner, policy: .separate)
        XCTAssertEqual(alignment.aligned, 1)
        XCTAssertEqual(alignment.mismatched.count, 1)
        XCTAssertEqual(
            alignment.sentences.suffix(2),
            [
                JointTrainingSentence(
                    words: ["Inter", "-"], pos: ["PROPN", "PUNCT"], ner: nil, posLine: 5),
                JointTrainingSentence(words: ["Inter-"], pos: nil, ner: ["B-ORG"], nerLine: 4),
            ])
        XCTAssertEqual(
            alignment.summary,
            "1 sentences in both files, 1 with different words, trained one task each")
    }

    func testSameWordsButAnotherCountIsNamed() throws {
        let pos = try conllu([("a-1", [("Alice", "PROPN"), ("ran", "VERB")])])
        let ner = try iob2([("a-1", [("Alice", "B-PER")])])
        XCTAssertThrowsError(try align(pos, ner)) { error in
            guard case .wordMismatch(_, 1, _, 1, "a-1", let problem)? = error as? JointDataError
            else { return XCTFail("\(error)") }
            XCTAssertEqual(problem, "2 words in the POS file but 1 in the NER file")
        }
    }

    func testMissingAndDuplicateSentenceIDsAreErrors() throws {
        let ner = try iob2([("a-1", [("Alice", "B-PER")])])
        let noID = try conllu([("a-1", [("Alice", "PROPN")]), (nil, [("Bob", "PROPN")])])
        XCTAssertThrowsError(try align(noID, ner)) { error in
            XCTAssertEqual(error as? JointDataError, .missingSentenceID(file: noID, line: 5))
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(noID):5: the sentence has no"))
        }
        let twice = try conllu([("a-1", [("Alice", "PROPN")]), ("a-1", [("Bob", "PROPN")])])
        XCTAssertThrowsError(try align(twice, ner)) { error in
            XCTAssertEqual(
                error as? JointDataError,
                .duplicateSentenceID(file: twice, line: 5, sentenceID: "a-1", firstLine: 1))
        }
        let other = try iob2([("z-1", [("Alice", "B-PER")])])
        let pos = try conllu([("a-1", [("Alice", "PROPN")])])
        XCTAssertThrowsError(try align(pos, other)) { error in
            XCTAssertEqual(
                error as? JointDataError, .noSharedSentences(posFile: pos, nerFile: other))
        }
    }

    /// The EWT splits of UD and Universal NER: the UNER files were annotated on an earlier
    /// EWT release, so a few sentences are tokenized differently.
    func testEWTSplitsAlign() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "corpora")
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? root.path
        for (split, aligned, posOnly, mismatched) in [
            ("train", 12529, 1, 14), ("dev", 1998, 0, 3), ("test", 2074, 0, 3),
        ] {
            let pos = corpora + "/ud-english-ewt/\(split).conllu"
            let ner = corpora + "/uner-english-ewt/\(split).iob2"
            try XCTSkipUnless(
                FileManager.default.fileExists(atPath: pos), "CORPORA=\(corpora) has no \(pos)")
            XCTAssertThrowsError(try align(pos, ner), split) { error in
                guard case .wordMismatch? = error as? JointDataError else {
                    return XCTFail("\(split): \(error)")
                }
            }
            let alignment = try align(pos, ner, policy: .separate)
            XCTAssertEqual(alignment.aligned, aligned, split)
            XCTAssertEqual(alignment.posOnly.count, posOnly, split)
            XCTAssertEqual(alignment.nerOnly.count, 0, split)
            XCTAssertEqual(alignment.mismatched.count, mismatched, split)
            XCTAssertEqual(
                alignment.sentences.count, aligned + posOnly + 2 * mismatched, split)
        }
    }
}
