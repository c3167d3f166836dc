import ArgumentParser
import Foundation
import LinearAlgebra

/// `tagger info`: the matrix kernels this process runs on this machine.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract:
            "Print the matrix kernels this machine runs: OpenBLAS core, CPU level, C kernels.",
        discussion: """
            OpenBLAS picks its core (kernel family) by CPU model when it is loaded; on a CPU it \
            does not know it can fall back to slow baseline kernels. tagger checks the core \
            against the CPU's features at start-up and, when OPENBLAS_CORETYPE is unset, starts \
            again with the best core for the CPU; a core set by OPENBLAS_CORETYPE is kept, with \
            a warning if it is below the CPU.
            """)

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let status = OpenBLASCore.Status.current
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        let verdict =
            status.betterCore.map { "below this CPU; \($0) would be faster" } ?? "suits this CPU"
        print("OpenBLAS core: \(status.core) (\(verdict))")
        print("OpenBLAS build: \(status.configuration)")
        print("OPENBLAS_CORETYPE: \(status.variable ?? "unset")")
        print("CPU: \(status.cpuVendor), \(status.cpuLevel)")
        print("C kernels: \(status.kernelLevel)")
    }
}
