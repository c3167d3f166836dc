import Foundation
import LinearAlgebra
import Tagging
import Text
import XCTest

/// Uncased pretrained vectors (GloVe 6B) with an embedder that looks words up lowercased:
/// every casing of a word, seen in training or only in the vectors file, reaches the
/// pretrained row, and the setting survives a save and load. Also checks that the shipped
/// POS, NER and sentiment models are the ones `make models` documents (50-d lowercased
/// GloVe lookups, files under 20 MiB), when they are present.
final class UncasedVectorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "uncased-vectors-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Lowercase words only, as in GloVe 6B; "zurich" and "berlin" never occur in training.
    private let vectorsText = """
        the 0.25 -0.5 1 0.125
        cat 1 1 -1 0.5
        zurich 0.75 0 -0.25 2
        berlin -1 0.5 0.5 -2
        sat 0 0.5 0.5 0

        """

    private func trainedTagger(lowercase: Bool) throws -> TaggerModel {
        let path = directory.appendingPathComponent("vectors.txt").path
        try Data(vectorsText.utf8).write(to: URL(fileURLWithPath: path))
        var options = TrainingOptions()
        options.epochs = 2
        options.threads = 1
        var network = NetworkConfiguration()
        network.hidden = 8
        network.embedder.characterDimension = 4
        network.embedder.characterHidden = 4
        network.embedder.lowercase = lowercase
        var trainer = Trainer(options: options)
        trainer.pretrained = try PretrainedVectors.load(path: path)
        trainer.unknownWordPolicy = .zero
        return try trainer.trainTagger(
            task: .pos, network: network, train: TinyTagger.sentences, dev: TinyTagger.sentences
        ).model
    }

    func testLowercaseLookupReachesPretrainedRowsForEveryCasing() throws {
        let model = try trainedTagger(lowercase: true)
        XCTAssertEqual(model.configuration.network.embedder.wordDimension, 4)
        XCTAssertTrue(model.inputEncoder.configuration.lowercase)
        let encoder = model.inputEncoder
        let table = model.network.embedder.words.table
        for word in ["zurich", "Zurich", "ZURICH"] {
            let id = encoder.wordID(word)
            XCTAssertNotEqual(id, 1, "\(word) maps to the unknown word")
            // Never seen in training: its row is still the pretrained vector.
            XCTAssertEqual(table.row(id), [0.75, 0, -0.25, 2], word)
        }
        XCTAssertEqual(encoder.wordID("The"), encoder.wordID("the"))
        XCTAssertEqual(encoder.wordID("BERLIN"), encoder.wordID("berlin"))
        XCTAssertEqual(encoder.wordID("Utrecht"), 1, "a word in neither list is unknown")

        let path = directory.appendingPathComponent("tagger.model").path
        try model.save(to: path)
        let loaded = try TaggerModel.load(path: path)
        XCTAssertTrue(loaded.inputEncoder.configuration.lowercase)
        XCTAssertEqual(loaded.inputEncoder.wordID("Zurich"), encoder.wordID("zurich"))
        XCTAssertEqual(
            loaded.tag([["The", "Zurich", "cat"]]), model.tag([["The", "Zurich", "cat"]]))
    }

    func testCasedLookupKeepsCapitalisedPretrainedOnlyWordsUnknown() throws {
        let model = try trainedTagger(lowercase: false)
        let encoder = model.inputEncoder
        XCTAssertFalse(encoder.configuration.lowercase)
        XCTAssertNotEqual(encoder.wordID("zurich"), 1)
        XCTAssertEqual(encoder.wordID("Zurich"), 1)
        // A capitalised training word still starts from its lowercase pretrained vector
        // (the lowercase fallback of `PretrainedVectors.row(of:)`), then is fine-tuned.
        XCTAssertNotEqual(encoder.wordID("The"), encoder.wordID("the"))
    }

    /// The shipped model named `name`, or `nil` when it is absent.
    private static func shippedModel(_ name: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("models/" + name).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    func testShippedModelsUseLowercasedFiftyDimensionalVectorsAndStaySmall() throws {
        var checked = 0
        for name in ["pos-en.model", "ner-en.model", "sentiment-en.model"] {
            guard let path = Self.shippedModel(name) else { continue }
            let size = try XCTUnwrap(
                FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            XCTAssertLessThan(size, 20 << 20, "\(name) is \(size) bytes")
            let embedder: EmbedderConfiguration
            let encoder: InputEncoder
            if name.hasPrefix("sentiment") {
                let model = try SentimentModel.load(path: path)
                (embedder, encoder) = (model.configuration.network.embedder, model.inputEncoder)
            } else {
                let model = try TaggerModel.load(path: path)
                (embedder, encoder) = (model.configuration.network.embedder, model.inputEncoder)
            }
            XCTAssertEqual(embedder.wordDimension, 50, name)
            XCTAssertTrue(embedder.lowercase, name)
            // Words kept from the vectors file beyond the training vocabulary.
            XCTAssertGreaterThan(encoder.words.count, 50_000, name)
            XCTAssertEqual(encoder.wordID("Zurich"), encoder.wordID("zurich"), name)
            XCTAssertNotEqual(encoder.wordID("Zurich"), 1, name)
            checked += 1
        }
        if checked == 0 { throw XCTSkip("no shipped models in models/") }
    }
}
