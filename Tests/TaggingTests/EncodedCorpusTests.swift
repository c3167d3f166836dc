import Tagging
import Text
import XCTest

/// Batches encoded from a corpus whose word types were encoded once are the batches that
/// encoding their strings gives: the same ids, shapes, characters and slots, in any order
/// and with repeated, cased, long, unknown and non-ASCII words.
final class EncodedCorpusTests: XCTestCase {
    static let sentences: [[String]] = [
        ["The", "cat", "sat", "on", "the", "mat", "."],
        ["Zürich", "is", "in", "Switzerland", "."],
        ["THE", "CAT", "!"],
        ["a"],
        ["supercalifragilisticexpialidocious-and-then-some-more-characters", "word", "the"],
        ["Cat", "cat", "CAT", "cAt", "42", "3.14", "—", "日本"],
        ["unseen", "words", "here", "the"],
    ]

    func assertSame(_ a: EmbedderInput, _ b: EmbedderInput, _ message: String) {
        XCTAssertEqual(a.lengths, b.lengths, message)
        XCTAssertEqual(a.wordIDs, b.wordIDs, message)
        XCTAssertEqual(a.shapeIDs, b.shapeIDs, message)
        XCTAssertEqual(a.characterIDs, b.characterIDs, message)
        XCTAssertEqual(a.characterSlot, b.characterSlot, message)
    }

    func testBatchesOfTheEncodedCorpusAreTheBatchesOfItsStrings() {
        for (lowercase, shapes) in [(false, 0), (true, 8)] {
            var configuration = EmbedderConfiguration()
            configuration.lowercase = lowercase
            configuration.shapeDimension = shapes
            configuration.maximumWordLength = 20
            // Vocabularies from part of the sentences, so some words are unknown.
            let encoder = InputEncoder(
                training: Array(Self.sentences.prefix(4)), configuration: configuration)
            let corpus = encoder.encodedCorpus(Self.sentences)
            XCTAssertEqual(corpus.types.map(\.count), Self.sentences.map(\.count))
            XCTAssertEqual(Set(corpus.types.joined()).count, corpus.wordIDs.count)
            var state: UInt64 = 3
            for size in [1, 2, 3, 7, 12] {
                let indices = (0..<size).map { _ in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return Int(state >> 33) % Self.sentences.count
                }
                assertSame(
                    encoder.encode(indices, of: corpus),
                    encoder.encode(indices.map { Self.sentences[$0] }),
                    "lowercase \(lowercase), shapes \(shapes), sentences \(indices)")
            }
        }
    }
}
