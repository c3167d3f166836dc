import Foundation

/// glibc's limit on malloc arenas. Each thread that meets a busy arena gets one of its own
/// (up to eight per core), and memory freed in one is not reused by the others: with the
/// pipeline's lanes, the reading thread and the writing one, that was 8–10 MB more resident
/// memory for the same work. Two arenas cost no measurable speed here.
enum MallocArenas {
    /// glibc's `M_ARENA_MAX` parameter of `mallopt`.
    private static let arenaMaxParameter: Int32 = -8

    /// Sets the limit to `count` arenas, unless `MALLOC_ARENA_MAX` is set in the environment
    /// (the user's choice) or the C library has no `mallopt` (not glibc): then nothing.
    static func limit(to count: Int32) {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
            let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(arenaMaxParameter, count)
    }
}
