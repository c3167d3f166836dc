import ArgumentParser
import Corpora
import Foundation
import Tagging
import Text
import Tokenization

/// The tasks `tagger train` can learn.
enum TrainTask: String, ExpressibleByArgument, CaseIterable {
    case tokenize
    case pos, ner, sentiment
    case sentences
    case charlm
}

/// `tagger train --task …`: learns a model from a training file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a training split.",
        discussion: """
            --task tokenize learns the tokenizer lexicon (abbreviations, multiword tokens, \
            hyphenated prefixes, emoticons, chunk exceptions, sentence-boundary weights) from a \
            CoNLL-U training file. Copy the output to Sources/Tokenization/Resources/tokenizer-en.tsv to \
            ship it as the default.

            --task charlm learns a character language model from a plain text file read as \
            one stream. Besides its own options below it reads --cell, --layers, --hidden \
            (default 256), --char-dim (the embedding, 64), --batch-size (parallel streams, 32), \
            --dropout (0.2), --clip, --patience (3), --threads, --epochs (10), --learning-rate \
            (the peak, 0.005) and --seed.
            """)

    @Option(help: "The task to train: tokenize.")
    var task: TrainTask

    @Option(help: "The training CoNLL-U file (never the dev or test split).")
    var train: String

    @Option(help: "Where to write the model.")
    var output: String

    @OptionGroup(title: "Taggers and classifier (--task pos|ner|sentiment)") var modelOptions:
        ModelTrainingOptions

    @Option(help: "The dev file, for model selection only (never the test split).")
    var dev: String?

    @OptionGroup(title: "Sentence splitter (--task sentences)") var sentenceOptions:
        SentenceTrainingOptions

    @OptionGroup(title: "Character language model (--task charlm)") var charLMOptions:
        CharLMTrainingOptions

    @Option(help: "Keep a chunk exception only when seen at least this often.")
    var minExceptionCount = 1

    @Option(
        help: "Keep at most this many sentence-boundary features (those with the largest weights).")
    var maxBoundaryFeatures = 10000

    func run() throws {
        switch task {
        case .pos, .ner, .sentiment:
            try modelOptions.run(
                task: TaggingTask(rawValue: task.rawValue)!, train: train, dev: dev, output: output,
                epochs: ModelTrainingOptions.given("--epochs", sentenceOptions.epochs, default: 20),
                seed: sentenceOptions.seed,
                learningRate: ModelTrainingOptions.given(
                    "--learning-rate", Double(sentenceOptions.learningRate), default: 1e-3))
        case .sentences:
            try sentenceOptions.train(
                train: train, dev: dev, output: output, embeddings: modelOptions.embeddings,
                embeddingsLimit: modelOptions.embeddingsLimit, layers: modelOptions.layers)
        case .charlm:
            try charLMOptions.train(
                train: train, dev: dev, output: output, shared: modelOptions,
                general: sentenceOptions)
        case .tokenize:
            let sentences = try CoNLLUReader.read(path: train)
            var trainer = TokenizerTrainer()
            trainer.minimumExceptionCount = minExceptionCount
            trainer.maximumBoundaryFeatures = maxBoundaryFeatures
            let name = URL(fileURLWithPath: train).lastPathComponent
            let (lexicon, report) = trainer.learn(
                from: sentences,
                provenance:
                    "tagger train --task tokenize --train \(name) --min-exception-count \(minExceptionCount) --max-boundary-features \(maxBoundaryFeatures)"
            )
            let temporary = output + ".tmp"
            try Data(lexicon.tsv.utf8).write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: output) {
                try FileManager.default.removeItem(atPath: output)
            }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
            var err = StandardError()
            print(
                "learned from \(sentences.count) sentences (\(report.unalignedSentences) unaligned): "
                    + "\(lexicon.abbreviations.count) abbreviations, \(lexicon.multiwords.count) multiword tokens, "
                    + "\(lexicon.hyphenPrefixes.count) hyphen prefixes, \(lexicon.emoticons.count) emoticons, "
                    + "\(lexicon.chunkExceptions.count) chunk exceptions (rules wrong on \(report.ruleErrors) of \(report.chunks) chunks), "
                    + "\(lexicon.boundaryWeights.count) boundary features → \(output)", to: &err)
        }
    }
}

/// Standard error as a `TextOutputStream`, for progress and diagnostics.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
