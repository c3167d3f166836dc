import ArgumentParser

/// The `tagger` command line: tokenize, tag, train, evaluate and benchmark.
@main
struct TaggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Tokenize, tag and classify English text with recurrent networks.",
        subcommands: [
            TokenizeCommand.self, TagCommand.self, ClassifyCommand.self, TrainCommand.self,
            EvalCommand.self, GenerateCommand.self, BenchmarkCommand.self,
        ])

    /// Runs the command line, reading `train --task T …` as `train T …`.
    static func main() {
        main(TrainCommand.rewritingTask(Array(CommandLine.arguments.dropFirst())))
    }
}
