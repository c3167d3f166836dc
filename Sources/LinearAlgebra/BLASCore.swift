import CBLAS
import CKernels

#if canImport(Glibc)
    import Glibc
#endif

// OpenBLAS built with DYNAMIC_ARCH (Debian's, and the static library `make dist` links) holds
// kernels for many CPU families ("cores") and picks one when it is loaded, by CPU model. A
// CPU newer than the OpenBLAS release is not in its tables: 0.3.21 runs its baseline SSE3
// core (Prescott) on recent Intel Xeons, a fifth of the speed the CPU can give. The CPU's
// features tell what it can run; `OPENBLAS_CORETYPE` makes OpenBLAS take another core, but
// it is read only while OpenBLAS is loaded, before `main`, so a program that finds the
// wrong core must set it and start again (`OpenBLASCore.selectBestCore`).

/// How wide the vector instructions a CPU offers to the matrix kernels are.
public enum InstructionSetLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// x86-64 without AVX2 or FMA (SSE2), or another architecture.
    case baseline = 0
    /// AVX2 with FMA.
    case avx2 = 1
    /// AVX-512 F, BW, DQ and VL.
    case avx512 = 2

    /// Compares by width.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// "baseline x86-64", "AVX2+FMA" or "AVX-512", as `Float.kernelLevel` names them.
    public var description: String {
        switch self {
        case .baseline: return "baseline x86-64"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        }
    }
}

/// The CPU's maker and instruction-set level: what decides which OpenBLAS core suits it.
public struct CPUFeatures: Equatable, Sendable, CustomStringConvertible {
    /// Who made the CPU, as far as OpenBLAS's cores differ between makers.
    public enum Vendor: String, Sendable {
        /// GenuineIntel.
        case intel = "Intel"
        /// AuthenticAMD, or HygonGenuine (Hygon's CPUs are AMD Zen designs).
        case amd = "AMD"
        /// Any other maker, or no CPUID.
        case other = "other"

        /// The vendor of a CPUID vendor string such as "GenuineIntel".
        public init(cpuid: String) {
            switch cpuid {
            case "GenuineIntel": self = .intel
            case "AuthenticAMD", "HygonGenuine": self = .amd
            default: self = .other
            }
        }
    }

    /// The CPU's maker.
    public var vendor: Vendor
    /// The widest vector instructions the CPU runs (and the operating system enables).
    public var level: InstructionSetLevel

    /// The given features.
    public init(vendor: Vendor, level: InstructionSetLevel) {
        self.vendor = vendor
        self.level = level
    }

    /// The CPU this process runs on, detected as the C kernels detect it (`sqt_cpu_level`).
    public static let current: CPUFeatures = {
        var vendor = [CChar](repeating: 0, count: 13)
        sqt_cpu_vendor(&vendor)
        let level = InstructionSetLevel(rawValue: Int(sqt_cpu_level())) ?? .baseline
        return CPUFeatures(vendor: Vendor(cpuid: String(cString: vendor)), level: level)
    }()

    /// "Intel, AVX-512".
    public var description: String { "\(vendor.rawValue), \(level)" }
}

/// The OpenBLAS core (kernel family) of this process, and whether it suits the CPU.
///
/// A program built on this package should call `selectBestCore()` first thing in `main`;
/// `tagger` does. Without it, the first GEMM through OpenBLAS on a core below the CPU prints
/// a one-time warning to standard error.
public enum OpenBLASCore {
    /// The instruction set of a core's kernels.
    public enum Family: Int, Comparable, Sendable {
        /// SSE2/SSE3 kernels (Prescott, Core2, Nehalem, Barcelona, ...).
        case sse
        /// AVX kernels without AVX2 (Sandybridge, Bulldozer and its successors).
        case avx
        /// AVX2 and FMA kernels (Haswell, Zen).
        case avx2
        /// AVX-512 kernels (SkylakeX, Cooperlake, SapphireRapids).
        case avx512

        /// Compares by width.
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// What to do about the core OpenBLAS runs.
    public enum Advice: Equatable, Sendable {
        /// The core suits the CPU.
        case fine
        /// The core is below what the CPU runs; OpenBLAS's core of this name is the best for it.
        case use(String)
    }

