import Foundation
import SequenceTagging
import XCTest

/// The bounds that keep the pipeline's memory flat and its batches reproducible.
final class InputBoundsTests: XCTestCase {
    /// A producer that keeps up gives full batches whatever its timing, so the same input
    /// gives the same batches from run to run.
    func testBatchesFillWhenTheProducerKeepsUp() throws {
        var next = 0
        let prefetcher = Prefetcher<Int>(capacity: 64) {
            guard next < 200 else { return nil }
            // Uneven pauses, well below the patience.
            if next % 7 == 0 { usleep(2000) }
            next += 1
            return next
        }
        var sizes: [Int] = []
        var items: [Int] = []
        while true {
            let batch = try prefetcher.nextBatch(maximum: 32, patience: 0.5)
            if batch.isEmpty { break }
            sizes.append(batch.count)
            items += batch
        }
        XCTAssertEqual(items, Array(1...200))
        XCTAssertEqual(sizes, [32, 32, 32, 32, 32, 32, 8])
    }

    /// Once the input has ended, what is left is shared out in shrinking batches (a part
    /// of what waits, never fewer than the smallest share), in order and without loss; a
    /// batch taken before the end is a full one.
    func testTheLastItemsAreSharedOutInShrinkingBatches() throws {
        var next = 0
        let prefetcher = Prefetcher<Int>(capacity: 1000) {
            guard next < 100 else { return nil }
            next += 1
            return next
        }
        var sizes: [Int] = []
        var items: [Int] = []
        while true {
            // A batch larger than the input and a long patience: the first call returns
            // once the producer has finished, with a share of all that waits.
            guard
                let batch = try prefetcher.nextBatch(
                    maximum: 1000, patience: 5, sharedBy: 4, smallestShare: 8, unless: { false })
            else { return XCTFail("interrupted without a reason") }
            if batch.isEmpty { break }
            sizes.append(batch.count)
            items += batch
        }
        XCTAssertEqual(items, Array(1...100))
        XCTAssertEqual(sizes, [25, 19, 14, 11, 8, 8, 8, 7])

        var k = 0
        let unshared = Prefetcher<Int>(capacity: 1000) {
            guard k < 100 else { return nil }
            k += 1
            return k
        }
        let first = try unshared.nextBatch(maximum: 64, patience: 5, unless: { false })
        XCTAssertEqual(first?.count, 64)
    }

