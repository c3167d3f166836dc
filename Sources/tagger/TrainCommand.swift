import ArgumentParser
import Corpora
import Foundation
import ModelStorage
import Tagging
import Text
import Tokenization

#if canImport(Glibc)
    import Glibc
#endif

/// `tagger train T …` (also written `tagger train --task T …`): learns a model from a
/// training file; each task is a subcommand with its own options and defaults.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on a training split.",
        discussion: """
            Each task has its own options and defaults: `tagger train --task T --help` \
            (the same as `tagger train T --help`) lists them.
            """,
        subcommands: [
            TrainPOSCommand.self, TrainNERCommand.self, TrainJointCommand.self,
            TrainSentimentCommand.self,
            SentenceTrainCommand.self, CharLMTrainCommand.self, TokenizerTrainCommand.self,
        ])

    /// The arguments of `tagger …` with `train … --task T …` (or `--task=T`) rewritten as
    /// `train T …`; any other command line is returned unchanged.
    static func rewritingTask(_ arguments: [String]) -> [String] {
        guard arguments.first == "train" else { return arguments }
        var rest = Array(arguments.dropFirst())
        for (i, argument) in rest.enumerated() {
            if argument == "--" { break }
            if argument == "--task", i + 1 < rest.count {
                let task = rest[i + 1]
                rest.removeSubrange(i...(i + 1))
                return ["train", task] + rest
            }
            if argument.hasPrefix("--task=") {
                rest.remove(at: i)
                return ["train", String(argument.dropFirst("--task=".count))] + rest
            }
        }
        return arguments
    }
}

/// Checks before any work that `output` can be written: its folder exists and is writable,
/// and it is not a folder itself.
func checkWritableOutput(_ output: String) throws {
    let url = URL(fileURLWithPath: output)
    let folder = url.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue
    else { throw ValidationError("--output \(output): the folder \(folder) does not exist.") }
    guard access(folder, W_OK) == 0 else {
        throw ValidationError("--output \(output): the folder \(folder) is not writable.")
    }
    if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
        throw ValidationError("--output \(output) is a folder; give a file name.")
    }
    // A save renames a new file over the output: over a device or a pipe that would replace
    // the special file itself, so only a regular file (or a link to one) is accepted.
    var status = stat()
    if stat(output, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw ValidationError(
            "--output \(output) is not a regular file (a device, pipe or socket); give a file name.")
    }
}

/// Prints `options` (option name → value as the command line writes it) as one JSON
/// object with sorted keys, for `--print-options`.
func printResolvedOptions(_ options: [String: String]) throws {
    let data = try JSONSerialization.data(
        withJSONObject: options, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
}

/// `tagger train tokenize`: learns the tokenizer lexicon.
struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Learn the tokenizer lexicon from a CoNLL-U training file.",
        discussion: """
            Learns abbreviations, multiword tokens, hyphenated prefixes, emoticons, chunk \
            exceptions and sentence-boundary weights. Copy the output to \
            Sources/Tokenization/Resources/tokenizer-en.tsv to ship it as the default.
            """)

    @Option(help: "The training CoNLL-U file (never the dev or test split).")
    var train: String

    @Option(help: "Where to write the lexicon (a TSV file).")
    var output: String

    @Option(help: "Keep a chunk exception only when seen at least this often.")
    var minExceptionCount = 1

    @Option(
        help: "Keep at most this many sentence-boundary features (those with the largest weights).")
    var maxBoundaryFeatures = 10000

    @Flag(help: "Print the resolved options as JSON and exit without training.")
    var printOptions = false

    func validate() throws {
        guard minExceptionCount >= 1 else {
            throw ValidationError("--min-exception-count must be at least 1.")
        }
        guard maxBoundaryFeatures >= 0 else {
            throw ValidationError("--max-boundary-features must not be negative.")
        }
        try checkWritableOutput(output)
    }

    func run() throws {
        StandardError.openMissingDescriptors()
        if printOptions {
            return try printResolvedOptions([
                "min-exception-count": "\(minExceptionCount)",
                "max-boundary-features": "\(maxBoundaryFeatures)",
            ])
        }
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
        // Through a temporary file, synced and renamed, as models are saved: never through
        // a link planted at a predictable name, and the old lexicon stays on a failure.
        try AtomicFile.write(bytes: Array(lexicon.tsv.utf8), to: output)
        var err = StandardError()
        print(
            "learned from \(sentences.count) sentences (\(report.unalignedSentences) unaligned): "
                + "\(lexicon.abbreviations.count) abbreviations, \(lexicon.multiwords.count) multiword tokens, "
                + "\(lexicon.hyphenPrefixes.count) hyphen prefixes, \(lexicon.emoticons.count) emoticons, "
                + "\(lexicon.chunkExceptions.count) chunk exceptions (rules wrong on \(report.ruleErrors) of \(report.chunks) chunks), "
                + "\(lexicon.boundaryWeights.count) boundary features → \(output)", to: &err)
    }
}

