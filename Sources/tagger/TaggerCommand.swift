import ArgumentParser
import LinearAlgebra

/// The `tagger` command line: tokenize, tag, train, evaluate and benchmark.
@main
struct TaggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Tokenize, tag, find entities in and classify English text with recurrent networks.",
        subcommands: [
            TokenizeCommand.self, AnnotateCommand.self, TagCommand.self, ClassifyCommand.self, TrainCommand.self,
            EvalCommand.self, GenerateCommand.self, BenchmarkCommand.self, ServeCommand.self,
            VectorsCommand.self, InfoCommand.self,
        ])

    /// Runs the command line, reading `train --task T …` as `train T …`; first makes OpenBLAS
    /// run the best core for this CPU, starting the process again if it has to (OpenBLAS
    /// reads `OPENBLAS_CORETYPE` only when it is loaded), sets OpenBLAS to one thread and
    /// stops the worker threads it started (`BLASThreads.stopWorkers()`: the commands run
    /// their products on one BLAS thread, on threads of their own), limits malloc to two
    /// arenas and, for training, keeps freed memory for reuse and allows a third arena, for
    /// the training run's own thread (``MallocSettings``).
    static func main() {
        OpenBLASCore.selectBestCore()
        // One thread first: setting it after the workers stopped would start them again.
        BLASThreads.set(1)
        BLASThreads.stopWorkers()
        MallocSettings.limitArenas(to: 2)
        let arguments = TrainCommand.rewritingTask(Array(CommandLine.arguments.dropFirst()))
        if arguments.first == "train" { MallocSettings.prepareForTraining() }
        main(arguments)
    }
}
