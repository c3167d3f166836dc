import Tagging
import Text
import XCTest

/// Batches encoded from a corpus whose word types were encoded once hold each word's id,
/// shape and characters (worked out here from the vocabularies), distinct words longest
/// first, zeros on padding, and are the batches that encoding their strings gives, in any
/// order and with repeated, cased, long, unknown and non-ASCII words.
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

    /// What a batch of `sentences` must hold, worked out from the vocabularies directly.
    func assertEncodes(
        _ input: EmbedderInput, _ sentences: [[String]], _ encoder: InputEncoder,
        _ message: String
    ) {
        let batch = sentences.count
        let time = sentences.map(\.count).max() ?? 0
        XCTAssertEqual(input.lengths, sentences.map(\.count), message)
        XCTAssertEqual(input.wordIDs.count, time * batch, message)
        var previousLength = Int.max
        for characters in input.characterIDs {
            XCTAssertLessThanOrEqual(characters.count, previousLength, "longest first, \(message)")
            previousLength = characters.count
        }
        for t in 0..<time {
            for s in 0..<batch {
                let r = t * batch + s
                guard t < sentences[s].count else {
                    XCTAssertEqual(
                        [input.wordIDs[r], input.shapeIDs[r], input.characterSlot[r]], [0, 0, -1],
                        "padding, \(message)")
                    continue
                }
                let word = sentences[s][t]
                XCTAssertEqual(input.wordIDs[r], encoder.wordID(word), message)
                XCTAssertEqual(
                    input.shapeIDs[r],
                    encoder.configuration.shapeDimension > 0 ? InputEncoder.shape(of: word) : 0,
                    message)
                var characters = word.unicodeScalars.map {
                    encoder.characters.id(of: String($0)) ?? 1
                }
                let limit = encoder.configuration.maximumWordLength
                if characters.count > limit {
                    characters = Array(characters.prefix(limit / 2) + characters.suffix(limit - limit / 2))
                }
                XCTAssertEqual(input.characterIDs[input.characterSlot[r]], characters, "\(word), \(message)")
            }
        }
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
                let label = "lowercase \(lowercase), shapes \(shapes), sentences \(indices)"
                let batch = encoder.encode(indices, of: corpus)
                assertEncodes(batch, indices.map { Self.sentences[$0] }, encoder, label)
                assertSame(batch, encoder.encode(indices.map { Self.sentences[$0] }), label)
            }
        }
    }
}