/// `tagger train pos`.
struct TrainPOSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pos",
        abstract: "Train a part-of-speech tagger (a BiLSTM with a softmax or CRF output).")

    @OptionGroup var common: ModelTrainingOptions

    @Option(
        help:
            "The tag column, counted from 1 (default: UPOS for CoNLL-U, the last column otherwise)."
    )
    var tagColumn: Int?

    @Flag(inversion: .prefixedNo, help: "Decode with a CRF.")
    var crf = false

    func validate() throws { try common.validate() }

    func run() throws {
        var network = common.network
        network.crf = crf
        try common.run(task: .pos, network: network, tagColumn: tagColumn, scheme: nil)
    }
}

/// `tagger train ner`.
struct TrainNERCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ner",
        abstract: "Train a named-entity tagger (a BiLSTM with a CRF or softmax output).")

    @OptionGroup var common: ModelTrainingOptions

    @Option(
        help:
            "The tag column, counted from 1 (default: UPOS for CoNLL-U, the last column otherwise)."
    )
    var tagColumn: Int?

    @Option(help: "Tag scheme of the files: iob1, iob2 or bioes.")
    var tagScheme: TagScheme = .iob2

    @Flag(inversion: .prefixedNo, help: "Decode with a CRF.")
    var crf = true

    func validate() throws { try common.validate() }

    func run() throws {
        var network = common.network
        network.crf = crf
        try common.run(task: .ner, network: network, tagColumn: tagColumn, scheme: tagScheme)
    }
}

