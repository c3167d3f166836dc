import ArgumentParser
import Benchmarks
import Corpora
import Foundation
import Pipeline
import Tagging

/// `tagger benchmark ref`: the reference tagger's speed on the real corpora, in one run.
struct ReferenceBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ref",
        abstract: "Model load, tagging and training speed of the reference tagger, with memory.",
        discussion: """
            Tags UD English EWT test with the shipped POS model (and the NER model) at batch 1, \
            32 and 256 on 1 and 2 threads, from pre-tokenized input and from raw text (tokenizer \
            included); then times `tagger tag --input tokens --format conll` as a whole child \
            process over the test tokens repeated 8 times, on 1 and 2 threads, against the \
            in-process batch-256 rate; then trains the ref network on EWT train for \
            --training-epochs epochs, \
            each timed on its own. Each figure is the best of its repetitions (the fastest \
            epoch for training, every epoch's figure printed) and is also given as a fraction \
            of the limit measured in the same run: the better of OpenBLAS sgemm on the \
            network's input projection and the packed C kernel (which runs the recurrent \
            steps) on one step's product, one thread, times the threads. Where OpenBLAS runs a \
            narrower core than its best for this CPU (OPENBLAS_CORETYPE), the best core's sgemm \
            rate on the same shape is measured in a child process, and each figure is also \
            given against it ("of sgemm"). With the NER and sentiment models present, the \
            pipeline rows follow: POS, NER and sentiment each alone and the three together from \
            the raw text of the test split (tokenizer included, one sentence a line, batch 32), \
            each with its fraction of the limit (the GEMM work of the components run), and the \
            pipeline's time over the sum of the three.
            """)

    @Option(help: "The CoNLL-U training split (default: $CORPORA/ud-english-ewt/train.conllu).")
    var train: String?

    @Option(help: "The CoNLL-U test split (default: $CORPORA/ud-english-ewt/test.conllu).")
    var test: String?

    @Option(help: "The POS model (default: the shipped pos-en.model).")
    var posModel: String?

    @Option(help: "The NER model (default: the shipped ner-en.model, if present).")
    var nerModel: String?

    @Option(
        help:
            "The sentiment model of the pipeline rows (default: the shipped sentiment-en.model, if present)."
    )
    var sentimentModel: String?

    @Option(help: "Threads for training, and the largest thread count for tagging.")
    var threads = 2

    @Option(help: "Timed repetitions of each tagging measurement; the best is reported.")
    var repetitions = 3

    @Flag(help: "Skip training.")
    var noTraining = false

    @Option(help: "Training epochs, each timed on its own; the fastest is reported.")
    var trainingEpochs = 2

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard trainingEpochs >= 1 else {
            throw ValidationError("--training-epochs must be at least 1")
        }
    }

    func run() throws {
        let corpora = ProcessInfo.processInfo.environment["CORPORA"] ?? "corpora"
        let locator = ModelLocator()
        let pos = try posModel ?? locator.existingPath(of: .pos)
        let ner = nerModel ?? (try? locator.existingPath(of: .ner))
        var benchmark = ReferenceBenchmark(
            posModel: pos, nerModel: ner,
            trainFile: train ?? corpora + "/ud-english-ewt/train.conllu",
            testFile: test ?? corpora + "/ud-english-ewt/test.conllu", threads: threads,
            repetitions: repetitions, includeTraining: !noTraining, trainingEpochs: trainingEpochs)
        benchmark.beforeTraining = { MallocSettings.prepareForTraining() }
        var err = StandardError()
        let r = try benchmark.run { print("… \($0)", to: &err) }
        // The pipeline rows need all three models.
        var pipelineResult: PipelineBenchmark.Result?
        // GEMM FLOPs per word of each pipeline component, on the test words.
        var componentFLOPs: [String: Double] = [:]
        if let ner, let sentiment = sentimentModel ?? locator.path(of: .sentiment) {
            let pipeline = try Pipeline(
                components: PipelineComponent.allCases,
                modelFiles: [.pos: pos, .ner: ner, .sentiment: sentiment], splitter: .perceptron)
            let sentences = try CoNLLUReader.read(
                path: test ?? corpora + "/ud-english-ewt/test.conllu")
            let lines = sentences.compactMap(\.text)
            let words = sentences.flatMap { $0.words.map(\.form) }
            if let model = pipeline.pos {
                componentFLOPs["pos"] = model.configuration.network.forwardFLOPsPerWord(
                    of: words, tags: model.tags.count)
            }
            if let model = pipeline.ner {
                componentFLOPs["ner"] = model.configuration.network.forwardFLOPsPerWord(
                    of: words, tags: model.tags.count)
            }
            if let model = pipeline.sentiment {
                componentFLOPs["sentiment"] = model.configuration.network.forwardFLOPsPerWord(
                    of: words, tags: model.labels.count)
            }
            pipelineResult = try PipelineBenchmark(
                pipeline: pipeline, lines: lines,
                threadCounts: Array(Set([1, threads])).sorted(), repetitions: repetitions
            ).run { print("… \($0)", to: &err) }
        }
        // The command line as users run it, whole process, beside the in-process rate.
        print("… command line: tagger tag over the test tokens x\(CommandLineProbe.copies)", to: &err)
        let testSentences = try CoNLLUReader.read(
            path: test ?? corpora + "/ud-english-ewt/test.conllu"
        ).map { $0.words.map(\.form) }
        // At least five runs: a whole run is ten times as long as an in-process pass, so
        // fewer of them fall into the quiet moments of a shared machine.
        let commandLine = CommandLineProbe.measure(
            sentences: testSentences, model: pos, threadCounts: Array(Set([1, threads])).sorted(),
            repetitions: max(repetitions, CommandLineProbe.minimumRepetitions))
        // The in-process batch-256 rate of POS tagging from tokens at `threads`.
        func inProcess256(_ threads: Int) -> Double? {
            r.tagging.first {
                $0.model == "pos" && $0.input == "tokens" && $0.batch == 256
                    && $0.threads == threads
            }?.tokensPerSecond
        }
        // The issue of a narrower OpenBLAS core than the CPU runs: the same probe with the
        // best core, in a child process.
        let bestCore = BestCoreProbe.measure(
            m: 32 * 40, n: 1024, k: 150, currentCore: r.kernels.core)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var object = try JSONObject.from(encoder.encode(r))
            if let bestCore {
                object["bestCore"] = bestCore.core
                object["bestCoreSgemmGFLOPS"] = bestCore.gflops
            }
            if let commandLine {
                object["commandLine"] = commandLine.map { reading -> [String: Any] in
                    var row: [String: Any] = [
                        "threads": reading.threads, "tokens": reading.tokens,
                        "tokensPerSecond": reading.tokensPerSecond,
                    ]
                    if let rate = inProcess256(reading.threads) {
                        row["fractionOfInProcessBatch256"] = reading.tokensPerSecond / rate
                    }
                    if let rate = reading.inProcessTokensPerSecond {
                        row["inProcessTokensPerSecond"] = rate
                        row["fractionOfInProcessSameTokens"] = reading.tokensPerSecond / rate
                    }
                    return row
                }
            }
            if let pipelineResult {
                object["pipeline"] = try JSONObject.from(encoder.encode(pipelineResult))
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(
            String(
                format:
                    "reference tagger: %.2f MFLOP/token forward, %.2f per training step",
                r.forwardFLOPsPerToken / 1e6, r.trainingFLOPsPerToken / 1e6))
        print(
            String(
                format:
                    "limit %.1f GFLOP/s on one thread, the better of OpenBLAS sgemm %.1f (core %@, 1280×1024×150) and the packed kernel %.1f (%@, 32×512×150)",
                r.limitGFLOPS, r.sgemmGFLOPS, r.kernels.core, r.packedGFLOPS,
                r.kernels.kernelLevel))
        // "of sgemm": against OpenBLAS's best core for this CPU, where the process runs another.
        let sgemmReference = bestCore?.gflops ?? r.sgemmGFLOPS
        if let bestCore {
            print(
                String(
                    format:
                        "OpenBLAS sgemm with its best core for this CPU (%@, in a child process): %.1f GFLOP/s on the same shape; \"of sgemm\" is against it",
                    bestCore.core, bestCore.gflops))
        }
        print(
            String(
                format: "model load %.1f ms (%.1f MB file); EWT test %d sentences, %d tokens",
                r.modelLoadMilliseconds, Double(r.modelBytes) / 1e6, r.testSentences, r.testTokens)
        )
        print("model  input   batch  threads    tokens/s   of limit   of sgemm")
        for f in r.tagging {
            let ofSgemm =
                f.tokensPerSecond * r.forwardFLOPsPerToken / 1e9
                / (sgemmReference * Double(f.threads))
            print(
                f.model.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + f.input.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + String(
                        format: "%6d  %7d  %10.0f   %6.1f%%    %6.1f%%", f.batch, f.threads,
                        f.tokensPerSecond, 100 * f.fractionOfLimit, 100 * ofSgemm))
        }
        print(String(format: "peak memory after tagging: %.0f MiB", r.taggingPeakMemoryMiB))
        if let commandLine, let first = commandLine.first {
            print(
                "command line, `tagger tag --input tokens --format conll` over the test tokens ×\(CommandLineProbe.copies) (\(first.tokens) tokens), whole process:"
            )
            print(
                "(\"same tokens\": the same tokens tagged in this process at batch 256, timed right after each run; \"batch 256\": the row above)"
            )
            print("threads    tokens/s   same tokens in process   of it   of batch 256")
            for reading in commandLine {
                func percent(_ rate: Double?) -> String {
                    rate.map { String(format: "%6.1f%%", 100 * reading.tokensPerSecond / $0) }
                        ?? "     -"
                }
                let sameTokens =
                    reading.inProcessTokensPerSecond.map { String(format: "%10.0f", $0) }
                    ?? "         -"
                print(
                    String(format: "%7d  %10.0f   ", reading.threads, reading.tokensPerSecond)
                        + "          " + sameTokens + "  " + percent(reading.inProcessTokensPerSecond)
                        + "      " + percent(inProcess256(reading.threads)))
            }
        }
        if let p = pipelineResult {
            print("pipeline from raw text (\(p.lines) lines, \(p.tokens) words, batch 32):")
            print("components            threads    tokens/s    seconds   of limit")
            for row in p.rows {
                let flops = row.components.split(separator: ",").reduce(0.0) {
                    $0 + (componentFLOPs[String($1)] ?? 0)
                }
                print(
                    row.components.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + String(
                            format: "%7d  %10.0f   %8.3f   %6.1f%%", row.threads,
                            row.tokensPerSecond, row.seconds,
                            100 * row.tokensPerSecond * flops / 1e9
                                / (r.limitGFLOPS * Double(row.threads))))
            }
            for (threads, ratio) in p.pipelineOverSum.sorted(by: { $0.key < $1.key }) {
                print(
                    String(
                        format: "pipeline over the sum of its components, %@ thread(s): %.2f",
                        threads, ratio))
            }
        }
        if r.trainingTokens > 0 {
            let epochs = r.trainingEpochTokensPerSecond.map { String(format: "%.0f", $0) }
            print(
                String(
                    format:
                        "training, one epoch of EWT train (%d tokens), %d thread(s): %.0f tokens/s",
                    r.trainingTokens, r.trainingThreads, r.trainingTokensPerSecond)
                    + " (fastest of \(epochs.count) epochs: \(epochs.joined(separator: ", ")))"
                    + String(
                        format: ", %.1f%% of limit, %.1f%% of sgemm; peak memory %.0f MiB",
                        100 * r.trainingFractionOfLimit,
                        100 * r.trainingTokensPerSecond * r.trainingFLOPsPerToken / 1e9
                            / (sgemmReference * Double(r.trainingThreads)),
                        r.trainingPeakMemoryMiB))
        }
    }
}

/// A JSON object from encoded bytes, to add keys to.
enum JSONObject {
    static func from(_ data: Data) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
