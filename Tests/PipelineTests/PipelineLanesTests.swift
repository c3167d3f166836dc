import Foundation
import SequenceTagging
import XCTest

/// A pipeline of two threads annotates whole batches on two lanes while the calling
/// thread writes: the same documents in the same order as on one thread, and a read error
/// only after every document before it.
final class PipelineLanesTests: XCTestCase {
    static let twoThreads: Pipeline? = try? Pipeline(threads: 2)

    static let sentences = [
        "Alice Smith moved to Paris in 2019.", "The film was a delight from start to finish.",
        "I don't think the service was any good.", "Barack Obama met Angela Merkel in Berlin.",
        "Prices rose 3 % in May , the bureau said .", "Thanks!",
    ]

    /// Lines of varied length, each with its number, so that order mistakes show.
    static let lines = (0..<700).map { k in
        (0...(k % 4)).map { sentences[(k + $0) % sentences.count] }.joined(separator: " ")
            + " (\(k))"
    }

    /// What a test compares: each document's words with their tags and probabilities.
    func summary(_ document: AnnotatedDocument) -> [String] {
        document.words.map { word in
            [
                word.text, word.pos?.tag ?? "-", word.ner?.tag ?? "-",
                String(word.pos?.probability.bitPattern ?? 0),
                String(word.ner?.probability.bitPattern ?? 0),
            ].joined(separator: " ")
        } + [document.sentiment.map { $0.probabilities.map(\.bitPattern).description } ?? "-"]
    }

    func annotate(_ pipeline: Pipeline, _ bytes: [UInt8], batchSize: Int) -> (
        documents: [[String]], lines: [Int], error: Error?
    ) {
        let reader = DocumentReader(
            lines: LineReader(bytes: bytes), format: .text, layout: .sentencePerLine,
            pipeline: pipeline)
        var documents: [[String]] = []
        var lines: [Int] = []
        do {
            try pipeline.annotate(reader, batchSize: batchSize) { input, document in
                documents.append(summary(document))
                lines.append(input.line)
            }
        } catch {
            return (documents, lines, error)
        }
        return (documents, lines, nil)
    }

    func testTwoLanesGiveTheDocumentsOfOneThreadInOrder() throws {
        let two = try XCTUnwrap(Self.twoThreads, "the shipped models could not be loaded")
        let one = try XCTUnwrap(Shipped.pipeline)
        XCTAssertEqual(two.threads, 2)
        let bytes = Array(Self.lines.joined(separator: "\n").utf8)
        let expected = annotate(one, bytes, batchSize: 256)
        XCTAssertNil(expected.error)
        XCTAssertEqual(expected.lines, Array(1...Self.lines.count))
        for batchSize in [1, 7, 256] {
            let found = annotate(two, bytes, batchSize: batchSize)
            XCTAssertNil(found.error)
            XCTAssertEqual(found.lines, expected.lines, "batch size \(batchSize)")
            XCTAssertEqual(found.documents, expected.documents, "batch size \(batchSize)")
        }
    }

    /// A long batch followed by short ones: the short ones end first (a lane takes the next
    /// batch as soon as its own ends), and the documents still come out in input order.
    func testBatchesEndingOutOfOrderAreWrittenInOrder() throws {
        let two = try XCTUnwrap(Self.twoThreads, "the shipped models could not be loaded")
        let one = try XCTUnwrap(Shipped.pipeline)
        let long = (0..<40).map { k in
            Array(repeating: Self.sentences[k % Self.sentences.count], count: 12)
                .joined(separator: " ") + " (\(k))"
        }
        let short = (0..<400).map { "Thanks (\($0))!" }
        let bytes = Array((long + short).joined(separator: "\n").utf8)
        let expected = annotate(one, bytes, batchSize: 40)
        XCTAssertNil(expected.error)
        let found = annotate(two, bytes, batchSize: 40)
        XCTAssertNil(found.error)
        XCTAssertEqual(found.lines, Array(1...(long.count + short.count)))
        XCTAssertEqual(found.documents, expected.documents)
    }

    /// Input that arrives slowly (a pipe fed line by line): each line's document is handed
    /// over before the next line is written, so the lanes never wait for more input while
    /// a result is ready.
    func testASlowProducerSeesEachResultBeforeSendingMore() throws {
        let two = try XCTUnwrap(Self.twoThreads, "the shipped models could not be loaded")
        let pipe = Pipe()
        let reader = DocumentReader(
            lines: LineReader(
                fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "<pipe>"),
            format: .text, pipeline: two)
        let written = DispatchSemaphore(value: 0)
        let input = Array(Self.sentences.prefix(4))
        let writer = Thread {
            for line in input {
                pipe.fileHandleForWriting.write(Data((line + "\n").utf8))
                // The next line only once this one's document has come out (or after 30 s).
                _ = written.wait(timeout: .now() + 30)
            }
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        var seen: [(line: Int, seconds: Double)] = []
        let start = Date()
        try two.annotate(reader, batchSize: 256) { input, _ in
            seen.append((input.line, Date().timeIntervalSince(start)))
            written.signal()
        }
        XCTAssertEqual(seen.map(\.line), [1, 2, 3, 4])
        // Four lines, each answered before the next is sent: well under the 30 s a line
        // would wait for an answer that only came at the end of the input.
        XCTAssertLessThan(seen.last?.seconds ?? 100, 20)
    }

    func testAReadErrorComesAfterEveryDocumentBeforeIt() throws {
        let two = try XCTUnwrap(Self.twoThreads, "the shipped models could not be loaded")
        let good = Self.lines.prefix(300).joined(separator: "\n") + "\n"
        let bytes = Array(good.utf8) + [0x41, 0xFF, 0x0A] + Array("After.\n".utf8)
        for batchSize in [7, 256] {
            let found = annotate(two, bytes, batchSize: batchSize)
            XCTAssertEqual(found.lines, Array(1...300), "batch size \(batchSize)")
            let error = try XCTUnwrap(found.error, "batch size \(batchSize)")
            XCTAssertTrue("\(error)".contains("301"), "\(error)")
        }
    }
}
