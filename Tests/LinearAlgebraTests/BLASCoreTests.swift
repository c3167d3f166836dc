import CKernels
import Foundation
import LinearAlgebra
import XCTest

/// The choice of OpenBLAS core (`OpenBLASCore`): the decision by table, and the queries.
final class BLASCoreTests: XCTestCase {
    private let intel512 = CPUFeatures(vendor: .intel, level: .avx512)
    private let intel2 = CPUFeatures(vendor: .intel, level: .avx2)
    private let amd512 = CPUFeatures(vendor: .amd, level: .avx512)
    private let amd2 = CPUFeatures(vendor: .amd, level: .avx2)
    private let other2 = CPUFeatures(vendor: .other, level: .avx2)
    private let intelBaseline = CPUFeatures(vendor: .intel, level: .baseline)
    private let amdBaseline = CPUFeatures(vendor: .amd, level: .baseline)

    func testTheAdviceByCoreAndCPU() {
        let table: [(core: String, cpu: CPUFeatures, advice: OpenBLASCore.Advice)] = [
            // OpenBLAS's baseline core on CPUs it does not know.
            ("Prescott", intel512, .use("SkylakeX")),
            ("Prescott", intel2, .use("Haswell")),
            ("Prescott", amd2, .use("Zen")),
            ("Prescott", amd512, .use("SkylakeX")),
            ("Prescott", other2, .use("Haswell")),
            ("Core2", intel512, .use("SkylakeX")),
            ("Nehalem", intel2, .use("Haswell")),
            ("Penryn", intel2, .use("Haswell")),
            ("Dunnington", intel2, .use("Haswell")),
            ("Atom", intel2, .use("Haswell")),
            ("Barcelona", amd2, .use("Zen")),
            ("Opteron_SSE3", amd2, .use("Zen")),
            ("Bobcat", amd2, .use("Zen")),
            // AVX cores without AVX2 on CPUs with it.
            ("Sandybridge", intel2, .use("Haswell")),
            ("Sandybridge", intel512, .use("SkylakeX")),
            ("Bulldozer", amd2, .use("Zen")),
            ("Piledriver", amd2, .use("Zen")),
            // The right core on its CPU.
            ("Haswell", intel2, .fine),
            ("Zen", amd2, .fine),
            ("SkylakeX", intel512, .fine),
            ("Cooperlake", intel512, .fine),
            ("Cooperlake", amd512, .fine),
            ("SapphireRapids", intel512, .fine),
            // AVX2 cores are not overridden on AVX-512 CPUs: OpenBLAS chose them, or the user.
            ("Haswell", intel512, .fine),
            ("Zen", amd512, .fine),
            // A CPU without AVX2 runs what OpenBLAS gives it.
            ("Prescott", intelBaseline, .fine),
            ("Sandybridge", intelBaseline, .fine),
            ("Barcelona", amdBaseline, .fine),
            // Names this table does not know.
            ("Unknown", intel512, .fine),
            ("NEOVERSEN1", other2, .fine),
            ("", intel2, .fine),
        ]
        for (core, cpu, advice) in table {
            XCTAssertEqual(OpenBLASCore.advice(core: core, cpu: cpu), advice, "\(core) on \(cpu)")
        }
    }

    func testCoreNamesAreMatchedInAnyCase() {
        // DYNAMIC_ARCH builds name cores "Prescott", single-target builds "PRESCOTT".
        XCTAssertEqual(OpenBLASCore.family(of: "PRESCOTT"), .sse)
        XCTAssertEqual(OpenBLASCore.family(of: "prescott"), .sse)
        XCTAssertEqual(OpenBLASCore.family(of: "SANDYBRIDGE"), .avx)
        XCTAssertEqual(OpenBLASCore.family(of: "HASWELL"), .avx2)
        XCTAssertEqual(OpenBLASCore.family(of: "SKYLAKEX"), .avx512)
        XCTAssertNil(OpenBLASCore.family(of: "Unknown"))
        XCTAssertEqual(OpenBLASCore.advice(core: "PRESCOTT", cpu: intel512), .use("SkylakeX"))
    }

    func testTheBestCoreForEachCPU() {
        XCTAssertEqual(OpenBLASCore.best(for: intel512), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.best(for: amd512), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.best(for: intel2), "Haswell")
        XCTAssertEqual(OpenBLASCore.best(for: amd2), "Zen")
        XCTAssertEqual(OpenBLASCore.best(for: other2), "Haswell")
        XCTAssertNil(OpenBLASCore.best(for: intelBaseline))
        // Every core advised is one the family table knows, at the CPU's level.
        for cpu in [intel512, amd512, intel2, amd2, other2] {
            let best = OpenBLASCore.best(for: cpu)!
            let family = OpenBLASCore.family(of: best)
            XCTAssertEqual(family, cpu.level == .avx512 ? .avx512 : .avx2, best)
        }
    }

    func testTheVendorOfTheCPUIDString() {
        XCTAssertEqual(CPUFeatures.Vendor(cpuid: "GenuineIntel"), .intel)
        XCTAssertEqual(CPUFeatures.Vendor(cpuid: "AuthenticAMD"), .amd)
        XCTAssertEqual(CPUFeatures.Vendor(cpuid: "HygonGenuine"), .amd)
        XCTAssertEqual(CPUFeatures.Vendor(cpuid: "CentaurHauls"), .other)
        XCTAssertEqual(CPUFeatures.Vendor(cpuid: ""), .other)
    }

