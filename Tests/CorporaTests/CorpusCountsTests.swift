import Corpora
import Foundation
import XCTest

/// Reads all three corpora and checks exactly the counts in
/// `corpora/README.md`; also reports how long reading took.
final class CorpusCountsTests: XCTestCase {
    private let splits = ["train", "dev", "test"]

    private func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        let result = try body()
        print(String(format: "%@: %.3f s", label, Date().timeIntervalSince(start)))
        return result
    }

    func testUDEnglishEWTCounts() throws {
        let directory = try corporaDirectory()
        let expected = [
            "train": (12_544, 204_577), "dev": (2_001, 25_147), "test": (2_077, 25_094),
        ]
        for split in splits {
            let (sentences, words) = try timed("ud-english-ewt/\(split).conllu") {
                () throws -> (Int, Int) in
                let reader = try CoNLLUReader(path: "\(directory)/ud-english-ewt/\(split).conllu")
                var sentences = 0
                var words = 0
                while let sentence = try reader.next() {
                    sentences += 1
                    words += sentence.words.count
                }
                return (sentences, words)
            }
            XCTAssertEqual(sentences, expected[split]!.0, "\(split) sentences")
            XCTAssertEqual(words, expected[split]!.1, "\(split) words")
        }
    }

    func testUniversalNERCounts() throws {
        let directory = try corporaDirectory()
        let expected = [
            "train": (12_543, 204_579), "dev": (2_001, 25_149), "test": (2_077, 25_097),
        ]
        for split in splits {
            let (sentences, tokens) = try timed("uner-english-ewt/\(split).iob2") {
                () throws -> (Int, Int) in
                let reader = try ColumnReader(
                    path: "\(directory)/uner-english-ewt/\(split).iob2", format: .indexTokenTag)
                var sentences = 0
                var tokens = 0
                while let sentence = try reader.nextSentence() {
                    sentences += 1
                    tokens += sentence.rows.count
                }
                return (sentences, tokens)
            }
            XCTAssertEqual(sentences, expected[split]!.0, "\(split) sentences")
            XCTAssertEqual(tokens, expected[split]!.1, "\(split) tokens")
        }
    }

    func testSST2Counts() throws {
        let directory = try corporaDirectory()
        let expected = ["train": 6_920, "dev": 872, "test": 1_821]
        for split in splits {
            let examples = try timed("sst2/\(split).txt") {
                try SentimentReader.read(path: "\(directory)/sst2/\(split).txt")
            }
            XCTAssertEqual(examples.count, expected[split]!, split)
        }
    }
}
