import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import Tokenization
import XCTest

/// Models that read the pretrained rows they left unchanged from a shared vector table:
/// the same outputs as the models that store every row, one copy of the table per process,
/// clear errors for a missing, corrupt or different table, and training from such models.
final class SharedVectorTableTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "shared-vectors-\(getpid())-\(name.hashValue)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Lowercase vectors; "zurich", "berlin" and "paris" never occur in training, so their
    /// rows stay the pretrained ones.
    static let vectorsText = """
        the 0.25 -0.5 1 0.125
        cat 1 1 -1 0.5
        zurich 0.75 0 -0.25 2
        berlin -1 0.5 0.5 -2
        paris 0.5 0.5 -0.5 0.25
        sat 0 0.5 0.5 0

        """

    static let sentences = [
        ["The", "cat", "sat", "."], ["Dogs", "bark", "in", "Zurich"], ["berlin", "paris", "x"],
    ]

    /// The vectors of `vectorsText`, written to the test folder and read back.
    private func vectors() throws -> PretrainedVectors {
        let path = directory + "/vectors.txt"
        try Data(Self.vectorsText.utf8).write(to: URL(fileURLWithPath: path))
        return try PretrainedVectors.load(path: path)
    }

    private static func options(epochs: Int = 2) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.threads = 1
        return options
    }

    private static func network() -> NetworkConfiguration {
        var network = NetworkConfiguration()
        network.hidden = 8
        network.embedder.characterDimension = 4
        network.embedder.characterHidden = 4
        network.embedder.lowercase = true
        return network
    }

    /// A POS tagger trained with the pretrained vectors, each row stored.
    private func denseTagger(trainer configure: (inout Trainer) -> Void = { _ in }) throws
        -> TaggerModel
    {
        var trainer = Trainer(options: Self.options())
        trainer.pretrained = try vectors()
        trainer.unknownWordPolicy = .zero
        configure(&trainer)
        return try trainer.trainTagger(
            task: .pos, network: Self.network(), train: TinyTagger.sentences,
            dev: TinyTagger.sentences
        ).model
    }

    /// The table file `name` in the test folder, from `vectors()`.
    @discardableResult
    private func writeTable(_ name: String = "test.vectors") throws -> String {
        let path = directory + "/" + name
        try SharedVectorTable.write(vectors(), source: "vectors.txt", to: path)
        return path
    }

    /// A dense model file and its shared rewrite, both in the test folder.
    private func sharedModel() throws -> (dense: TaggerModel, densePath: String, path: String) {
        let model = try denseTagger()
        let densePath = directory + "/dense.model"
        try model.save(to: densePath)
        let table = try SharedVectorTable.shared(at: writeTable())
        let path = directory + "/pos.model"
        try model.save(to: path)
        let rewrite = try table.shareRows(inModelAt: path)
        XCTAssertGreaterThan(rewrite.sharedRows, 0)
        return (model, densePath, path)
    }

    private func assertSameOutputs(
        _ a: TaggerModel, _ b: TaggerModel, file: StaticString = #filePath, line: UInt = #line
    ) {
        for threads in [1, 2] {
            let x = a.tag(Self.sentences, threads: threads)
            let y = b.tag(Self.sentences, threads: threads)
            XCTAssertEqual(x.map { $0.map(\.tag) }, y.map { $0.map(\.tag) }, file: file, line: line)
            XCTAssertEqual(
                x.map { $0.map(\.probability.bitPattern) },
                y.map { $0.map(\.probability.bitPattern) }, file: file, line: line)
        }
    }

    // MARK: Round trip

    func testSharedModelTagsBitForBitAsTheDenseOneAndRoundTrips() throws {
        let (dense, densePath, path) = try sharedModel()
        let file = try ModelFile.read(from: path)
        let reference = try XCTUnwrap(file.sharedRows["embedder.words.E"])
        XCTAssertEqual(reference.tableName, "test.vectors")
        // Untouched pretrained rows are references; the padding and fine-tuned rows are not.
        let encoder = dense.inputEncoder
        XCTAssertEqual(reference.rows[encoder.wordID("Zurich")], 2)
        XCTAssertNil(reference.rows[0], "the padding row is stored")
        let vectors = try vectors()
        let table = dense.network.embedder.words.table
        for (id, word) in encoder.words.symbols.enumerated() {
            if let r = vectors.row(of: word),
                table.row(id).map(\.bitPattern) == vectors.vectors.row(r).map(\.bitPattern)
            {
                XCTAssertEqual(reference.rows[id], UInt32(r), word)
            } else {
                XCTAssertNil(reference.rows[id], word)
            }
        }

        let shared = try TaggerModel.load(path: path)
        XCTAssertNotNil(shared.network.embedder.words.shared)
        XCTAssertLessThan(shared.network.embedder.words.table.rows, encoder.words.count)
        XCTAssertEqual(shared.network.embedder.words.vocabularySize, encoder.words.count)
        assertSameOutputs(shared, dense)

        // Saved beside the table it stays shared, and written whole it is the dense file.
        XCTAssertEqual(try shared.modelFile(), file)
        XCTAssertEqual(
            try file.materialised(modelPath: path).serialized(),
            try ModelFile.read(from: densePath).serialized())
        let again = directory + "/again.model"
        try shared.save(to: again)
        XCTAssertEqual(try ModelFile.read(from: again), file)
        // Saved away from the table, every row is written out.
        let elsewhere = directory + "/elsewhere"
        try FileManager.default.createDirectory(
            atPath: elsewhere, withIntermediateDirectories: true)
        try shared.save(to: elsewhere + "/pos.model")
        let moved = try ModelFile.read(from: elsewhere + "/pos.model")
        XCTAssertTrue(moved.sharedRows.isEmpty)
        XCTAssertEqual(try moved.serialized(), try ModelFile.read(from: densePath).serialized())

        // And back: the rewrite to dense gives the original bytes.
        _ = try SharedVectorTable.storeRowsWhole(inModelAt: path)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: path)),
            try Data(contentsOf: URL(fileURLWithPath: densePath)))
    }

    func testAModelReadingAnEightBitTableKeepsItInEightBitsAndTagsAsItsDenseCopy() throws {
        let (dense, _, path) = try sharedModel()
        let tablePath = directory + "/test.vectors"
        _ = try SharedVectorTable.storeInEightBits(tableAt: tablePath, models: [path])
        let densePath = directory + "/dense-8.model"
        try FileManager.default.copyItem(atPath: path, toPath: densePath)
        _ = try SharedVectorTable.storeRowsWhole(inModelAt: densePath)

        let shared = try TaggerModel.load(path: path)
        let words = try XCTUnwrap(shared.network.embedder.words.shared)
        guard case .eightBit(let rows) = words.table else {
            return XCTFail("the table's rows stay in 8 bits in memory")
        }
        let table = try XCTUnwrap(words.owner as? SharedVectorTable)
        XCTAssertEqual(table.storage, .eightBitRows)
        XCTAssertEqual(rows.values.count, table.words.count * table.dimension)
        // Rows expanded as they are copied are the rows written whole: the same outputs.
        assertSameOutputs(shared, try TaggerModel.load(path: densePath))
        // The 8-bit values differ from the exact ones, by at most half a step.
        let exact = try vectors().vectors
        XCTAssertNotEqual(table.matrix, exact)
        for r in 0..<exact.rows {
            let step = exact.row(r).map(abs).max()! / 127
            for c in 0..<exact.columns {
                XCTAssertLessThanOrEqual(abs(table.matrix[r, c] - exact[r, c]), step / 2 * 1.0001)
            }
        }
        _ = dense
    }

    func testSentimentAndSentenceModelsShareTooAndDenseModelsStillLoad() throws {
        var trainer = Trainer(options: Self.options())
        trainer.pretrained = try vectors()
        let texts = [
            TrainingText(words: ["the", "cat", "sat"], label: "positive"),
            TrainingText(words: ["Dogs", "bark"], label: "negative"),
        ]
        let sentiment = try trainer.trainClassifier(
            network: Self.network(), train: texts, dev: texts
        ).model
        let path = directory + "/sentiment.model"
        try sentiment.save(to: path)
        XCTAssertTrue(try ModelFile.read(from: path).sharedRows.isEmpty)
        XCTAssertEqual(try SentimentModel.load(path: path).probabilities(Self.sentences),
            sentiment.probabilities(Self.sentences))
        let table = try SharedVectorTable.shared(at: writeTable())
        XCTAssertGreaterThan(try table.shareRows(inModelAt: path).sharedRows, 0)
        let shared = try SentimentModel.load(path: path)
        XCTAssertEqual(
            shared.probabilities(Self.sentences).map { $0.map(\.bitPattern) },
            sentiment.probabilities(Self.sentences).map { $0.map(\.bitPattern) })

        // A character language model has no word vectors to share.
        XCTAssertThrowsError(try table.sharing(ModelFile(architecture: "CharLM.v1", configuration: Data("{}".utf8)))) {
            guard case .nothingToShare? = $0 as? SharedVectorsError else {
                return XCTFail("\($0)")
            }
        }
    }

    func testSentenceSplitterReadsItsFixedVectorsFromTheTable() throws {
        let vectors = try vectors()
        let text = "The cat sat. Dogs bark in Zurich. Paris is far."
        var configuration = SentenceBoundaryConfiguration()
        configuration.wordDimension = 4
        configuration.hiddenSize = 8
        let splitter = NeuralSentenceSplitter(
            configuration: configuration,
            networks: [
                {
                    var random = SeededRandom(seed: 3)
                    return SentenceBoundaryNetwork<Float>(
                        wordCount: 2, wordDimension: 4, shapeCount: 2, shapeDimension: 8,
                        featureCount: BoundaryFeatures.count + vectors.dimension, hiddenSize: 8,
                        layers: 1, random: &random)
                }()
            ],
            words: ["<unk>", "the"], shapes: ["<unk>", "Xx"], abbreviations: [],
            perceptronWeights: [:], pretrained: vectors)
        let densePath = directory + "/dense-sentence.model"
        try splitter.write(to: densePath)
        let path = directory + "/sentence.model"
        try splitter.write(to: path)
        let table = try SharedVectorTable.shared(at: writeTable())
        let rewrite = try table.shareRows(inModelAt: path)
        XCTAssertEqual(rewrite.storedRows, 0)
        XCTAssertEqual(rewrite.sharedRows, vectors.words.count)
        let shared = try NeuralSentenceSplitter(contentsOf: path)
        let dense = try NeuralSentenceSplitter(contentsOf: densePath)
        // The very table's buffer, not a copy.
        shared.pretrained!.vectors.withUnsafePointer { a in
            table.matrix.withUnsafePointer { b in XCTAssertEqual(a, b) }
        }
        let tokens = Tokenizer.english.tokenize(text)
        XCTAssertEqual(shared.sentences(of: tokens, in: text), dense.sentences(of: tokens, in: text))
        try shared.write(to: directory + "/again.model")
        XCTAssertEqual(
            try ModelFile.read(from: directory + "/again.model"), try ModelFile.read(from: path))
    }

    // MARK: Reading the table beside the model

    func testTheReferencesReadFromTheHeaderAloneAreThoseOfTheWholeFile() throws {
        let (_, densePath, path) = try sharedModel()
        XCTAssertEqual(
            try ModelFile.sharedRowsReferences(inFileAt: path), try ModelFile.read(from: path).sharedRows)
        XCTAssertEqual(try ModelFile.sharedRowsReferences(inFileAt: densePath), [:])
        // The header alone is read: a file cut after it still gives its references, and
        // one cut inside it is an error naming the file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerEnd = 16 + Int(bytes[12..<16].reversed().reduce(0) { $0 << 8 | Int($1) })
        let cut = directory + "/cut.model"
        try bytes.prefix(headerEnd + 4).write(to: URL(fileURLWithPath: cut))
        XCTAssertEqual(
            try ModelFile.sharedRowsReferences(inFileAt: cut), try ModelFile.read(from: path).sharedRows)
        try bytes.prefix(headerEnd - 3).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try ModelFile.sharedRowsReferences(inFileAt: cut)) { error in
            XCTAssertTrue(error.localizedDescription.contains(cut), "\(error)")
        }
        XCTAssertThrowsError(try ModelFile.sharedRowsReferences(inFileAt: directory + "/none"))
    }

    func testModelsLoadedWhileTheirTableIsReadUseTheTableReadAndOneCopy() throws {
        let (dense, _, path) = try sharedModel()
        let tablePath = directory + "/test.vectors"
        for _ in 0..<5 {
            let (a, b) = try SharedVectorTable.readingTables(referencedBy: [path, path]) {
                (try TaggerModel.load(path: path), try TaggerModel.load(path: path))
            }
            let table = try SharedVectorTable.shared(at: tablePath)
            XCTAssertTrue(a.network.embedder.words.shared?.owner === table)
            XCTAssertTrue(b.network.embedder.words.shared?.owner === table)
            assertSameOutputs(a, dense)
        }
        // The body's errors are its own; the tables' are left for the body's loading.
        try FileManager.default.removeItem(atPath: tablePath)
        XCTAssertThrowsError(
            try SharedVectorTable.readingTables(referencedBy: [path, directory + "/none"]) {
                try TaggerModel.load(path: path)
            }
        ) { XCTAssertEqual($0 as? SharedVectorsError, .missingTable(model: path, table: tablePath)) }
        XCTAssertEqual(try SharedVectorTable.readingTables(referencedBy: [path]) { 42 }, 42)
    }

    // MARK: Errors

    func testMissingTableNamesTheModelTheTableAndWhatToDo() throws {
        let (_, _, path) = try sharedModel()
        try FileManager.default.removeItem(atPath: directory + "/test.vectors")
        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            XCTAssertEqual(
                error as? SharedVectorsError,
                .missingTable(model: path, table: directory + "/test.vectors"))
            let message = error.localizedDescription
            XCTAssertTrue(message.contains(path), message)
            XCTAssertTrue(message.contains("test.vectors"), message)
            XCTAssertTrue(message.contains("copy"), message)
        }
        // A model parsed from memory has no folder to look in.
        XCTAssertThrowsError(try TaggerModel(file: ModelFile.read(from: path))) {
            XCTAssertEqual($0 as? SharedVectorsError, .noLocation(table: "test.vectors"))
        }
    }

    func testCorruptTruncatedAndForeignTablesAreNamedErrors() throws {
        let (_, _, path) = try sharedModel()
        let tablePath = directory + "/test.vectors"
        let good = try Data(contentsOf: URL(fileURLWithPath: tablePath))
        var corrupt = good
        corrupt[corrupt.count / 2] ^= 0x40
        let foreign = try Data(contentsOf: URL(fileURLWithPath: directory + "/dense.model"))
        for (bytes, expected) in [
            (corrupt, "checksum"), (good.prefix(good.count - 100), "corrupt"),
            (Data("not a table".utf8), "magic"), (foreign, "not a shared vector table"),
        ] {
            try bytes.write(to: URL(fileURLWithPath: tablePath))
            XCTAssertThrowsError(try TaggerModel.load(path: path), expected) { error in
                guard case .unreadableTable(let table, _)? = error as? SharedVectorsError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(table, tablePath)
                let message = error.localizedDescription
                XCTAssertTrue(message.contains(tablePath), message)
                XCTAssertTrue(message.contains(expected), message)
            }
        }
    }

    func testATableWithOtherContentsIsAChecksumMismatch() throws {
        let (_, _, path) = try sharedModel()
        let tablePath = directory + "/test.vectors"
        var other = try vectors().vectors
        other[0, 0] += 1
        try SharedVectorTable.write(
            PretrainedVectors(words: try vectors().words, vectors: other), to: tablePath)
        XCTAssertThrowsError(try TaggerModel.load(path: path)) { error in
            guard case .checksumMismatch(let model, let table, _, _)? = error as? SharedVectorsError
            else { return XCTFail("\(error)") }
            XCTAssertEqual(model, path)
            XCTAssertEqual(table, tablePath)
            XCTAssertTrue(error.localizedDescription.contains("other contents"))
        }
    }

    func testVersion3FilesAreCheckedForConsistentSharedRows() throws {
        var file = ModelFile(
            architecture: "A.v1", configuration: Data("{}".utf8),
            parameters: [.init(name: "E", matrix: Matrix(rows: 1, columns: 2, scalars: [1, 2]))],
            sharedRows: [
                "E": .init(tableName: "t.vectors", tableChecksum: 7, rows: [3, nil, 0])
            ])
        let bytes = try file.serialized()
        XCTAssertEqual(bytes[8], 3, "a file with shared rows is version 3")
        XCTAssertEqual(try ModelFile(bytes: bytes, source: "a"), file)
        XCTAssertEqual(file.storedScalarCount, 6)
        file.sharedRows["E"]!.rows = [nil, nil]
        XCTAssertThrowsError(try ModelFile(bytes: try file.serialized(), source: "a"))
        file.sharedRows = ["F": .init(tableName: "t.vectors", tableChecksum: 7, rows: [nil])]
        XCTAssertThrowsError(try ModelFile(bytes: try file.serialized(), source: "a"))
        file.sharedRows = ["E": .init(tableName: "../t.vectors", tableChecksum: 7, rows: [nil])]
        XCTAssertThrowsError(try ModelFile(bytes: try file.serialized(), source: "a"))
        file.sharedRows = [:]
        XCTAssertEqual(try file.serialized()[8], 2, "a file without is still version 2")
    }

    // MARK: One copy in memory

    func testModelsFromTheSameTableShareOneBufferThatIsFreedAfter() throws {
        let (_, _, path) = try sharedModel()
        let copy = directory + "/pos-copy.model"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        weak var weakTable: SharedVectorTable?
        do {
            let a = try TaggerModel.load(path: path)
            let b = try TaggerModel.load(path: copy)
            let (sa, sb) = (
                try XCTUnwrap(a.network.embedder.words.shared),
                try XCTUnwrap(b.network.embedder.words.shared)
            )
            XCTAssertTrue(sa.owner === sb.owner)
            guard case .exact(let ta) = sa.table, case .exact(let tb) = sb.table else {
                return XCTFail("an exact table is shared exactly")
            }
            ta.withUnsafePointer { pa in
                tb.withUnsafePointer { pb in XCTAssertEqual(pa, pb) }
            }
            weakTable = sa.owner as? SharedVectorTable
            XCTAssertNotNil(weakTable)
            XCTAssertTrue(
                try SharedVectorTable.shared(at: directory + "/test.vectors") === weakTable)
        }
        XCTAssertNil(weakTable, "the table is freed with the last model that uses it")
        // Loaded again, it is read again.
        let again = try TaggerModel.load(path: path)
        XCTAssertNotNil(again.network.embedder.words.shared)
    }

    // MARK: Training from shared models

    func testResumingFromACheckpointWithSharedRowsGivesTheDenseResult() throws {
        try writeTable()
        let table = try SharedVectorTable.shared(at: directory + "/test.vectors")
        func interrupted(_ checkpoint: String) throws -> Trainer {
            var trainer = Trainer(options: Self.options(epochs: 3))
            trainer.pretrained = try vectors()
            trainer.unknownWordPolicy = .zero
            trainer.checkpointPath = checkpoint
            var batches = 0
            trainer.onEvent = { if case .progress = $0 { batches += 1 } }
            trainer.shouldStop = { batches == 1 }
            let first = try trainer.trainTagger(
                task: .pos, network: Self.network(), train: TinyTagger.sentences,
                dev: TinyTagger.sentences)
            XCTAssertTrue(first.interrupted)
            trainer.shouldStop = nil
            trainer.onEvent = nil
            trainer.resume = true
            return trainer
        }
        let densePath = directory + "/dense.checkpoint"
        let denseTrainer = try interrupted(densePath)
        let sharedPath = directory + "/shared.checkpoint"
        let sharedTrainer = try interrupted(sharedPath)
        var checkpoint = try TrainingCheckpoint<TrainingOptions>.read(from: sharedPath)
        checkpoint.model = try table.sharing(checkpoint.model)
        XCTAssertFalse(checkpoint.model.sharedRows.isEmpty)
        try checkpoint.write(to: sharedPath)

        let fromDense = try denseTrainer.trainTagger(
            task: .pos, network: Self.network(), train: TinyTagger.sentences,
            dev: TinyTagger.sentences)
        let fromShared = try sharedTrainer.trainTagger(
            task: .pos, network: Self.network(), train: TinyTagger.sentences,
            dev: TinyTagger.sentences)
        XCTAssertEqual(try fromShared.model.modelFile(), try fromDense.model.modelFile())
    }

    func testASharedModelIsTrainedAfterItsTableIsMaterialised() throws {
        let (dense, _, path) = try sharedModel()
        var network = try TaggerModel.load(path: path).network
        network.embedder.words.materialise()
        XCTAssertNil(network.embedder.words.shared)
        XCTAssertEqual(network.embedder.words.table, dense.network.embedder.words.table)
        // One step of fine-tuning, as from the dense model.
        let model = try TaggerModel.load(path: path)
        let input = model.inputEncoder.encode(TinyTagger.sentences.map(\.words))
        let targets = TinyTagger.sentences.map { $0.tags.map { model.tags.firstIndex(of: $0)! } }
        var random = SeededRandom(seed: 1)
        let a = network.lossAndGradients(input, targets: targets, training: true, random: &random)
        random = SeededRandom(seed: 1)
        let b = dense.network.lossAndGradients(
            input, targets: targets, training: true, random: &random)
        XCTAssertEqual(a.loss, b.loss)
    }

    func testTrainerWritesASharedModelBesideItsTable() throws {
        let tablePath = try writeTable()
        let output = directory + "/trained.model"
        let table = try SharedVectorTable.shared(at: tablePath)
        let outcome = try Trainer(options: Self.options()).with {
            $0.pretrained = table.vectors
            $0.sharedVectors = table
            $0.unknownWordPolicy = .zero
            $0.outputPath = output
        }.trainTagger(
            task: .pos, network: Self.network(), train: TinyTagger.sentences,
            dev: TinyTagger.sentences)
        let file = try ModelFile.read(from: output)
        XCTAssertEqual(file.sharedRows["embedder.words.E"]?.tableName, "test.vectors")
        assertSameOutputs(try TaggerModel.load(path: output), outcome.model)
        // The same run without the table stores the same rows whole.
        let dense = try denseTagger()
        XCTAssertEqual(
            try file.materialised(modelPath: output).serialized(),
            try dense.modelFile().serialized())

        // A table elsewhere is refused before training.
        let elsewhere = NSTemporaryDirectory() + "shared-vectors-elsewhere-\(getpid()).model"
        XCTAssertThrowsError(
            try Trainer(options: Self.options()).with {
                $0.pretrained = table.vectors
                $0.sharedVectors = table
                $0.outputPath = elsewhere
            }.trainTagger(
                task: .pos, network: Self.network(), train: TinyTagger.sentences,
                dev: TinyTagger.sentences)
        ) {
            XCTAssertEqual(
                $0 as? SharedVectorsError,
                .tableNotBesideModel(model: elsewhere, table: table.path))
        }
    }
}

extension Trainer {
    /// The trainer with `change` applied.
    fileprivate func with(_ change: (inout Trainer) -> Void) -> Trainer {
        var copy = self
        change(&copy)
        return copy
    }
}
