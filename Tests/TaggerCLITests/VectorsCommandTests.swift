import Foundation
import XCTest

/// `tagger vectors table|share|dense` and `tagger train --shared-vectors`: a model rewritten
/// to read its unchanged rows from a table tags exactly as before, needs the table beside
/// it (a missing one is a clear error), and written dense again is the original file.
final class VectorsCommandTests: ScratchDirectoryTestCase {
    private static let conllu = """
        1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
        2\tcat\tcat\tNOUN\tNN\t_\t3\tnsubj\t_\t_
        3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t_\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
        2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_
        3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t_\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        """

    private static let vectors = """
        the 0.25 -0.5 1 0.125
        cat 1 1 -1 0.5
        zurich 0.75 0 -0.25 2
        berlin -1 0.5 0.5 -2
        sat 0 0.5 0.5 0

        """

    private static let training = [
        "--epochs", "2", "--hidden", "8", "--char-dim", "4", "--char-hidden", "4", "--threads",
        "1", "--lowercase-words", "--quiet",
    ]

    private func run(_ arguments: [String], input: String = "") throws -> TaggerProcess.Result {
        try TaggerProcess.run(arguments, input: Array(input.utf8))
    }

    func testShareAndDenseRewriteModelsWithoutChangingTheirTags() throws {
        let data = try write("train.conllu", Self.conllu)
        let text = try write("vectors.txt", Self.vectors)
        let table = directory + "/test.vectors"
        let made = try run(["vectors", "table", "--embeddings", text, "--output", table])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stderr.contains("wrote 5 vectors of 4 dimensions"), made.stderr)

        let model = directory + "/pos.model"
        let trained = try run(
            ["train", "pos", "--train", data, "--dev", data, "--output", model, "--embeddings", text]
                + Self.training)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let dense = try Data(contentsOf: URL(fileURLWithPath: model))
        let sentences = "The cat sat in Zurich .\nBerlin sat .\n"
        let before = try run(["tag", "--model", model, "--format", "json"], input: sentences)
        XCTAssertEqual(before.status, 0, before.stderr)

        let shared = try run(["vectors", "share", "--table", table, model])
        XCTAssertEqual(shared.status, 0, shared.stderr)
        XCTAssertTrue(shared.stdout.contains("rows read from the table"), shared.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model))[8], 3)
        let after = try run(["tag", "--model", model, "--format", "json"], input: sentences)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(after.stdout, before.stdout)

        // Without its table the model says which file is missing and where.
        try FileManager.default.moveItem(atPath: table, toPath: table + ".away")
        let missing = try run(["tag", "--model", model], input: "The cat sat .\n")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains(model), missing.stderr)
        XCTAssertTrue(missing.stderr.contains(table), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("missing"), missing.stderr)
        try FileManager.default.moveItem(atPath: table + ".away", toPath: table)

        let restored = try run(["vectors", "dense", model])
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), dense)

        // A table in another folder is refused (models find tables beside themselves).
        let other = directory + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model, toPath: other + "/pos.model")
        let elsewhere = try run(["vectors", "share", "--table", table, other + "/pos.model"])
        XCTAssertNotEqual(elsewhere.status, 0)
        XCTAssertTrue(elsewhere.stderr.contains("same folder"), elsewhere.stderr)
    }

    func testTrainWithSharedVectorsWritesTheSharedModelDirectly() throws {
        let data = try write("train.conllu", Self.conllu)
        let text = try write("vectors.txt", Self.vectors)
        let table = directory + "/test.vectors"
        XCTAssertEqual(
            try run(["vectors", "table", "--embeddings", text, "--output", table]).status, 0)
        let dense = directory + "/dense.model"
        XCTAssertEqual(
            try run(
                ["train", "pos", "--train", data, "--dev", data, "--output", dense, "--embeddings", text]
                    + Self.training
            ).status, 0)
        let shared = directory + "/shared.model"
        let trained = try run(
            ["train", "pos", "--train", data, "--dev", data, "--output", shared,
             "--shared-vectors", table] + Self.training)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: shared))[8], 3)
        // The same model as trained from the text file, once written dense.
        XCTAssertEqual(try run(["vectors", "dense", shared]).status, 0)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: shared)),
            try Data(contentsOf: URL(fileURLWithPath: dense)))

        let both = try run(
            ["train", "pos", "--train", data, "--dev", data, "--output", shared,
             "--shared-vectors", table, "--embeddings", text])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
    }

    func testEightBitTablesFromTextAndByQuantizingTheTableModelsReadFrom() throws {
        let data = try write("train.conllu", Self.conllu)
        let text = try write("vectors.txt", Self.vectors)
        let table = directory + "/test.vectors"
        XCTAssertEqual(
            try run(["vectors", "table", "--embeddings", text, "--output", table]).status, 0)
        let model = directory + "/pos.model"
        let trained = try run(
            ["train", "pos", "--train", data, "--dev", data, "--output", model,
             "--shared-vectors", table] + Self.training)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let sentences = "The cat sat in Zurich .\nBerlin sat .\n"
        let before = try run(["tag", "--model", model, "--format", "conll"], input: sentences)
        XCTAssertEqual(before.status, 0, before.stderr)

        let quantized = try run(["vectors", "quantize", "--table", table, model])
        XCTAssertEqual(quantized.status, 0, quantized.stderr)
        XCTAssertTrue(quantized.stdout.contains("8 bits a value"), quantized.stdout)
        XCTAssertTrue(quantized.stdout.contains("\(model): reads from the 8-bit table"), quantized.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: table))[8], 4)
        let after = try run(["tag", "--model", model, "--format", "conll"], input: sentences)
        XCTAssertEqual(after.status, 0, after.stderr)
        // The tokens and the number of lines are those of before; the tags may move a little.
        XCTAssertEqual(
            after.stdout.split(separator: "\n").map { $0.split(separator: "\t").first },
            before.stdout.split(separator: "\n").map { $0.split(separator: "\t").first })

        let again = try run(["vectors", "quantize", "--table", table, model])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already stores its vectors in 8 bits"), again.stderr)

        // Written in 8 bits from the text: the same table as the quantized one.
        let direct = directory + "/direct.vectors"
        let made = try run(
            ["vectors", "table", "--embeddings", text, "--bits", "8", "--output", direct])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stderr.contains("(8 bits a value)"), made.stderr)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: direct)),
            try Data(contentsOf: URL(fileURLWithPath: table)))
        let wrong = try run(
            ["vectors", "table", "--embeddings", text, "--bits", "16", "--output", direct])
        XCTAssertEqual(wrong.status, 64)
        XCTAssertTrue(wrong.stderr.contains("--bits must be 32 or 8"), wrong.stderr)
    }
}
