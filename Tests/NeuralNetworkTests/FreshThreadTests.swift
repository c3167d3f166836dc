import NeuralNetwork
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

final class FreshThreadTests: XCTestCase {
    struct Failure: Error, Equatable { let code: Int }

    /// The body runs on another thread, its result comes back, and what it changed is seen by
    /// the caller once `run` returns.
    func testRunsOnAnotherThreadAndReturnsItsResult() {
        let caller = pthread_self()
        var changed = [Int]()
        let result = FreshThread.run { () -> Int in
            XCTAssertEqual(pthread_equal(pthread_self(), caller), 0, "ran on the calling thread")
            changed = Array(0..<1000)
            return changed.reduce(0, +)
        }
        XCTAssertEqual(result, 499_500)
        XCTAssertEqual(changed.count, 1000)
    }

    /// An error thrown on the thread is thrown by `run`, with its type.
    func testThrowsWhatTheBodyThrows() {
        do throws(Failure) {
            _ = try FreshThread.run { () throws(Failure) -> Int in throw Failure(code: 7) }
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, Failure(code: 7))
        }
    }

    /// The two threads of `TwoThreads` work from it as from any thread: both pieces run.
    func testTwoThreadsRunFromIt() {
        let (a, b) = FreshThread.run { () -> (Int, Int) in
            var first = 0
            var second = 0
            TwoThreads.run({ first = (0..<100_000).reduce(0, &+) }, { second = 42 })
            return (first, second)
        }
        XCTAssertEqual(a, 4_999_950_000)
        XCTAssertEqual(b, 42)
    }
}
