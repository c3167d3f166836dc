import Foundation
import LinearAlgebra

/// The one-thread sgemm rate that OpenBLAS gives on this CPU with its best core, when the
/// process runs another one (such as `OPENBLAS_CORETYPE=Haswell` on a CPU with AVX-512).
///
/// OpenBLAS picks its core once, while it is loaded, so the rate is measured in a child
/// `tagger benchmark blas` started with `OPENBLAS_CORETYPE` set to the best core.
enum BestCoreProbe {
    /// The best core's name and its sgemm GFLOP/s on one thread.
    struct Reading {
        /// The OpenBLAS core, such as "SkylakeX".
        var core: String
        /// GFLOP/s of `cblas_sgemm` on one thread on the probed shape.
        var gflops: Double
    }

    /// The best core's rate on `[m, k] × [k, n]`, or nil when the process already runs the
    /// best core (or an unknown one), the CPU has no better core, or the child fails.
    static func measure(m: Int, n: Int, k: Int, currentCore: String) -> Reading? {
        guard let best = OpenBLASCore.best(for: .current),
            OpenBLASCore.family(of: currentCore) != nil,
            best.lowercased() != currentCore.lowercased(),
            let executable = try? FileManager.default.destinationOfSymbolicLink(
                atPath: "/proc/self/exe")
        else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "benchmark", "blas", "--threads", "1", "--seconds", "0.5", "--shape", "\(m)x\(n)x\(k)",
            "--json",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = best
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let rate = rows.first?["rawGFLOPS"] as? Double
        else { return nil }
        return Reading(core: best, gflops: rate)
    }
}
