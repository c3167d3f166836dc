import Foundation
import XCTest

/// `tagger eval --model …`: the messages and exit codes of a test file or model that does not
/// fit, and `tagger tag --format conll` output read back by `eval` and `train`.
final class EvalCommandTests: XCTestCase {
    func eval(_ arguments: [String]) throws -> TaggerProcess.Result {
        try TaggerProcess.run(["eval"] + arguments)
    }

    /// A file in a fresh temporary directory, removed after the test.
    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory =
            NSTemporaryDirectory() + "eval-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A shipped model of the repository's `models/`, or a skip when it is absent.
    func shippedModel(_ name: String) throws -> String {
        let path = BenchmarkCommandTests.repository.appendingPathComponent("models/" + name).path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "no \(path)")
        return path
    }

    static let nerFile = "1\tAlice\tB-PER\n2\tvisited\tO\n3\tParis\tB-LOC\n4\t.\tO\n"

    static let posFile = """
        1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_
        2\tcat\tcat\tNOUN\t_\t_\t3\tnsubj\t_\t_
        3\tran\trun\tVERB\t_\t_\t0\troot\t_\tSpaceAfter=No
        4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_


        """

    func testPOSModelOnAnNERFileFailsNamingFileTaskAndTags() throws {
        let test = try temporaryFile("test.iob2", Self.nerFile)
        let result = try eval(["--model", TinyModels.pos, "--test", test])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(
            result.stderr,
            "Error: \(test): 4 of 4 gold labels are unknown to this POS model (O, B-LOC, B-PER; "
                + "the model has AUX, DET, NOUN, PART, PRON, …): the file was made for another "
                + "task; evaluate a model of that task on it, or give a test file labelled for POS\n"
        )
    }

    func testNERModelOnAPOSFileFailsNamingFileTaskAndTags() throws {
        let test = try temporaryFile("test.conllu", Self.posFile)
        let result = try eval(["--model", TinyModels.ner, "--test", test])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(
            result.stderr.hasPrefix(
                "Error: \(test): 4 of 4 gold labels are unknown to this NER model (DET, NOUN, PUNCT, VERB;"
            ), result.stderr)
        XCTAssertTrue(result.stderr.hasSuffix("give a test file labelled for NER\n"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testSentimentModelOnUnknownLabelsFails() throws {
        let test = try temporaryFile(
            "test.txt", "good a fine film\nbad a dull film\ngood loved it\npositive hated it\n")
        let result = try eval(["--model", TinyModels.sentiment, "--test", test])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr,
            "Error: \(test): 3 of 4 gold labels are unknown to this sentiment model (good, bad; "
                + "the model has negative, positive): the file was made for another task; "
                + "evaluate a model of that task on it, or give a test file labelled for sentiment\n"
        )
    }

    /// A few gold tags the model lacks do not stop the evaluation.
    func testAFewUnknownTagsAreScored() throws {
        let test = try temporaryFile(
            "test.iob2", "1\tAlice\tB-PER\n2\tvisited\tO\n3\tParis\tB-MISC\n4\t.\tO\n")
        let result = try eval(["--model", TinyModels.ner, "--test", test])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("overall"), result.stdout)
    }

    func testModelOfTheWrongKindGetsAPlainMessage() throws {
        let sentence = try shippedModel("sentence-en.model")
        let test = try temporaryFile("test.conllu", Self.posFile)
        let result = try eval(["--model", sentence, "--test", test])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr,
            "Error: \(sentence) is a sentence-splitter model, not a POS or NER tagger; use it with "
                + "--sentence-model of `tagger tokenize` or `tagger tag` (with --split-sentences)\n"
        )
        let tag = try TaggerProcess.run(
            ["tag", "--model", TinyModels.sentiment], input: Array("Dogs bark.\n".utf8))
        XCTAssertEqual(tag.status, 1)
        XCTAssertEqual(
            tag.stderr,
            "Error: \(TinyModels.sentiment) is a sentiment classifier, not a POS or NER tagger; "
                + "use it with `tagger classify --model` or `tagger eval --model`\n")
        XCTAssertFalse(tag.stderr.contains("wrongKind"), tag.stderr)
    }

    /// `tagger tag --format conll` writes `word<TAB>tag` lines; `eval` scores them (the
    /// model's own output scores 100) and `train` reads them, whatever the file is called.
    func testTagConllOutputIsReadByEvalAndTrain() throws {
        let ner = try shippedModel("ner-en.model")
        let tagged = try TaggerProcess.run(
            ["tag", "--model", ner, "--input", "tokens", "--format", "conll"],
            input: Array("Alice\nSmith\nmoved\nto\nParis\n.\n".utf8))
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(
            tagged.stdout, "Alice\tB-PER\nSmith\tI-PER\nmoved\tO\nto\tO\nParis\tB-LOC\n.\tO\n\n")
        for name in ["tagged.conll", "tagged.iob2", "tagged.txt"] {
            let file = try temporaryFile(name, tagged.stdout)
            let result = try eval(["--model", ner, "--test", file])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(
                result.stdout.contains("overall    |    100.00 |    100.00 |    100.00 |     2"),
                result.stdout)
        }
        let train = try temporaryFile("train.conll", tagged.stdout)
        let output = train + ".model"
        let trained = try TaggerProcess.run(
            [
                "train", "--task", "ner", "--train", train, "--dev", train, "--output", output,
                "--epochs", "1", "--hidden", "8",
            ])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))
    }
}
