import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A persistent second thread for running two pieces of work at once.
///
/// `DispatchQueue.concurrentPerform(iterations: 2)` was measured to run both iterations
/// one after the other on this platform, so the directions of a bidirectional layer use
/// this helper instead: the caller runs one piece while the helper runs the other. The
/// second piece is claimed by whichever thread gets to it first, so when the helper is
/// slow to be scheduled (a busy machine) the caller runs both pieces itself instead of
/// waiting. A piece handed over while the helper is still busy with an earlier one (the
/// other half of a training batch, say) waits in a slot of one: the helper takes it as soon
/// as it is free, unless the caller, done with its own piece, has claimed it first. So a
/// caller whose work outlasts the helper's still gets help with its remaining pieces. When
/// the slot is taken, or on the helper's own thread, both pieces run on the caller. A
/// thread that runs out of work looks for more for `spinNanoseconds` before it sleeps: the
/// helper for the next piece, a caller for the end of the piece it handed over.
final class HelperThread: @unchecked Sendable {
    static let shared = HelperThread()

    /// One handed-over piece of work; `claim()` decides who runs it.
    final class Job: @unchecked Sendable {
        var work: (() -> Void)?
        private var claimed = false
        private var finished = false
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let done = DispatchSemaphore(value: 0)

        init(_ work: @escaping () -> Void) {
            self.work = work
            pthread_mutex_init(lock, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }

        /// True for the first caller only.
        func claim() -> Bool {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            if claimed { return false }
            claimed = true
            return true
        }

        /// Marks the work done and wakes a caller sleeping in `waitUntilFinished`.
        func finish() {
            pthread_mutex_lock(lock)
            finished = true
            pthread_mutex_unlock(lock)
            done.signal()
        }

        /// Returns once `finish()` was called: it looks for `spinNanoseconds` first, then
        /// sleeps (the work handed over is often about to end, and waking a sleeping
        /// thread costs tens of microseconds).
        func waitUntilFinished() {
            let deadline = DispatchTime.now().uptimeNanoseconds + HelperThread.spinNanoseconds
            repeat {
                pthread_mutex_lock(lock)
                let isFinished = finished
                pthread_mutex_unlock(lock)
                if isFinished { return }
                sched_yield()
            } while DispatchTime.now().uptimeNanoseconds < deadline
                || HelperThread.shared.keptAwake
            done.wait()
        }
    }

    /// How long a thread that runs out of work looks for more (the helper) or for the end of
    /// the piece it waits for (a caller) before it sleeps: the pieces of a training step
    /// follow each other by a few microseconds, and a sleeping thread takes tens of
    /// microseconds to wake.
    static let spinNanoseconds: UInt64 = 50_000

    /// The number of `TwoThreads.keepingAwake` calls in progress: while there is one, neither
    /// the helper nor a waiting caller sleeps.
    private let awakeScopes = Atomic<Int>(0)

    /// Whether a `TwoThreads.keepingAwake` call is in progress.
    var keptAwake: Bool { awakeScopes.load(ordering: .relaxed) > 0 }

