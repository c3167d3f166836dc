import ArgumentParser

/// The `tagger` command line: tokenize, tag, train, evaluate and benchmark.
@main
struct TaggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Tokenize, tag, find entities in and classify English text with recurrent networks.",
        subcommands: [
            TokenizeCommand.self, AnnotateCommand.self, TagCommand.self, ClassifyCommand.self, TrainCommand.self,
            EvalCommand.self, GenerateCommand.self, BenchmarkCommand.self, ServeCommand.self,
        ])

    /// Runs the command line, reading `train --task T …` as `train T …`.
    static func main() {
        main(TrainCommand.rewritingTask(Array(CommandLine.arguments.dropFirst())))
    }
}