/// `tagger train pos+ner`.
struct TrainJointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pos+ner",
        abstract:
            "Train a joint POS+NER tagger: one BiLSTM encoder, a softmax head for UPOS and a CRF head for entities.",
        discussion: """
            --train and --dev are the POS files (CoNLL-U, UPOS), --ner-train and --ner-dev the \
            entity files of the same sentences (IOB2 columns with # sent_id comments, as \
            Universal NER). The training files are matched by sent_id: a sentence in one file \
            only trains its task alone (the counts are printed); a sentence whose words differ \
            between the files stops training, naming both lines, unless --on-word-mismatch \
            separate trains each version on its own task. The loss is the POS cross-entropy \
            plus --ner-loss-weight times the entity CRF negative log-likelihood, both summed \
            and divided by the batch's tokens. The dev score, which picks the model kept and \
            drives --patience, is the mean of the UPOS accuracy on --dev and the entity span F1 \
            on --ner-dev.
            """)

    @OptionGroup var common: ModelTrainingOptions

    @Option(
        help: "The NER training file, the same sentences as --train (never the dev or test split).")
    var nerTrain: String

    @Option(help: "The NER dev file, for model selection only (never the test split).")
    var nerDev: String

    @Option(help: "Format of the NER files: iob2 or conll (default: from the extension).")
    var nerFormat: CorpusFormat?

    @Option(help: "Tag scheme of the NER files: iob1, iob2 or bioes.")
    var tagScheme: TagScheme = .iob2

    @Option(
        help:
            "A sentence whose words differ between --train and --ner-train: error (stop), or separate (train each version on its own task)."
    )
    var onWordMismatch: WordMismatchPolicy = .error

    @Option(
        help:
            "The weight of the entity loss against the POS loss (1: both in nats per token)."
    )
    var nerLossWeight = 1.0

    func validate() throws {
        try common.validate()
        guard nerLossWeight > 0, nerLossWeight.isFinite else {
            throw ValidationError("--ner-loss-weight must be finite and positive.")
        }
        for (name, format) in [("--format", common.format), ("--ner-format", nerFormat)] {
            if format == .sentiment {
                throw ValidationError("\(name) sentiment cannot be used for pos+ner.")
            }
        }
    }

    func run() throws {
        var resolved = common.resolvedOptions(network: common.network)
        resolved["tag-scheme"] = tagScheme.rawValue
        resolved["on-word-mismatch"] = onWordMismatch.rawValue
        resolved["ner-loss-weight"] = "\(nerLossWeight)"
        try common.train(resolved: resolved) { trainer, err in
            trainer.nerTrainSource = nerTrain
            trainer.nerDevSource = nerDev
            func read(_ path: String, _ format: CorpusFormat?, _ task: TaggingTask) throws
                -> [TrainingSentence]
            {
                try TrainingData.readTagged(
                    path: path, format: format ?? CorpusFormat.infer(path: path, task: task))
            }
            let alignment = try JointTrainingData.align(
                pos: read(common.train, common.format, .pos), posFile: common.train,
                ner: read(nerTrain, nerFormat, .ner), nerFile: nerTrain,
                onWordMismatch: onWordMismatch)
            let posDev = try read(common.dev, common.format, .pos)
            let nerDev = try read(self.nerDev, nerFormat, .ner)
            print("aligned \(common.train) with \(nerTrain): \(alignment.summary)", to: &err)
            for (id, line) in alignment.posOnly.prefix(5) {
                print("  in \(common.train) only: \(id) (line \(line))", to: &err)
            }
            for (id, line) in alignment.nerOnly.prefix(5) {
                print("  in \(nerTrain) only: \(id) (line \(line))", to: &err)
            }
            for mismatch in alignment.mismatched.prefix(5) {
                if case .wordMismatch(_, let posLine, _, let nerLine, let id, let problem) =
                    mismatch
                {
                    print(
                        "  different words: \(id) (lines \(posLine) and \(nerLine)): \(problem)",
                        to: &err)
                }
            }
            let tokens = alignment.sentences.reduce(0) { $0 + $1.words.count }
            print(
                "training on \(alignment.sentences.count) sentences (\(tokens) tokens), dev \(posDev.count) POS and \(nerDev.count) NER sentences",
                to: &err)
            var network = common.network
            network.crf = true
            let outcome = try trainer.trainJointTagger(
                network: network, train: alignment.sentences, posDev: posDev, nerDev: nerDev,
                scheme: tagScheme, nerLossWeight: nerLossWeight)
            return (outcome.interrupted, outcome.bestScore)
        }
    }
}

/// `tagger train sentiment`.
struct TrainSentimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentiment",
        abstract: "Train a sentence classifier for sentiment (a pooled BiLSTM).")

    @OptionGroup var common: ModelTrainingOptions

    @Option(help: "Sentence pooling: final, mean or max.")
    var pooling: PoolingKind = .max

    func validate() throws { try common.validate() }

    func run() throws {
        var network = common.network
        network.crf = false
        network.pooling = pooling
        try common.run(task: .sentiment, network: network, tagColumn: nil, scheme: nil)
    }
}

/// Standard error as a `TextOutputStream`, for progress and diagnostics. Writing never
/// fails: when standard error is closed or full (`2>&-`, `2>/dev/full`) the diagnostics are
/// lost, never the run (`FileHandle.write` would trap).
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Opens `/dev/null` on any of the descriptors 0, 1 and 2 that is closed, so that a file
    /// the command opens later (a model being saved) can never become "standard error" and
    /// receive diagnostics. Call before opening any file.
    static func openMissingDescriptors() {
        for fd in Int32(0)...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", O_RDWR)
            if opened >= 0, opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }
}