    /// Runs `body` with the threads looking for work without sleeping.
    func keepingAwake<R>(_ body: () throws -> R) rethrows -> R {
        awakeScopes.add(1, ordering: .relaxed)
        defer { awakeScopes.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// Signalled when a job is posted to an idle helper.
    private let start = DispatchSemaphore(value: 0)
    /// Guards `pending` and `busy`.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The piece waiting for the helper.
    private var pending: Job?
    /// Whether the helper is running a piece (or about to look at `pending`).
    private var busy = false
    /// The helper's thread.
    private var thread = pthread_t()

    private init() {
        pthread_mutex_init(lock, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        let status = pthread_create(
            &created, nil,
            { context in
                let helper = Unmanaged<HelperThread>.fromOpaque(context!).takeUnretainedValue()
                helper.loop()
                return nil
            }, context)
        precondition(status == 0, "pthread_create failed with \(status)")
        thread = created
        pthread_detach(created)
    }

    private func loop() {
        while true {
            start.wait()
            while let current = nextJob() {
                if current.claim() {
                    current.work!()
                    current.work = nil
                    current.finish()
                }
            }
        }
    }

    /// The piece waiting in the slot, looked for during `spinNanoseconds` (the helper stays
    /// `busy`, so a caller posts without waking it); nil, with `busy` cleared, when none
    /// came.
    private func nextJob() -> Job? {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        while true {
            pthread_mutex_lock(lock)
            if let current = pending {
                pending = nil
                pthread_mutex_unlock(lock)
                return current
            }
            if DispatchTime.now().uptimeNanoseconds >= deadline && !keptAwake {
                busy = false
                pthread_mutex_unlock(lock)
                return nil
            }
            pthread_mutex_unlock(lock)
            sched_yield()
        }
    }

    /// Runs `first` on the calling thread and `second` on the helper (or on the caller,
    /// if the helper has not started it by then), returning when both are done.
    func run(_ first: () -> Void, _ second: () -> Void) {
        if pthread_equal(pthread_self(), thread) != 0 {
            first()
            second()
            return
        }
        withoutActuallyEscaping(second) { second in
            let handed = Job(second)
            pthread_mutex_lock(lock)
            guard pending == nil else {
                pthread_mutex_unlock(lock)
                first()
                second()
                return
            }
            pending = handed
            let wake = !busy
            busy = true
            pthread_mutex_unlock(lock)
            if wake { start.signal() }
            first()
            if handed.claim() {
                // The helper has not started it: run it here, and take it out of the slot
                // so that the closure does not outlive this call.
                pthread_mutex_lock(lock)
                if pending === handed { pending = nil }
                pthread_mutex_unlock(lock)
                handed.work = nil
                second()
            } else {
                handed.waitUntilFinished()
            }
        }
    }
}

/// Runs two pieces of work at once, on the calling thread and one persistent helper
/// thread (the one the bidirectional layers use for their two directions).
///
/// If the helper is busy, or slow to start, the caller runs both pieces itself, so
/// nesting is safe: a piece that itself calls `TwoThreads.run` runs its halves serially.
public enum TwoThreads {
    /// Runs `first` and `second`, concurrently when the helper is free, returning when
    /// both are done.
    public static func run(_ first: () -> Void, _ second: () -> Void) {
        HelperThread.shared.run(first, second)
    }

    /// Runs `body` with both threads looking for their next piece of work, or for the end of
    /// the piece they wait for, without going to sleep: for a run of many pieces separated by
    /// serial work of more than the usual look-ahead (a training loop's steps, with the
    /// optimizer's update between them), where waking a sleeping thread, tens of microseconds
    /// each time, would cost more than the core kept busy. Calls may nest.
    public static func keepingAwake<R>(_ body: () throws -> R) rethrows -> R {
        try HelperThread.shared.keepingAwake(body)
    }

    /// The element at which `forEachElement` splits segments of these lengths and costs per
    /// element between the two threads: the first at which the elements before it cost at
    /// least half of all (half of the elements without `costs`).
    public static func splitPoint(ofSegments lengths: [Int], costs: [Int]? = nil) -> Int {
        guard let costs else { return lengths.reduce(0, +) / 2 }
        let whole = zip(lengths, costs).reduce(0) { $0 + $1.0 * $1.1 }
        var (start, before) = (0, 0)
        for (length, cost) in zip(lengths, costs) {
            if 2 * (before + length * cost) >= whole {
                return start + Swift.min(length, (whole / 2 - before + cost - 1) / cost)
            }
            (start, before) = (start + length, before + length * cost)
        }
        return start
    }

    /// Runs `body(segment, range)` over every element of consecutive segments of the given
    /// lengths, the elements split into two parts of equal cost, one for each thread (a
    /// segment on the boundary is split in two ranges); on the calling thread alone when there
    /// are fewer than `minimumElements`. An element of segment `s` costs `costs[s]` (1 for
    /// every element without `costs`: two halves of equal size). For element-wise work over
    /// many matrices, such as an optimizer step, with one hand-over instead of one per
    /// matrix: the result is the same either way.
    public static func forEachElement(
        ofSegments lengths: [Int], costs: [Int]? = nil, minimumElements: Int = 1 << 14,
        _ body: (_ segment: Int, _ range: Range<Int>) -> Void
    ) {
        precondition(lengths.allSatisfy { $0 >= 0 }, "negative segment length")
        precondition(
            costs.map { $0.count == lengths.count && $0.allSatisfy { $0 >= 1 } } ?? true,
            "one cost of at least 1 per segment")
        let total = lengths.reduce(0, +)
        /// The elements `range` of the concatenated segments, segment by segment.
        func visit(_ range: Range<Int>) {
            var start = 0
            for (segment, length) in lengths.enumerated() {
                let end = start + length
                let lower = Swift.max(start, range.lowerBound)
                let upper = Swift.min(end, range.upperBound)
                if lower < upper { body(segment, (lower - start)..<(upper - start)) }
                if end >= range.upperBound { break }
                start = end
            }
        }
        guard total >= minimumElements else {
            visit(0..<total)
            return
        }
        let half = splitPoint(ofSegments: lengths, costs: costs)
        run({ visit(0..<half) }, { visit(half..<total) })
    }
}
