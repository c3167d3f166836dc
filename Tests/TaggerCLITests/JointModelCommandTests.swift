import Foundation
import XCTest

/// `tagger train pos+ner` and a joint model through `tag`, `eval` and `annotate`: a small model
/// trained here from files of the EWT layouts (CoNLL-U with UPOS, Universal NER columns).
final class JointModelCommandTests: ScratchDirectoryTestCase {
    /// Sentences as `(id, [(form, upos, entity tag)])`.
    static let sentences: [(String, [(String, String, String)])] = [
        (
            "s-1",
            [
                ("Alice", "PROPN", "B-PER"), ("lives", "VERB", "O"), ("in", "ADP", "O"),
                ("Paris", "PROPN", "B-LOC"), (".", "PUNCT", "O"),
            ]
        ),
        (
            "s-2",
            [
                ("Bob", "PROPN", "B-PER"), ("Smith", "PROPN", "I-PER"), ("works", "VERB", "O"),
                ("at", "ADP", "O"), ("Acme", "PROPN", "B-ORG"), (".", "PUNCT", "O"),
            ]
        ),
        ("s-3", [("The", "DET", "O"), ("cat", "NOUN", "O"), ("sat", "VERB", "O")]),
        ("s-4", [("Go", "VERB", "O"), ("to", "ADP", "O"), ("Rome", "PROPN", "B-LOC")]),
    ]

    private func conllu(_ sentences: [(String, [(String, String, String)])]) -> String {
        sentences.map { id, words in
            "# sent_id = \(id)\n"
                + words.enumerated().map { k, w in
                    "\(k + 1)\t\(w.0)\t_\t\(w.1)\t_\t_\t\(k == 0 ? 0 : 1)\t\(k == 0 ? "root" : "dep")\t_\t_\n"
                }.joined() + "\n"
        }.joined()
    }

    private func iob2(_ sentences: [(String, [(String, String, String)])]) -> String {
        sentences.map { id, words in
            "# sent_id = \(id)\n"
                + words.enumerated().map { k, w in "\(k + 1)\t\(w.0)\t\(w.2)\n" }.joined() + "\n"
        }.joined()
    }

    /// Trains a joint model on `sentences` (the NER file without its last sentence) and returns
    /// the result and the paths.
    private func train(extra: [String] = []) throws -> (
        result: TaggerProcess.Result, model: String, pos: String, ner: String
    ) {
        let pos = try write("train.conllu", conllu(Self.sentences))
        let ner = try write("train.iob2", iob2(Array(Self.sentences.dropLast())))
        let model = directory + "/joint.model"
        let result = try TaggerProcess.run(
            [
                "train", "pos+ner", "--train", pos, "--ner-train", ner, "--dev", pos,
                "--ner-dev", ner, "--output", model, "--epochs", "40", "--patience", "100",
                "--threads", "1",
                "--quiet", "--learning-rate", "0.02", "--batch-size", "2", "--hidden", "16",
                "--word-dim", "16", "--char-dim", "8", "--char-hidden", "8", "--dropout", "0",
            ] + extra)
        return (result, model, pos, ner)
    }

    func testTrainTagEvalAndAnnotate() throws {
        let (result, model, pos, ner) = try train()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(
            result.stderr.contains(
                "aligned \(pos) with \(ner): 3 sentences in both files, 1 in the POS file only\n  in \(pos) only: s-4 (line 21)\n"
            ), result.stderr)
        XCTAssertTrue(
            result.stderr.contains(
                "training on 4 sentences (17 tokens), dev 4 POS and 3 NER sentences"),
            result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))

        // Both tag sets, word/POS/NER, from one model; each task alone with --task.
        let input = Array("Alice lives in Paris .\nBob Smith works at Acme .\n".utf8)
        let both = try TaggerProcess.run(
            ["tag", "--model", model, "--input", "tokens"],
            input: Array("Alice\nlives\nin\nParis\n.\n\nBob\nSmith\nworks\nat\nAcme\n.\n".utf8))
        XCTAssertEqual(both.status, 0, both.stderr)
        XCTAssertEqual(
            both.stdout,
            "Alice/PROPN/B-PER lives/VERB/O in/ADP/O Paris/PROPN/B-LOC ./PUNCT/O\n"
                + "Bob/PROPN/B-PER Smith/PROPN/I-PER works/VERB/O at/ADP/O Acme/PROPN/B-ORG ./PUNCT/O\n"
        )
        let posOnly = try TaggerProcess.run(
            ["tag", "--model", model, "--task", "pos"], input: input)
        let nerOnly = try TaggerProcess.run(
            ["tag", "--model", model, "--task", "ner"], input: input)
        XCTAssertEqual(
            posOnly.stdout,
            "Alice/PROPN lives/VERB in/ADP Paris/PROPN ./PUNCT\n"
                + "Bob/PROPN Smith/PROPN works/VERB at/ADP Acme/PROPN ./PUNCT\n")
        XCTAssertEqual(
            nerOnly.stdout,
            "Alice/B-PER lives/O in/O Paris/B-LOC ./O\nBob/B-PER Smith/I-PER works/O at/O Acme/B-ORG ./O\n"
        )