    /// A filling batch is taken as soon as it is full, not at the end of its patience: the
    /// producer wakes the caller when the awaited weight is there (and only then).
    func testAFullBatchIsTakenWithoutWaitingOutItsPatience() throws {
        var k = 0
        let prefetcher = Prefetcher<Int>(capacity: 1000) {
            guard k < 40 else { return nil }
            usleep(2000)
            k += 1
            return k
        }
        let start = Date()
        let first = try prefetcher.nextBatch(maximum: 10, patience: 60)
        let second = try XCTUnwrap(
            prefetcher.nextBatch(maximum: 10, patience: 60, unless: { false }))
        XCTAssertEqual(first, Array(1...10))
        XCTAssertEqual(second, Array(11...20))
        // 20 items of 2 ms; a missed wake-up would wait out the 60 s.
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    /// A heavy item never waits for a lighter batch to fill, and weights bound the batch.
    func testWeightsBoundTheBatches() throws {
        let weights = [1, 1, 10, 1, 1, 1]
        var k = 0
        let prefetcher = Prefetcher<Int>(capacity: 8, weight: { $0 }) {
            guard k < weights.count else { return nil }
            defer { k += 1 }
            return weights[k]
        }
        var batches: [[Int]] = []
        while true {
            let batch = try prefetcher.nextBatch(maximum: 4, patience: 0.5)
            if batch.isEmpty { break }
            batches.append(batch)
        }
        XCTAssertEqual(batches, [[1, 1], [10], [1, 1, 1]])
    }

    /// A slow producer still sees each item after at most the patience.
    func testASlowProducerIsNotHeldBack() throws {
        let gate = DispatchSemaphore(value: 0)
        var k = 0
        let prefetcher = Prefetcher<Int>(capacity: 64) {
            k += 1
            if k == 2 { gate.wait() }
            return k <= 2 ? k : nil
        }
        let start = Date()
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0.05), [1])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        gate.signal()
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0.05), [2])
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0.05), [])
    }

    /// Waiting for a batch gives up once the caller's condition holds (a batch it runs is
    /// done), before the first item and while a batch fills; the items stay for later.
    func testWaitingForABatchCanBeInterrupted() throws {
        let gate = DispatchSemaphore(value: 0)
        var k = 0
        let prefetcher = Prefetcher<Int>(capacity: 64) {
            k += 1
            if k == 2 { gate.wait() }
            return k <= 3 ? k : nil
        }
        /// Set from another thread.
        final class Flag: @unchecked Sendable {
            let lock = NSLock()
            var value = false
        }
        let stop = Flag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            stop.lock.withLock { stop.value = true }
            prefetcher.wake()
        }
        // Item 1 is there; the batch of 32 would fill for 60 s, but the wait is interrupted.
        let start = Date()
        let interrupted = try prefetcher.nextBatch(
            maximum: 32, patience: 60, unless: { stop.lock.withLock { stop.value } })
        XCTAssertNil(interrupted)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0, unless: { false }), [1])
        // Nothing is waiting now (item 2 is held back): interrupted before the first item.
        XCTAssertNil(try prefetcher.nextBatch(maximum: 32, patience: 0, unless: { true }))
        gate.signal()
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0.05), [2, 3])
        XCTAssertEqual(try prefetcher.nextBatch(maximum: 32, patience: 0.05), [])
    }

    /// A line without white space longer than a piece is cut at a character boundary.
    func testALineWithoutWhiteSpaceIsCut() {
        var buffer = ParagraphBuffer()
        let line = String(repeating: "é", count: InputLimits.paragraphBytes)  // two bytes each
        let pieces = buffer.add(line) + [buffer.finish()].compactMap { $0 }
        XCTAssertEqual(pieces.count, 2)
        XCTAssertTrue(pieces.allSatisfy { $0.utf8.count <= InputLimits.paragraphBytes })
        XCTAssertEqual(pieces.joined(), line)
        // With white space, the cut is after the last space within the limit.
        var spaced = ParagraphBuffer()
        let words = String(repeating: "word ", count: InputLimits.paragraphBytes / 5 + 10)
        let cut = spaced.add(words)
        XCTAssertEqual(cut.count, 1)
        XCTAssertTrue(cut[0].hasSuffix(" "))
    }

    /// Running text of more tokens than the splitter takes at once is split in slices, and
    /// every token still belongs to exactly one sentence.
    func testLongRunningTextIsSegmentedInSlices() throws {
        let count = InputLimits.tokensPerSegmentation + 5000
        let text = String(repeating: "a/", count: count / 2)
        let reader = DocumentReader(
            lines: LineReader(string: text), format: .text, layout: .runningText,
            segmenter: SentenceSplitter(lexicon: Tokenizer.english.lexicon))
        var tokens = 0
        var covered = 0
        while let input = try reader.next() {
            tokens += input.document.tokens.count
            var previous = 0
            for sentence in input.document.sentences {
                XCTAssertEqual(sentence.lowerBound, previous)
                previous = sentence.upperBound
                covered += sentence.count
            }
            XCTAssertEqual(previous, input.document.tokens.count)
        }
        XCTAssertEqual(covered, tokens)
        XCTAssertGreaterThan(tokens, InputLimits.tokensPerSegmentation)
    }

    func testATokenSentenceOfTooManyBytesIsAnError() {
        let big = String(repeating: "x", count: InputLimits.tokenSentenceBytes / 2 + 1)
        let reader = DocumentReader(
            lines: LineReader(string: big + "\n" + big + "\n"), format: .tokens)
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual((error as? TooManyTokens)?.line, 2)
            XCTAssertTrue(error.localizedDescription.contains("MiB in one sentence"))
        }
    }
}
