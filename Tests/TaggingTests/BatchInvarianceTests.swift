import Foundation
import LinearAlgebra
import Tagging
import Text
import Tokenization
import XCTest

/// A sentence's tags and probabilities are the same, to the bit, whatever batch it is read
/// in: alone or among others, at any batch size and position, padded by longer sentences or
/// not, with its two directions on one thread or two, and through `tag` on one thread or
/// two. The shipped models: POS (softmax), NER (CRF), sentiment and the sentence splitter.
final class BatchInvarianceTests: XCTestCase {
    static let batchSizes = [2, 5, 31, 32, 33, 64]

    /// Sentences to look at: one word, one character, and longer ones.
    static let targets: [[String]] =
        [["."], ["Hello"], ["Alice", "moved", "to", "Paris", "in", "2019", "."]]
        + Array(ConcurrentTaggingTests.sentences.prefix(3))

    /// A fixed sequence of pseudo-random numbers.
    struct Draws {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
    }

    /// Batches of each size in `batchSizes` holding `target` at a drawn position among
    /// drawn sentences of 1 to 60 words: `(batch, position)`.
    static func batches(around target: [String], draws: inout Draws) -> [([[String]], Int)] {
        let others = ConcurrentTaggingTests.sentences
        return batchSizes.map { size in
            var batch = (0..<size).map { _ in others[draws.next(others.count)] }
            let position = draws.next(size)
            batch[position] = target
            return (batch, position)
        }
    }

    static func model(_ name: String) throws -> String {
        guard let path = ConcurrentTaggingTests.shippedModel(name) else {
            throw XCTSkip("models/\(name) is not present")
        }
        return path
    }

