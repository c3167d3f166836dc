import Foundation
import Tagging
import Text
import XCTest

/// Runs the README's example of the models underneath the pipeline (training in memory,
/// saving, loading, tagging pre-tokenized sentences) on a tiny model.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeLibraryExample() throws {
        var options = TrainingOptions()
        options.epochs = 5
        options.seed = 3
        let trainer = Trainer(options: options)
        let sentences = [
            TrainingSentence(words: ["The", "cat", "sat"], tags: ["DET", "NOUN", "VERB"]),
            TrainingSentence(words: ["A", "dog", "ran"], tags: ["DET", "NOUN", "VERB"]),
        ]
        let outcome = try trainer.trainTagger(
            task: .pos, network: NetworkConfiguration(), train: sentences, dev: sentences)
        let trained: TaggerModel = outcome.model

        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("readme-\(getpid()).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trained.save(to: path)
        let model = try TaggerModel.load(path: path)

        let tags = model.tag([["The", "cat", "sat", "."]])
        XCTAssertEqual(tags.count, 1)
        XCTAssertEqual(tags[0].count, 4)
        XCTAssertTrue(tags[0].allSatisfy { model.tags.contains($0.tag) })
        XCTAssertTrue(tags[0].allSatisfy { $0.probability > 0 && $0.probability <= 1 })
        XCTAssertEqual(model.entities(in: tags[0].map(\.tag)), [], "a POS model finds no entities")
    }
}
