import Foundation

/// glibc's malloc settings for the command line, set through `mallopt` (nothing happens
/// with a C library that has none, or for a setting the user gave in the environment).
enum MallocSettings {
    /// `mallopt`'s parameters.
    private enum Parameter: Int32 {
        /// `M_TRIM_THRESHOLD`: free memory at the top of the heap kept before returning it.
        case trimThreshold = -1
        /// `M_TOP_PAD`: extra memory asked of the system each time the heap grows.
        case topPad = -2
        /// `M_MMAP_THRESHOLD`: allocations from this size up get pages of their own.
        case mmapThreshold = -3
        /// `M_ARENA_MAX`: the most arenas.
        case arenaMax = -8

        /// The environment variable that sets the same parameter (the user's choice).
        var environmentName: String {
            switch self {
            case .trimThreshold: return "MALLOC_TRIM_THRESHOLD_"
            case .topPad: return "MALLOC_TOP_PAD_"
            case .mmapThreshold: return "MALLOC_MMAP_THRESHOLD_"
            case .arenaMax: return "MALLOC_ARENA_MAX"
            }
        }
    }

    /// Limits malloc to `count` arenas. Each thread that meets a busy arena gets one of its
    /// own (up to eight per core), and memory freed in one is not reused by the others:
    /// with the pipeline's lanes, the reading thread and the writing one, that was 8–10 MB
    /// more resident memory for the same work. Two arenas cost no measurable speed here.
    static func limitArenas(to count: Int32) {
        set(.arenaMax, count)
    }

    /// Keeps freed memory for reuse instead of giving it back to the system: a training
    /// step allocates and frees the same large buffers batch after batch, and each one
    /// mapped afresh was faulted in and zeroed again by the kernel (system time fell from
    /// 0.64 to 0.38 s over an epoch of EWT on two threads, the models written unchanged,
    /// for about 15 MB more peak memory). Buffers up to 32 MB (glibc's largest threshold)
    /// come from the heap, and up to 512 MB free at its top is kept.
    static func keepFreedMemory() {
        set(.mmapThreshold, 32 << 20)
        set(.trimThreshold, 512 << 20)
        set(.topPad, 64 << 20)
    }

    /// The settings of a training run: freed memory kept for reuse, and three arenas, so
    /// that the run's own thread (`FreshThread`) gets one beside the main thread's and the
    /// helper thread's.
    static func prepareForTraining() {
        keepFreedMemory()
        limitArenas(to: 3)
    }

    private static func set(_ parameter: Parameter, _ value: Int32) {
        guard ProcessInfo.processInfo.environment[parameter.environmentName] == nil,
            let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(parameter.rawValue, value)
    }
}