    func assertSame(
        _ a: [TokenPrediction], _ b: [TokenPrediction], _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.map(\.tag), b.map(\.tag), message, file: file, line: line)
        XCTAssertEqual(
            a.map(\.probability.bitPattern), b.map(\.probability.bitPattern),
            "\(message): \(a.map(\.probability)) vs \(b.map(\.probability))", file: file,
            line: line)
    }

    func checkTagger(_ model: TaggerModel) {
        var draws = Draws(state: 7)
        for target in Self.targets {
            let alone = model.network.predict(model.inputEncoder.encode([target]))[0]
            for (batch, position) in Self.batches(around: target, draws: &draws) {
                let input = model.inputEncoder.encode(batch)
                for concurrent in [false, true] {
                    var network = model.network
                    network.setConcurrentDirections(concurrent)
                    let together = network.predict(input)[position]
                    let message =
                        "\(target) at \(position) of \(batch.count), concurrent \(concurrent)"
                    XCTAssertEqual(together.tags, alone.tags, message)
                    XCTAssertEqual(
                        together.probabilities.map(\.bitPattern),
                        alone.probabilities.map(\.bitPattern),
                        "\(message): \(together.probabilities) vs \(alone.probabilities)")
                }
            }
        }
        // `tag` sorts by length and cuts batches; with two threads it shares them out.
        let sentences = Self.targets + ConcurrentTaggingTests.sentences
        let alone = sentences.map { model.tag([$0])[0] }
        for batchSize in [1, 7, 32, 256] {
            for threads in [1, 2] {
                let tagged = model.tag(sentences, batchSize: batchSize, threads: threads)
                for (k, predictions) in tagged.enumerated() {
                    assertSame(
                        predictions, alone[k],
                        "sentence \(k), batch size \(batchSize), \(threads) threads")
                }
            }
        }
    }

    func testPOSTagsAreBatchInvariant() throws {
        checkTagger(try TaggerModel.load(path: Self.model("pos-en.model")))
    }

    func testNERTagsAndMarginalsAreBatchInvariant() throws {
        let model = try TaggerModel.load(path: Self.model("ner-en.model"))
        XCTAssertNotNil(model.network.crf)
        checkTagger(model)
    }

    /// A joint POS+NER model of the shipped models' size (seeded, untrained: invariance is a
    /// property of the computation): both heads from one encoder pass, bit for bit.
    func testJointPOSAndNERAreBatchInvariant() throws {
        var configuration = NetworkConfiguration()
        configuration.embedder.wordDimension = 50
        configuration.embedder.lowercase = true
        let sentences = Self.targets + ConcurrentTaggingTests.sentences
        let encoder = InputEncoder(training: sentences, configuration: configuration.embedder)
        var random = SeededRandom(seed: 3)
        let network = JointTaggerNetwork<Float>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count, posTagCount: 17, nerTagCount: 13,
            random: &random)
        let model = JointTaggerModel(
            configuration: JointModelConfiguration(
                network: configuration, internalScheme: .bioes, outputScheme: .iob2),
            inputEncoder: encoder, posTags: (0..<17).map { "P\($0)" },
            nerTags: ["O"]
                + ["B", "I", "E", "S"].flatMap { p in
                    ["PER", "LOC", "ORG"].map { "\(p)-\($0)" }
                },
            network: network)
        var draws = Draws(state: 13)
        for target in Self.targets {
            let alone = model.network.predict(encoder.encode([target]))[0]
            for (batch, position) in Self.batches(around: target, draws: &draws) {
                let input = encoder.encode(batch)
                for concurrent in [false, true] {
                    var network = model.network
                    network.setConcurrentDirections(concurrent)
                    let together = network.predict(input)[position]
                    let message =
                        "\(target) at \(position) of \(batch.count), concurrent \(concurrent)"
                    XCTAssertEqual(together.pos.tags, alone.pos.tags, message)
                    XCTAssertEqual(together.ner.tags, alone.ner.tags, message)
                    XCTAssertEqual(
                        together.pos.probabilities.map(\.bitPattern),
                        alone.pos.probabilities.map(\.bitPattern), message)
                    XCTAssertEqual(
                        together.ner.probabilities.map(\.bitPattern),
                        alone.ner.probabilities.map(\.bitPattern), message)
                }
            }
        }
        let alone = sentences.map { model.tag([$0])[0] }
        for batchSize in [1, 7, 32, 256] {
            for threads in [1, 2] {
                let tagged = model.tag(sentences, batchSize: batchSize, threads: threads)
                for (k, prediction) in tagged.enumerated() {
                    let message = "sentence \(k), batch size \(batchSize), \(threads) threads"
                    assertSame(prediction.pos, alone[k].pos, message)
                    assertSame(prediction.ner, alone[k].ner, message)
                }
            }
        }
    }

    func testSentimentIsBatchInvariant() throws {
        let model = try SentimentModel.load(path: Self.model("sentiment-en.model"))
        var draws = Draws(state: 11)
        for target in Self.targets {
            let alone = model.probabilities([target])[0]
            for (batch, position) in Self.batches(around: target, draws: &draws) {
                let p = model.network.predict(model.inputEncoder.encode(batch))
                let row = Array(p.scalars[(position * p.columns)..<((position + 1) * p.columns)])
                XCTAssertEqual(
                    row.map(\.bitPattern), alone.map(\.bitPattern),
                    "\(target) at \(position) of \(batch.count): \(row) vs \(alone)")
            }
        }
        let sentences = Self.targets + ConcurrentTaggingTests.sentences
        let alone = sentences.map { model.probabilities([$0])[0] }
        for batchSize in [1, 7, 32, 256] {
            let together = model.probabilities(sentences, batchSize: batchSize)
            XCTAssertEqual(
                together.map { $0.map(\.bitPattern) }, alone.map { $0.map(\.bitPattern) },
                "batch size \(batchSize)")
        }
    }

    func testSentenceBoundariesAreBatchInvariant() throws {
        let splitter = try NeuralSentenceSplitter(contentsOf: Self.model("sentence-en.model"))
        let texts =
            ConcurrentTaggingTests.sentences.prefix(40).map { $0.joined(separator: " ") }
            + ["Hi.", "Alice moved to Paris. She likes it there! Does she?"]
        let items = texts.map { (tokens: Tokenizer.english.tokenize($0), text: $0) }
        let together = splitter.boundaryProbabilities(ofTexts: items)
        let reversed = splitter.boundaryProbabilities(ofTexts: items.reversed())
        for (k, item) in items.enumerated() {
            let alone = splitter.boundaryProbabilities(item.tokens, in: item.text)
            XCTAssertEqual(together[k].map(\.bitPattern), alone.map(\.bitPattern), "text \(k)")
            XCTAssertEqual(
                reversed[items.count - 1 - k].map(\.bitPattern), alone.map(\.bitPattern),
                "text \(k), reversed")
        }
    }
}
