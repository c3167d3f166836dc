import Foundation
import Tagging
import Text
import XCTest

/// Runs the library example of README.md on a tiny model, so the example keeps compiling
/// and doing what it says.
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

        let text = "The dog ran. A cat sat!"
        var seen: [String] = []
        for sentence in model.tag(text: text) {
            for token in sentence.tokens {
                XCTAssertEqual(String(text[token.range]), token.text)
                XCTAssertTrue(model.tags.contains(token.tag))
                XCTAssertTrue(token.probability > 0 && token.probability <= 1)
                seen.append(token.text)
            }
            XCTAssertEqual(sentence.entities, [], "a POS model finds no entities")
        }
        XCTAssertEqual(seen, ["The", "dog", "ran", ".", "A", "cat", "sat", "!"])
        let tags = model.tag([["The", "cat", "sat", "."]])
        XCTAssertEqual(tags.count, 1)
        XCTAssertEqual(tags[0].count, 4)
    }
}