    func testTheStartupRestartsOnlyWhenTheVariableIsUnset() {
        let table:
            [(
                core: String, cpu: CPUFeatures, variable: String?, dynamic: Bool,
                action: OpenBLASCore.StartupAction
            )] = [
                ("Prescott", intel512, nil, true, .restart(core: "SkylakeX")),
                ("Prescott", intel2, nil, true, .restart(core: "Haswell")),
                ("Sandybridge", amd2, nil, true, .restart(core: "Zen")),
                // A value set by the user, or by the restart itself: kept.
                ("Prescott", intel512, "Prescott", true, .proceed),
                ("Prescott", intel512, "SkylakeX", true, .proceed),
                ("Prescott", intel512, "", true, .proceed),
                // A single-target OpenBLAS cannot switch.
                ("PRESCOTT", intel512, nil, false, .proceed),
                // Nothing to improve.
                ("Haswell", intel2, nil, true, .proceed),
                ("Cooperlake", amd512, nil, true, .proceed),
                ("Prescott", intelBaseline, nil, true, .proceed),
            ]
        for (core, cpu, variable, dynamic, action) in table {
            XCTAssertEqual(
                OpenBLASCore.startupAction(
                    core: core, cpu: cpu, variable: variable, isDynamic: dynamic), action,
                "\(core) on \(cpu), OPENBLAS_CORETYPE \(variable ?? "unset"), dynamic \(dynamic)")
        }
    }

    func testTheWarningSaysWhatToDo() throws {
        XCTAssertNil(
            OpenBLASCore.warning(core: "Haswell", cpu: intel2, variable: nil, isDynamic: true))
        XCTAssertNil(
            OpenBLASCore.warning(
                core: "Prescott", cpu: intelBaseline, variable: "Prescott", isDynamic: true))

        let explicit = try XCTUnwrap(
            OpenBLASCore.warning(
                core: "Prescott", cpu: intel512, variable: "Prescott", isDynamic: true))
        XCTAssertTrue(explicit.hasPrefix("warning: OPENBLAS_CORETYPE=Prescott makes"), explicit)
        XCTAssertTrue(explicit.contains("set OPENBLAS_CORETYPE=SkylakeX"), explicit)

        let ignored = try XCTUnwrap(
            OpenBLASCore.warning(
                core: "Prescott", cpu: intel512, variable: "SkylakeX", isDynamic: true))
        XCTAssertTrue(ignored.contains("this OpenBLAS has no SkylakeX core"), ignored)

        let unset = try XCTUnwrap(
            OpenBLASCore.warning(core: "Prescott", cpu: intel2, variable: nil, isDynamic: true))
        XCTAssertTrue(unset.contains("OpenBLAS chose its Prescott core"), unset)
        XCTAssertTrue(unset.contains("OpenBLASCore.selectBestCore()"), unset)

        let single = try XCTUnwrap(
            OpenBLASCore.warning(core: "PRESCOTT", cpu: amd2, variable: nil, isDynamic: false))
        XCTAssertTrue(single.contains("DYNAMIC_ARCH"), single)
        XCTAssertTrue(single.contains("Zen"), single)
    }

    func testTheQueriesOfThisProcess() {
        XCTAssertFalse(OpenBLASCore.running.isEmpty)
        XCTAssertTrue(OpenBLASCore.configuration.hasPrefix("OpenBLAS"), OpenBLASCore.configuration)
        // The CPU level is the one the C kernels dispatch on.
        XCTAssertEqual(CPUFeatures.current.level.rawValue + 1, Int(sqt_kernel_level_count()))
        let status = OpenBLASCore.Status.current
        XCTAssertEqual(status.core, OpenBLASCore.running)
        XCTAssertEqual(status.kernelLevel, Float.kernelLevel)
        XCTAssertEqual(status.variable, ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
    }
}

/// Ending OpenBLAS's workers loses nothing: a product on two BLAS threads afterwards starts
/// them again and gives the exact result.
final class BLASWorkerTests: XCTestCase {
    func testProductsOnTwoThreadsWorkAfterTheWorkersAreEnded() {
        let n = 256
        // Small integers: every sum is exact in Float, whatever the order of the additions.
        let a = (0..<(n * n)).map { Float($0 % 7) - 3 }
        let b = (0..<(n * n)).map { Float($0 % 5) - 2 }
        var expected = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for p in 0..<n where a[i * n + p] != 0 {
                for j in 0..<n { expected[i * n + j] += a[i * n + p] * b[p * n + j] }
            }
        }
        BLASThreads.stopWorkers()
        BLASThreads.set(2)
        defer { BLASThreads.set(1) }
        for _ in 0..<2 {
            var c = [Float](repeating: .nan, count: n * n)
            Float.gemm(
                .none, .none, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: b, ldb: n, beta: 0,
                c: &c, ldc: n)
            XCTAssertEqual(c, expected)
            BLASThreads.stopWorkers()
        }
    }

    /// Setting the count it already has does not start the ended workers again (OpenBLAS's
    /// setter would: `tagger tag` sets one thread in every lane).
    func testAnUnchangedThreadCountLeavesTheEndedWorkersEnded() throws {
        BLASThreads.set(1)
        BLASThreads.stopWorkers()
        let before = try Self.threadCount()
        for _ in 0..<3 { BLASThreads.set(1) }
        XCTAssertEqual(try Self.threadCount(), before)
        XCTAssertEqual(BLASThreads.count, 1)
    }

    /// The threads of this process.
    private static func threadCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
    }
}
