import Dispatch
import Foundation
import NeuralNetwork
import XCTest

/// `TwoThreads`: both pieces run, on two threads when the helper is free, and a piece
/// handed over while the helper is busy is still taken by it once it is free.
final class TwoThreadsTests: XCTestCase {
    /// Pieces shorter and longer than the time a waiting thread looks before it sleeps:
    /// each call returns only once both pieces are done, whether the caller found the
    /// helper's piece finished while looking or was woken.
    func testACallReturnsOnlyOnceTheHelpersPieceIsDone() {
        for microseconds in [0, 10, 45, 60, 200, 2_000] {
            for _ in 0..<20 {
                var done = false
                TwoThreads.run(
                    {},
                    {
                        if microseconds > 0 { usleep(UInt32(microseconds)) }
                        done = true
                    })
                XCTAssertTrue(done, "a piece of \(microseconds) µs")
            }
            // Pauses longer than the helper looks for work, so that it sleeps and is woken.
            usleep(200)
        }
    }

    func testBothPiecesRunOnceEach() {
        var first = 0
        var second = 0
        for _ in 0..<200 {
            TwoThreads.run({ first += 1 }, { second += 1 })
        }
        XCTAssertEqual(first, 200)
        XCTAssertEqual(second, 200)
    }

    /// The outer second piece keeps the helper busy while the caller hands over an inner
    /// one; the helper takes the inner one when the outer ends, while the caller is still
    /// in its own inner piece (which waits for that to happen, for at most ten seconds).
    func testAPieceHandedOverWhileTheHelperIsBusyIsTakenWhenItIsFree() {
        let caller = pthread_self()
        let outerStarted = DispatchSemaphore(value: 0)
        let innerStarted = DispatchSemaphore(value: 0)
        var outerThread: pthread_t?
        var innerThread: pthread_t?
        var innerTookOver = false
        TwoThreads.run(
            {
                // Only the helper runs the outer second piece before this one ends.
                outerStarted.wait()
                TwoThreads.run(
                    { innerTookOver = innerStarted.wait(timeout: .now() + 10) == .success },
                    {
                        innerThread = pthread_self()
                        innerStarted.signal()
                    })
            },
            {
                outerThread = pthread_self()
                outerStarted.signal()
                usleep(20_000)
            })
        XCTAssertTrue(innerTookOver)
        XCTAssertEqual(pthread_equal(outerThread!, caller), 0, "the outer piece ran on the caller")
        XCTAssertEqual(pthread_equal(innerThread!, caller), 0, "the inner piece ran on the caller")
        XCTAssertNotEqual(pthread_equal(innerThread!, outerThread!), 0)
    }

    /// A piece that runs on the helper and itself calls `TwoThreads.run` runs both of its
    /// pieces there (the helper cannot hand work to itself).
    func testNestingOnTheHelperRunsSerially() {
        var threads: [pthread_t] = []
        let lock = NSLock()
        let started = DispatchSemaphore(value: 0)
        TwoThreads.run(
            // Only the helper runs the second piece before this one ends.
            { started.wait() },
            {
                started.signal()
                TwoThreads.run(
                    { lock.withLock { threads.append(pthread_self()) } },
                    { lock.withLock { threads.append(pthread_self()) } })
            })
        XCTAssertEqual(threads.count, 2)
        XCTAssertNotEqual(pthread_equal(threads[0], threads[1]), 0)
    }

    /// While the threads are kept awake, pieces separated by serial work longer than the
    /// usual look-ahead still each run once, and every call returns only when both are
    /// done; the scopes nest and give back their body's value.
    func testKeptAwakePiecesRunAndCallsReturnWhenDone() {
        // Two variables, not a tuple: the pieces change them at once, and a change to an
        // element of a tuple is an access to the whole tuple.
        var (firstCount, secondCount) = (0, 0)
        let result = TwoThreads.keepingAwake {
            TwoThreads.keepingAwake {
                for _ in 0..<20 {
                    usleep(300)
                    var done = false
                    TwoThreads.run({ firstCount += 1 }, {
                        usleep(100)
                        secondCount += 1
                        done = true
                    })
                    XCTAssertTrue(done)
                }
            }
            return 7
        }
        XCTAssertEqual(result, 7)
        XCTAssertEqual(firstCount, 20)
        XCTAssertEqual(secondCount, 20)
        // Afterwards the helper sleeps again when idle, and wakes for the next piece.
        usleep(200)
        var after = false
        TwoThreads.run({}, { after = true })
        XCTAssertTrue(after)
    }
}
