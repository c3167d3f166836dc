import ArgumentParser
import Foundation
import ModelStorage
import Tagging

/// `tagger vectors …`: a table of pretrained vectors stored once beside the models that use
/// it, and models that read from it.
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Store pretrained word vectors once, beside the models that use them.",
        discussion: """
            A shared vector table holds pretrained vectors once; models in the same folder \
            that refer to it store only the rows that differ from it (the words they learned \
            and the rows training changed). Their outputs are exactly those of the models \
            that store every row. A table may store its vectors in 8 bits a value (a \
            quarter of the size); models then read the values 8-bit storage gives back.
            """,
        subcommands: [
            VectorsTableCommand.self, VectorsShareCommand.self, VectorsDenseCommand.self,
            VectorsQuantizeCommand.self,
        ])
}

/// `tagger vectors table`: a shared vector table from a vectors file.
struct VectorsTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Write a shared vector table from a word2vec, GloVe or fastText file.",
        discussion: """
            The words and vectors are read as `tagger train --embeddings` reads them, so with \
            the same --embeddings-limit a model trained on the file shares every row it did \
            not change.
            """)

    @Option(help: "Pretrained word vectors (word2vec, GloVe or fastText; .gz allowed).")
    var embeddings: String

    @Option(help: "Read at most this many pretrained vectors.")
    var embeddingsLimit = 200_000

    @Option(help: "The table file to write (by convention NAME.vectors, beside the models).")
    var output: String

    @Option(
        help: ArgumentHelp(
            "Bits a value: 32 stores the vectors exactly, 8 in a quarter of the size (each row as 8-bit integers times a scale).",
            valueName: "32|8"))
    var bits = 32

    func validate() throws {
        guard embeddingsLimit >= 1 else {
            throw ValidationError("--embeddings-limit must be positive.")
        }
        guard bits == 32 || bits == 8 else {
            throw ValidationError("--bits must be 32 or 8, not \(bits).")
        }
        try checkWritableOutput(output)
    }

    func run() throws {
        var err = StandardError()
        let vectors = try PretrainedVectors.load(path: embeddings, limit: embeddingsLimit)
        let checksum = try SharedVectorTable.write(
            vectors, source: URL(fileURLWithPath: embeddings).lastPathComponent,
            storage: bits == 8 ? .eightBitRows : .float32, to: output)
        print(
            "wrote \(vectors.words.count) vectors of \(vectors.dimension) dimensions (\(bits) bits a value) to \(output) (checksum \(String(checksum, radix: 16)))",
            to: &err)
    }
}

/// `tagger vectors share`: models rewritten to read unchanged rows from a table.
struct VectorsShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Rewrite models so that they read their unchanged word vectors from a table.",
        discussion: """
            Every word vector row of each MODEL that is bit for bit the table's row for the \
            same word becomes a reference to the table; each model is rewritten atomically. \
            The table must be in the models' folder, where they find it by name (with its \
            checksum). POS, NER, joint, sentiment and sentence-splitter models have rows to \
            share.
            """)

    @Option(help: "The shared vector table (see `tagger vectors table`).")
    var table: String

    @Argument(help: "Model files to rewrite.")
    var models: [String]

    func run() throws {
        let shared = try SharedVectorTable.shared(at: table)
        for model in models {
            report(try shared.shareRows(inModelAt: model))
        }
    }
}

/// `tagger vectors dense`: models rewritten to store every row again.
struct VectorsDenseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dense",
        abstract: "Rewrite models so that they store every word vector row (no table needed).")

    @Argument(help: "Model files to rewrite.")
    var models: [String]

    func run() throws {
        for model in models {
            report(try SharedVectorTable.storeRowsWhole(inModelAt: model))
        }
    }
}

/// `tagger vectors quantize`: a table rewritten in 8 bits, and the models that read from it
/// pointed at it.
struct VectorsQuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Rewrite a shared vector table in 8 bits a value, and the models that read from it.",
        discussion: """
            The table's rows are stored as 8-bit integers times one scale a row (a quarter \
            of the size; each value within half a step of the exact one), and each MODEL, \
            which must read rows from the table, is rewritten to refer to its new contents. \
            The models' outputs change by what the 8-bit values differ from the exact ones. \
            Every model in the table's folder that reads from it must be given, since it \
            would no longer load; nothing is written unless all are. Files are rewritten \
            atomically, the table first.
            """)

    @Option(help: "The shared vector table to rewrite (see `tagger vectors table`).")
    var table: String

    @Argument(help: "Model files that read from the table, to point at its new contents.")
    var models: [String] = []

    func run() throws {
        let rewrite = try SharedVectorTable.storeInEightBits(tableAt: table, models: models)
        print(
            "\(rewrite.table): \(rewrite.bytesBefore) → \(rewrite.bytesAfter) bytes; 8 bits a value (checksum \(String(rewrite.checksum, radix: 16)))"
        )
        for model in rewrite.models { print("\(model): reads from the 8-bit table") }
    }
}

/// Prints what rewriting a model changed.
private func report(_ rewrite: SharedRowsRewrite) {
    let rows =
        rewrite.sharedRows == 0
        ? "every row stored in the model"
        : "\(rewrite.sharedRows) rows read from the table, \(rewrite.storedRows) stored"
    print("\(rewrite.path): \(rewrite.bytesBefore) → \(rewrite.bytesAfter) bytes; \(rows)")
}
