import ArgumentParser
import Foundation
import LanguageModel
import Pipeline
import LinearAlgebra
import Tagging
import Text

/// `tagger generate`: samples text from a character language model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a character language model (tagger train --task charlm).",
        discussion: """
            Writes the prime, then LENGTH sampled characters (Unicode scalars) one at a time as \
            they are drawn, then a line break unless the text ends with one. Each character is \
            drawn from the model's distribution given everything before it: --temperature 0 \
            always takes the most probable one, 1 samples the model's own distribution, values \
            in between make it more conservative; --top-k limits the draw to the K most probable \
            characters. The same --seed gives the same text.

            Without --model the shipped charlm-en.model is used, from $TAGGER_MODELS, else the \
            package's models/ directory, else a models/ directory beside or above the \
            executable, else ./models; `make models` trains it.
            """)

    @Option(help: "A character language model (default: the shipped charlm-en.model).")
    var model: String?

    @Option(help: "Text the generated characters continue.")
    var prime = ""

    @Option(help: "The number of characters to generate.")
    var length = 300

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature = 1.0

    @Option(help: "Draw only among the K most probable characters (default: all).")
    var topK: Int?

    @Option(help: "Seed of the sampling (default: a different one each run).")
    var seed: UInt64?

    func validate() throws {
        guard length >= 0 else { throw ValidationError("--length must not be negative") }
        guard temperature >= 0, temperature.isFinite else {
            throw ValidationError("--temperature must be a non-negative number")
        }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
        let path = try model ?? ModelLocator().existingPath(of: .charlm)
        let model = try CharacterLanguageModel.load(path: path)
        BLASThreads.set(1)
        let out = ByteWriter.standardOutput()
        try out.write(prime)
        try out.flush()
        var last = prime.unicodeScalars.last
        let samples = model.samples(
            prime: prime, temperature: temperature, topK: topK,
            seed: seed ?? UInt64.random(in: .min ... .max))
        for scalar in samples.prefix(length) {
            try out.write(String(scalar))
            try out.flush()
            last = scalar
        }
        if let last, last != "\n" { try out.write("\n") }
        try out.close()
    }
}
