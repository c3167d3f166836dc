import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// A persistent second thread for running two pieces of work at once.
///
/// `DispatchQueue.concurrentPerform(iterations: 2)` was measured to run both iterations
/// one after the other on this platform, so the directions of a bidirectional layer use
/// this helper instead: the caller runs one piece, the helper the other. If the helper is
/// busy (another layer on another thread is using it), both pieces run on the caller.
final class HelperThread: @unchecked Sendable {
    static let shared = HelperThread()

    private let start = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let available = DispatchSemaphore(value: 1)
    private var job: (() -> Void)?

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
            job?()
            job = nil
            finished.signal()
        }
    }

    /// Runs `first` on the calling thread and `second` on the helper, returning when both
    /// are done.
    func run(_ first: () -> Void, _ second: () -> Void) {
        guard available.wait(timeout: .now()) == .success else {
            first()
            second()
            return
        }
        withoutActuallyEscaping(second) { second in
            job = second
            start.signal()
            first()
            finished.wait()
        }
        available.signal()
    }
}
