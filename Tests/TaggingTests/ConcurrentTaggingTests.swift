import Foundation
import Tagging
import Text
import Tokenization
import XCTest

/// One model value shared by eight threads that tag at the same moment gives, on every
/// thread, exactly what one thread gives: models are immutable and tagging keeps its
/// scratch memory per call.
final class ConcurrentTaggingTests: XCTestCase {
    static let threadCount = 8

    /// The shipped model named `name` (in `models/` at the package root), or `nil`.
    static func shippedModel(_ name: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("models/" + name).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A tagger: the shipped POS model when present, else a tiny one trained here.
    static let tagger: TaggerModel = {
        if let path = shippedModel("pos-en.model"), let model = try? TaggerModel.load(path: path) {
            return model
        }
        return TinyTagger.train(width: 16, epochs: 3)
    }()

    /// Sentences of many lengths (1 to 60 tokens), with unknown words and odd characters.
    static let sentences: [[String]] = {
        let vocabulary = [
            "The", "cat", "sat", "on", "the", "mat", ".", "Alice", "moved", "to", "Paris", "in",
            "2019", ",", "but", "she", "did", "n't", "like", "it", "!", "naïve", "Zürich", "😀",
            "e\u{301}", "qwzxv", "U.S.", "$", "3.14", "—", "well-known", "they", "'re", "?",
        ]
        var state: UInt64 = 12345
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        return (0..<96).map { _ in
            (0..<(1 + next() % 60)).map { _ in vocabulary[next() % vocabulary.count] }
        }
    }()

    /// Runs `body(thread)` on `threadCount` threads released together; returns the results
    /// in thread order.
    static func onThreads<T>(_ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = ThreadResults<T>()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for index in 0..<threadCount {
            done.enter()
            let thread = Thread {
                start.wait()
                let value = body(index)
                results.lock.lock()
                results.values[index] = value
                results.lock.unlock()
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<threadCount { start.signal() }
        done.wait()
        return (0..<threadCount).map { results.values[$0]! }
    }

    func testEightThreadsTagLikeOne() {
        let model = Self.tagger
        let sentences = Self.sentences
        let expected = model.tag(sentences)
        // Each thread tags the whole set, starting at a different sentence and with a
        // different batch size, so that batches differ between threads.
        let results = Self.onThreads { thread -> [[TokenPrediction]] in
            let shift = thread * 11 % sentences.count
            let rotated = Array(sentences[shift...] + sentences[..<shift])
            let tagged = model.tag(rotated, batchSize: 32)
            return Array(
                tagged[(sentences.count - shift)...] + tagged[..<(sentences.count - shift)])
        }
        for (thread, result) in results.enumerated() {
            XCTAssertEqual(
                result.map { $0.map(\.tag) }, expected.map { $0.map(\.tag) }, "thread \(thread)")
            for (s, (a, b)) in zip(result, expected).enumerated() {
                for (x, y) in zip(a, b) where x.probability.bitPattern != y.probability.bitPattern {
                    XCTFail("thread \(thread), sentence \(s): \(x.probability) vs \(y.probability)")
                }
            }
        }
    }

    func testEightThreadsTagTextLikeOne() {
        let model = Self.tagger
        let texts = [
            "I don't think Alice moved to Paris.", "The cat sat on the mat. It was happy!",
            "عربي text with מילים in it", "👩‍👩‍👧 family emoji and e\u{301}\u{302} marks",
        ]
        // Each text tokenized (on every thread) and tagged as one sentence.
        @Sendable func tagged(_ text: String) -> [TokenPrediction] {
            model.tag([Tokenizer.english.tokenize(text).flatMap(\.syntacticWords)])[0]
        }
        let expected = texts.map(tagged)
        let results = Self.onThreads { thread in
            (0..<5).flatMap { _ in texts.map(tagged) }
        }
        for (thread, result) in results.enumerated() {
            for (k, predictions) in result.enumerated() {
                let want = expected[k % texts.count]
                XCTAssertEqual(predictions.map(\.tag), want.map(\.tag), "thread \(thread)")
            }
        }
    }

    func testEightThreadsClassifyLikeOne() throws {
        guard let path = Self.shippedModel("sentiment-en.model") else {
            throw XCTSkip("models/sentiment-en.model is not present")
        }
        let model = try SentimentModel.load(path: path)
        let expected = model.classify(tokens: Self.sentences)
        let results = Self.onThreads { _ in model.classify(tokens: Self.sentences) }
        for (thread, result) in results.enumerated() {
            XCTAssertEqual(result.map(\.label), expected.map(\.label), "thread \(thread)")
            XCTAssertEqual(
                result.map(\.probability.bitPattern), expected.map(\.probability.bitPattern),
                "thread \(thread)")
        }
    }
}

/// Values collected from several threads under a lock.
final class ThreadResults<T>: @unchecked Sendable {
    /// Guards `values`.
    let lock = NSLock()
    /// The value of each thread, by index.
    var values: [Int: T] = [:]
}