        // The pipeline with the joint model gives what `tag` gives, and the same as the
        // model's two tasks one at a time.
        let annotated = try TaggerProcess.run(
            ["annotate", "--joint-model", model, "--components", "pos,ner", "--format", "text"],
            input: input)
        XCTAssertEqual(annotated.status, 0, annotated.stderr)
        XCTAssertEqual(annotated.stdout, both.stdout)

        // eval: UPOS on CoNLL-U, entity spans on the NER file.
        let posEval = try TaggerProcess.run(["eval", "--model", model, "--test", pos])
        XCTAssertEqual(posEval.status, 0, posEval.stderr)
        XCTAssertTrue(
            posEval.stdout.hasPrefix(
                "Tagging of \(pos): 4 sentences, 17 tokens\naccuracy 100.00\n"),
            posEval.stdout)
        let nerEval = try TaggerProcess.run(["eval", "--model", model, "--test", ner])
        XCTAssertEqual(nerEval.status, 0, nerEval.stderr)
        XCTAssertTrue(
            nerEval.stdout.hasPrefix(
                "NER spans of \(ner) (exact match, IOB2): 3 sentences, 14 tokens, 4 gold and 4 predicted spans"
            ), nerEval.stdout)
        XCTAssertTrue(
            nerEval.stdout.contains("overall    |    100.00 |    100.00 |    100.00 |     4"))
    }

    func testMismatchedWordsStopTrainingUnlessKeptApart() throws {
        let pos = try write("train.conllu", conllu(Self.sentences))
        var changed = Self.sentences
        changed[1].1[1].0 = "Smyth"
        let ner = try write("train.iob2", iob2(changed))
        let model = directory + "/joint.model"
        let arguments = [
            "train", "pos+ner", "--train", pos, "--ner-train", ner, "--dev", pos, "--ner-dev",
            ner, "--output", model, "--epochs", "1", "--threads", "1", "--quiet",
        ]
        let refused = try TaggerProcess.run(arguments)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(
            refused.stderr,
            "Error: \(ner):8: sentence \"s-2\" does not have the words of \(pos):8: word 2 is \"Smith\" in the POS file but \"Smyth\" in the NER file; fix one file, or train on such sentences one task each with --on-word-mismatch separate\n"
        )
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        let apart = try TaggerProcess.run(arguments + ["--on-word-mismatch", "separate"])
        XCTAssertEqual(apart.status, 0, apart.stderr)
        XCTAssertTrue(
            apart.stderr.contains(
                "3 sentences in both files, 1 with different words, trained one task each\n  different words: s-2 (lines 8 and 8): word 2 is \"Smith\" in the POS file but \"Smyth\" in the NER file\n"
            ), apart.stderr)
    }

    func testUsageErrors() throws {
        let (result, model, pos, _) = try train(extra: ["--epochs", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // --ner-train is required.
        let missing = try TaggerProcess.run(
            ["train", "pos+ner", "--train", pos, "--dev", pos, "--output", model])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(
            missing.stderr.contains("Missing expected argument '--ner-train <ner-train>'"),
            missing.stderr)
        // A joint model and a POS model for the same pipeline.
        let both = try TaggerProcess.run(
            ["annotate", "--joint-model", model, "--pos-model", model], input: Array("Hi\n".utf8))
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(
            both.stderr.contains(
                "--joint-model tags both POS and NER: give it, or --pos-model and --ner-model, not both"
            ), both.stderr)
        // A joint model's file as --pos-model serves POS alone; as a sentiment model it is
        // refused, saying what it is.
        let asPOS = try TaggerProcess.run(
            ["annotate", "--pos-model", model, "--components", "pos"],
            input: Array("Hi\n".utf8))
        XCTAssertEqual(asPOS.status, 0, asPOS.stderr)
        let sentiment = try TaggerProcess.run(
            ["classify", "--model", model], input: Array("Hi\n".utf8))
        XCTAssertEqual(sentiment.status, 1)
        XCTAssertTrue(
            sentiment.stderr.contains("is a joint POS+NER tagger, not a sentiment classifier"),
            sentiment.stderr)
        // --column names one task's column.
        let column = try TaggerProcess.run(
            ["tag", "--model", model, "--format", "conllu", "--column", "xpos"],
            input: Array("Hi\n".utf8))
        XCTAssertEqual(column.status, 64)
        XCTAssertTrue(
            column.stderr.contains("--column needs --task pos or --task ner"), column.stderr)
    }
}
