#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic wall-clock time, for training speed and benchmarks.
public enum Stopwatch {
    /// Seconds since an arbitrary fixed point, from `CLOCK_MONOTONIC`.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The median of `repetitions` timings of `body`, in seconds, after one warm-up call.
    public static func median(repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let start = now()
            body()
            times.append(now() - start)
        }
        times.sort()
        return times[times.count / 2]
    }
}
