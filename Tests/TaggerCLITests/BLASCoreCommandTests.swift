import Foundation
import XCTest

/// The OpenBLAS core a `tagger` process runs (`tagger info`): the start-up check that starts
/// the process again with the best core, and an explicit `OPENBLAS_CORETYPE`, which is kept.
final class BLASCoreCommandTests: XCTestCase {
    /// OpenBLAS 0.3.21's x86-64 cores below AVX2: the SSE cores it falls back to on a CPU
    /// model it does not know, and the AVX cores. Listed here apart from the library's table,
    /// so that a mistake there does not hide itself.
    static let slowCores: Set<String> = [
        "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano",
        "bobcat", "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator",
    ]

    /// What `tagger info --json` prints.
    struct Info: Decodable {
        var core: String
        var variable: String?
        var cpuVendor: String
        var cpuLevel: String
        var betterCore: String?
    }

    /// `tagger info --json` in the given environment (the test's own, without
    /// `OPENBLAS_CORETYPE` unless `environment` sets it).
    static func info(environment: [String: String] = [:]) throws -> (
        info: Info, stderr: String
    ) {
        let result = try TaggerProcess.run(
            ["info", "--json"], environment: environment, unsetting: ["OPENBLAS_CORETYPE"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let info = try JSONDecoder().decode(Info.self, from: Data(result.stdout.utf8))
        return (info, result.stderr)
    }

    /// The core OpenBLAS 0.3.21 does best on a CPU of this vendor and level, nil below AVX2.
    static func bestCore(vendor: String, level: String) -> String? {
        switch level {
        case "AVX-512": return "SkylakeX"
        case "AVX2+FMA": return vendor == "AMD" ? "Zen" : "Haswell"
        default: return nil
        }
    }

    func testTheCoreOfATaggerProcessIsNotBelowTheCPU() throws {
        let (info, stderr) = try Self.info()
        XCTAssertEqual(stderr, "")
        try XCTSkipIf(
            info.cpuLevel == "baseline x86-64", "this CPU has no AVX2: any core will do")
        XCTAssertFalse(
            Self.slowCores.contains(info.core.lowercased()),
            "tagger runs OpenBLAS's \(info.core) core on a CPU with \(info.cpuLevel)")
        XCTAssertNil(info.betterCore)
        // Either OpenBLAS's own choice, or the one the start-up set.
        if let variable = info.variable {
            XCTAssertEqual(variable, Self.bestCore(vendor: info.cpuVendor, level: info.cpuLevel))
        }
    }

    func testAnExplicitBaselineCoreIsKeptWithOneWarning() throws {
        let (info, stderr) = try Self.info(environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(info.core, "Prescott", "the start-up overrode OPENBLAS_CORETYPE")
        XCTAssertEqual(info.variable, "Prescott")
        guard let best = Self.bestCore(vendor: info.cpuVendor, level: info.cpuLevel) else {
            XCTAssertEqual(stderr, "", "a warning on a CPU without AVX2")
            return
        }
        XCTAssertEqual(info.betterCore, best)
        XCTAssertEqual(
            stderr,
            "warning: OPENBLAS_CORETYPE=Prescott makes OpenBLAS run its Prescott core, below what this CPU runs (\(info.cpuVendor), \(info.cpuLevel)): matrix products through OpenBLAS run several times slower; unset it, or set OPENBLAS_CORETYPE=\(best).\n"
        )

        // Tagging works on that core, and the first GEMM does not warn a second time.
        let tagged = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos], input: Array("The cat ran.\n".utf8),
            environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(tagged.stdout, "The/DET cat/NOUN ran/VERB ./PUNCT\n")
        XCTAssertEqual(tagged.stderr, stderr)
    }

    /// The temporary directory of the stand-in libraries and their logs.
    static let folder = NSTemporaryDirectory() + "blas-core-\(getpid())"

    /// The C compiler that builds the stand-in libraries, nil if there is none.
    static let compiler = ["/usr/bin/cc", "/usr/bin/clang", "/usr/bin/gcc"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// A shared library that stands in for `openblas_get_corename` (`LD_PRELOAD`), compiled
    /// from `source` into `folder` by `compiler`.
    static func preloadLibrary(_ name: String, source: String, compiler: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/\(name).c"
        let library = folder + "/\(name).so"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-shared", "-fPIC", "-o", library, file, "-ldl"]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(compiler) could not build \(file)")
        return library
    }

    /// Appends a line to the file `$BLAS_CORE_TEST_LOG` each time a process image loads the
    /// library: the number of lines is the number of times the program was executed.
    static let loadCounter = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stdlib.h>
        __attribute__((constructor)) static void count_load(void) {
            const char *path = getenv("BLAS_CORE_TEST_LOG");
            FILE *log = path ? fopen(path, "a") : NULL;
            if (log) { fputs("loaded\\n", log); fclose(log); }
        }

        """

    /// OpenBLAS as it behaves on a CPU model it does not know (a Prescott core) until
    /// `OPENBLAS_CORETYPE` is set, then as itself.
    static let unknownCPU = """
        \(loadCounter)
        #include <dlfcn.h>
        char *openblas_get_corename(void) {
            if (!getenv("OPENBLAS_CORETYPE")) return "Prescott";
            char *(*real)(void) = (char *(*)(void))dlsym(RTLD_NEXT, "openblas_get_corename");
            return real();
        }
        """

    /// OpenBLAS that runs its Prescott core whatever `OPENBLAS_CORETYPE` says.
    static let stuckCore = """
        \(loadCounter)
        char *openblas_get_corename(void) { return "Prescott"; }
        """

    /// The number of process images that loaded the stand-in library, from its log.
    static func loads(_ log: String) -> Int {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "\n").filter { $0 == "loaded" }.count
    }

    func testTheStartupStartsAgainOnceWithTheBestCore() throws {
        let plain = try Self.info().info
        guard let best = Self.bestCore(vendor: plain.cpuVendor, level: plain.cpuLevel) else {
            throw XCTSkip("this CPU has no AVX2: nothing to switch to")
        }
        guard let compiler = Self.compiler else {
            throw XCTSkip("no C compiler to build the stand-in library")
        }
        defer { try? FileManager.default.removeItem(atPath: Self.folder) }
        let unknown = try Self.preloadLibrary(
            "unknown-cpu", source: Self.unknownCPU, compiler: compiler)
        let stuck = try Self.preloadLibrary(
            "stuck-core", source: Self.stuckCore, compiler: compiler)

        let log = Self.folder + "/loads"

        // The first process sees Prescott and starts again with the variable set; the second
        // runs the core it names.
        let (restarted, stderr) = try Self.info(environment: [
            "LD_PRELOAD": unknown, "BLAS_CORE_TEST_LOG": log,
        ])
        XCTAssertEqual(stderr, "")
        XCTAssertEqual(Self.loads(log), 2, "processes executed")
        XCTAssertEqual(restarted.variable, best)
        XCTAssertEqual(restarted.core, best)
        XCTAssertNil(restarted.betterCore)

        // When OpenBLAS does not take the core, the second process goes on with a warning
        // instead of starting a third time.
        try FileManager.default.removeItem(atPath: log)
        let (kept, warning) = try Self.info(environment: [
            "LD_PRELOAD": stuck, "BLAS_CORE_TEST_LOG": log,
        ])
        XCTAssertEqual(Self.loads(log), 2, "processes executed")
        XCTAssertEqual(kept.variable, best)
        XCTAssertEqual(kept.core, "Prescott")
        XCTAssertEqual(
            warning.components(separatedBy: "\n").filter { !$0.isEmpty },
            [
                "warning: OPENBLAS_CORETYPE=\(best), but OpenBLAS runs its Prescott core (this OpenBLAS has no \(best) core), below what this CPU runs (\(kept.cpuVendor), \(kept.cpuLevel)): matrix products through OpenBLAS run several times slower."
            ])
    }
}
