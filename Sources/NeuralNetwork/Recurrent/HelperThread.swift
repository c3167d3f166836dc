import Dispatch

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
/// waiting. If the helper is still busy from an earlier call (or used by another thread),
/// both pieces run on the caller.
final class HelperThread: @unchecked Sendable {
    static let shared = HelperThread()

    /// One handed-over piece of work; `claim()` decides who runs it.
    final class Job: @unchecked Sendable {
        var work: (() -> Void)?
        private var claimed = false
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let done = DispatchSemaphore(value: 0)

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
    }

    private let start = DispatchSemaphore(value: 0)
    /// Signalled by the helper when it is idle and may take a new job.
    private let available = DispatchSemaphore(value: 1)
    private var job: Job?

    private init() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { context in
                let helper = Unmanaged<HelperThread>.fromOpaque(context!).takeUnretainedValue()
                helper.loop()
                return nil
            }, context)
        precondition(status == 0, "pthread_create failed with \(status)")
        pthread_detach(thread)
    }

    private func loop() {
        while true {
            start.wait()
            let current = job!
            job = nil
            if current.claim() {
                current.work!()
                current.work = nil
                current.done.signal()
            }
            available.signal()
        }
    }

    /// Runs `first` on the calling thread and `second` on the helper (or on the caller,
    /// if the helper has not started it by then), returning when both are done.
    func run(_ first: () -> Void, _ second: () -> Void) {
        guard available.wait(timeout: .now()) == .success else {
            first()
            second()
            return
        }
        withoutActuallyEscaping(second) { second in
            let handed = Job(second)
            job = handed
            start.signal()
            first()
            if handed.claim() {
                // The helper has not started: run it here and drop the closure so that it
                // does not outlive this call.
                handed.work = nil
                second()
            } else {
                handed.done.wait()
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
}
