import Foundation
import XCTest

/// `tagger train --task pos|ner|sentiment` and `tagger eval --model` on tiny fixture files:
/// exit codes and the figures printed.
final class ModelTrainingOptionsTests: ScratchDirectoryTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = TaggerCLITests.taggerURL
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: out, as: UTF8.self),
            String(decoding: err, as: UTF8.self)
        )
    }

    static let ner = """
        # sent_id = 1
        1\tAlice\tB-PER
        2\tlives\tO
        3\tin\tO
        4\tParis\tB-LOC
        5\t.\tO

        # sent_id = 2
        1\tBob\tB-PER
        2\tSmith\tI-PER
        3\tvisited\tO
        4\tAcme\tB-ORG

        """

    static let pos = """
        1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
        2\tcat\tcat\tNOUN\tNN\t_\t3\tnsubj\t_\t_
        3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t_\t_

        1\tDogs\tdog\tNOUN\tNNS\t_\t2\tnsubj\t_\t_
        2\tbark\tbark\tVERB\tVBP\t_\t0\troot\t_\t_

        """

    func testTrainAndEvalNER() throws {
        let data = try write("ner.iob2", Self.ner)
        let model = directory + "/ner.model"
        let train = try run([
            "train", "--task", "ner", "--train", data, "--dev", data, "--output", model, "--epochs",
            "3", "--hidden", "8",
            "--quiet",
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))
        let eval = try run(["eval", "--model", model, "--test", data])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("overall"), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("PER"), eval.stdout)
    }

    func testTrainAndEvalPOSAndSentiment() throws {
        let pos = try write("pos.conllu", Self.pos)
        let posModel = directory + "/pos.model"
        let trained = try run([
            "train", "--task", "pos", "--train", pos, "--dev", pos, "--output", posModel,
            "--epochs", "2", "--cell", "gru",
            "--quiet",
        ])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let eval = try run(["eval", "--model", posModel, "--test", pos])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("unknown words"), eval.stdout)

        // From raw text, with the tokenizer lexicon given: one that cuts `cat` in two costs
        // the tokens of one sentence.
        let raw = try run(["eval", "--model", posModel, "--test", pos, "--raw-text"])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertTrue(raw.stdout.contains("Tokens     |    100.00 |    100.00 |    100.00"), raw.stdout)
        let lexicon = try write("cut.tsv", "# tokenizer-lexicon v1\nchunk\tcat\t1 2\n")
        let cut = try run([
            "eval", "--model", posModel, "--test", pos, "--raw-text", "--lexicon", lexicon,
        ])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stdout.contains("Tokens     |     66.67 |     80.00 |     72.73"), cut.stdout)

        let sst = try write("sst.txt", "1 a fine film\n0 a dull film\n1 loved it\n")
        let sstModel = directory + "/sst.model"
        let sentiment = try run([
            "train", "--task", "sentiment", "--train", sst, "--dev", sst, "--output", sstModel,
            "--epochs", "2",
            "--quiet",
        ])
        XCTAssertEqual(sentiment.status, 0, sentiment.stderr)
        let scored = try run(["eval", "--model", sstModel, "--test", sst])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        XCTAssertTrue(scored.stdout.contains("accuracy"), scored.stdout)
    }

    func testBadInputsFailWithAMessage() throws {
        let empty = try write("empty.iob2", "")
        let data = try write("ner.iob2", Self.ner)
        let noSentences = try run([
            "train", "--task", "ner", "--train", empty, "--dev", data, "--output", directory + "/m",
        ])
        XCTAssertEqual(noSentences.status, 1)
        XCTAssertTrue(noSentences.stderr.contains("no sentences"), noSentences.stderr)

        let dev = try write("dev.iob2", "1\tRome\tB-GPE\n\n")
        let unseen = try run([
            "train", "--task", "ner", "--train", data, "--dev", dev, "--output", directory + "/m",
        ])
        XCTAssertEqual(unseen.status, 1)
        XCTAssertTrue(unseen.stderr.contains("GPE"), unseen.stderr)

        let missingDev = try run([
            "train", "--task", "pos", "--train", data, "--output", directory + "/m",
        ])
        XCTAssertEqual(missingDev.status, 64)

        let missingModel = try run(["eval", "--model", directory + "/absent.model", "--test", data])
        XCTAssertEqual(missingModel.status, 1)
        XCTAssertTrue(missingModel.stderr.contains("absent.model"), missingModel.stderr)
    }
}
