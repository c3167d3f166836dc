#if canImport(Glibc)
    import Glibc
#endif

/// Runs a long piece of work, such as a training run, on a thread of its own and waits for it.
///
/// glibc's malloc gives a new thread an arena of its own while it has arenas to give, and a
/// training run allocates and frees large buffers at every step. On the main thread those
/// requests searched the free lists that reading and encoding the corpus had left in the
/// main arena: 2.4–3.5% of the calling thread's samples were in `_int_malloc` and its
/// neighbours during two-epoch runs of `tagger train pos`, against 0.4–0.5% on the helper
/// thread doing the same work in an arena of its own (0.7% on both once the run had its own
/// thread). The calling thread is the one whose serial work (and whose half, when it ends
/// later) every step waits for. The arenas a process may have are the process's choice
/// (`mallopt(M_ARENA_MAX)`); with none left the thread shares one, and the work runs the
/// same, only without the gain.
public enum FreshThread {
    /// The stack of the new thread: the main thread's default (8 MiB) and more.
    public static let stackBytes = 16 << 20

    /// Runs `body` on a new thread, returning what it returns or throwing what it throws once
    /// the thread has ended. Where no thread can be started, `body` runs on the calling thread.
    public static func run<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let outcome = Outcome<R, E>()
        let started = withoutActuallyEscaping(body) { body in
            let work = Work { outcome.result = Result(catching: body) }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, stackBytes)
            let context = Unmanaged.passRetained(work).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, &attributes,
                { context in
                    Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            guard status == 0 else {
                Unmanaged<Work>.fromOpaque(context).release()
                return false
            }
            // The closure must not outlive this call: wait for the thread to end.
            pthread_join(thread, nil)
            return true
        }
        if !started { return try body() }
        return try outcome.result!.get()
    }

    /// The work handed to the new thread.
    private final class Work: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// What the work returned or threw, written by the new thread before it ends and read
    /// by the caller after joining it.
    private final class Outcome<R, E: Error>: @unchecked Sendable {
        var result: Result<R, E>?
    }
}