    /// The x86-64 cores of OpenBLAS 0.3.21 (DYNAMIC_ARCH names, as `openblas_get_corename`
    /// and `OPENBLAS_CORETYPE` spell them, and the upper-case names of single-target builds),
    /// lower-cased, by family.
    static let families: [String: Family] = {
        var table: [String: Family] = [:]
        for name in [
            "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
            "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano",
            "bobcat", "generic",
        ] {
            table[name] = .sse
        }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"] {
            table[name] = .avx
        }
        for name in ["haswell", "zen"] { table[name] = .avx2 }
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { table[name] = .avx512 }
        return table
    }()

    /// The family of the core named `core` (any case), or nil for a name not in OpenBLAS
    /// 0.3.21's x86-64 list (such as "Unknown", or an ARM core).
    public static func family(of core: String) -> Family? {
        families[core.lowercased()]
    }

    /// OpenBLAS 0.3.21's best core for `cpu`: SkylakeX with AVX-512 F/BW/DQ/VL, on AMD too
    /// (newer OpenBLAS releases run SkylakeX kernels on Zen 4; on a Zen 5, sgemm on one
    /// thread ran at 192 GFLOP/s with SkylakeX against 103 with Zen), Zen on AMD with AVX2,
    /// Haswell on other CPUs with AVX2; nil for a baseline CPU.
    public static func best(for cpu: CPUFeatures) -> String? {
        switch cpu.level {
        case .avx512: return "SkylakeX"
        case .avx2: return cpu.vendor == .amd ? "Zen" : "Haswell"
        case .baseline: return nil
        }
    }

    /// Whether `core` suits `cpu`: on a CPU with AVX2 and FMA, an SSE or AVX core (what
    /// OpenBLAS falls back to on a CPU model it does not know) wastes most of its speed, so
    /// the advice is `best(for:)`. An AVX2 or AVX-512 core is left alone, as is a name this
    /// table does not know.
    public static func advice(core: String, cpu: CPUFeatures) -> Advice {
        guard cpu.level >= .avx2, let family = family(of: core), family < .avx2,
            let best = best(for: cpu)
        else { return .fine }
        return .use(best)
    }

    /// The warning for a process whose OpenBLAS runs `core` on `cpu`, with
    /// `OPENBLAS_CORETYPE` set to `variable` (nil: unset) in an OpenBLAS that can
    /// (`isDynamic`) or cannot switch cores; nil when the core suits the CPU.
    public static func warning(core: String, cpu: CPUFeatures, variable: String?, isDynamic: Bool)
        -> String?
    {
        guard case .use(let best) = advice(core: core, cpu: cpu) else { return nil }
        let slow =
            "below what this CPU runs (\(cpu)): matrix products through OpenBLAS run several times slower"
        guard isDynamic else {
            return
                "warning: OpenBLAS was built for its \(core) core only, \(slow); an OpenBLAS built with DYNAMIC_ARCH, or for this CPU, would run its \(best) core."
        }
        if let variable {
            if variable.lowercased() == best.lowercased() {
                return
                    "warning: OPENBLAS_CORETYPE=\(variable), but OpenBLAS runs its \(core) core (this OpenBLAS has no \(best) core), \(slow)."
            }
            return
                "warning: OPENBLAS_CORETYPE=\(variable) makes OpenBLAS run its \(core) core, \(slow); unset it, or set OPENBLAS_CORETYPE=\(best)."
        }
        return
            "warning: OpenBLAS chose its \(core) core, \(slow); set OPENBLAS_CORETYPE=\(best) before the program starts, or call OpenBLASCore.selectBestCore() first thing in main."
    }

    /// What `selectBestCore` does at start-up.
    public enum StartupAction: Equatable, Sendable {
        /// Go on in this process (with a warning, if `warning` gives one).
        case proceed
        /// Set `OPENBLAS_CORETYPE` to this core and execute the program again.
        case restart(core: String)
    }

    /// The start-up decision: restart with `best(for:)` only when the core is below the CPU,
    /// OpenBLAS can switch cores, and `OPENBLAS_CORETYPE` is unset. A value set by the user
    /// is kept, and so is the one a restart set: the restarted process finds the variable
    /// set and goes on, so there is at most one restart.
    public static func startupAction(
        core: String, cpu: CPUFeatures, variable: String?, isDynamic: Bool
    ) -> StartupAction {
        guard variable == nil, isDynamic, case .use(let best) = advice(core: core, cpu: cpu)
        else { return .proceed }
        return .restart(core: best)
    }

    /// The core OpenBLAS runs in this process, as `openblas_get_corename` names it
    /// ("Haswell", "Prescott", ...).
    public static var running: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build description (`openblas_get_config`), such as
    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// Whether this OpenBLAS holds several cores (built with DYNAMIC_ARCH), so that
    /// `OPENBLAS_CORETYPE` can change the one it runs.
    public static var isDynamic: Bool { configuration.contains("DYNAMIC_ARCH") }

    /// The name of the environment variable OpenBLAS reads when it is loaded.
    public static let variableName = "OPENBLAS_CORETYPE"

    /// The value of `OPENBLAS_CORETYPE` in this process's environment, nil when unset.
    public static var variable: String? {
        getenv(variableName).map { String(cString: $0) }
    }

    /// The warning for this process (`warning(core:cpu:variable:isDynamic:)`), or nil.
    public static var currentWarning: String? {
        warning(core: running, cpu: .current, variable: variable, isDynamic: isDynamic)
    }

    /// Makes OpenBLAS run the best core for this CPU: call it first thing in `main`, before
    /// reading any input or starting threads. When OpenBLAS runs a core below the CPU and
    /// `OPENBLAS_CORETYPE` is unset, it sets the variable and executes the program again
    /// (`/proc/self/exe`, the same arguments and environment), so it does not return; when
    /// the variable was set by the user, it keeps it and warns on standard error if the core
    /// it gives is below the CPU. Costs a CPUID query and a string comparison otherwise.
    public static func selectBestCore() {
        let action = startupAction(
            core: running, cpu: .current, variable: variable, isDynamic: isDynamic)
        if case .restart(let core) = action {
            restart(core: core)
        }
        // Now rather than at the first GEMM; once per process either way.
        _ = slowCoreWarning
    }

    /// Sets `OPENBLAS_CORETYPE=core` and replaces this process by a new run of the same
    /// executable; returns (with the variable unset again and a note on standard error)
    /// only when that fails.
    static func restart(core: String) {
        #if os(Linux)
            setenv(variableName, core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            let reason = String(cString: strerror(errno))
            unsetenv(variableName)
            printToStandardError(
                "warning: could not start again with \(variableName)=\(core) (\(reason))")
        #endif
    }

    /// Writes `line` and a newline to standard error.
    static func printToStandardError(_ line: String) {
        fputs(line + "\n", stderr)
    }
}

extension OpenBLASCore {
    /// The matrix kernels of this process, as `tagger info` and the benchmarks report them.
    public struct Status: Codable, Equatable, Sendable {
        /// The core OpenBLAS runs (`OpenBLASCore.running`).
        public var core: String
        /// OpenBLAS's build description (`OpenBLASCore.configuration`).
        public var configuration: String
        /// `OPENBLAS_CORETYPE`, nil when unset.
        public var variable: String?
        /// The CPU's maker: "Intel", "AMD" or "other".
        public var cpuVendor: String
        /// The CPU's instruction-set level: "baseline x86-64", "AVX2+FMA" or "AVX-512".
        public var cpuLevel: String
        /// The level the C kernels (gate kernel, packed products) run at (`Float.kernelLevel`).
        public var kernelLevel: String
        /// The core to run instead (`OpenBLASCore.advice`), nil when `core` suits the CPU.
        public var betterCore: String?

        /// The status of this process.
        public static var current: Status {
            let cpu = CPUFeatures.current
            let core = OpenBLASCore.running
            var better: String?
            if case .use(let name) = OpenBLASCore.advice(core: core, cpu: cpu) { better = name }
            return Status(
                core: core, configuration: OpenBLASCore.configuration,
                variable: OpenBLASCore.variable, cpuVendor: cpu.vendor.rawValue,
                cpuLevel: cpu.level.description, kernelLevel: Float.kernelLevel,
                betterCore: better)
        }
    }
}

/// Prints `OpenBLASCore.currentWarning` once per process: at the first GEMM through OpenBLAS
/// (`BLASScalar.gemm`), or at start-up in `OpenBLASCore.selectBestCore`. Reading a global
/// that is already initialised costs one load and branch, nothing next to a GEMM call.
@usableFromInline let slowCoreWarning: Bool = {
    guard let warning = OpenBLASCore.currentWarning else { return false }
    OpenBLASCore.printToStandardError(warning)
    return true
}()
