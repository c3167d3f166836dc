import Foundation
import Tagging
import XCTest

/// Bytes filled in by a reading thread and read after it has finished.
final class ReceivedData: @unchecked Sendable {
    /// The bytes so far.
    var data = Data()
}

/// Runs the built `tagger` binary with an environment of its own, feeding standard input.
struct TaggerProcess {
    /// The result of a finished run.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `tagger arguments` on `input` and waits for it; `environment` entries are added to
    /// (or, with an empty value, replace) the test's own environment, from which the variables
    /// named in `unsetting` are removed.
    static func run(
        _ arguments: [String], input: [UInt8] = [], environment: [String: String] = [:],
        unsetting: [String] = []
    ) throws -> Result {
        let process = Process()
        process.executableURL = TaggerCLITests.taggerURL
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        for name in unsetting { inherited[name] = nil }
        process.environment = inherited.merging(environment) { $1 }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write on another thread so a large input cannot dead-lock against a full stdout pipe.
        let writing = DispatchGroup()
        writing.enter()
        DispatchQueue.global().async {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
            writing.leave()
        }
        let errorData = ReceivedData()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            errorData.data = stderr.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        writing.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: errorData.data, as: UTF8.self))
    }
}

extension TaggerProcess {
    /// What a streamed run gave: the output read after writing `first` while standard
    /// input was still open, whether the process was still running then, and the rest.
    struct Streamed {
        var first: String
        var wasRunning: Bool
        var rest: String
        var status: Int32
    }

    /// Starts `tagger arguments`, writes `first`, reads up to the first line break of
    /// output (waiting at most 60 s) with standard input still open, then writes `then`,
    /// closes standard input and reads the rest.
    static func streamed(_ arguments: [String], first: String, then: String) throws -> Streamed {
        let process = Process()
        process.executableURL = TaggerCLITests.taggerURL
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        stdin.fileHandleForWriting.write(Data(first.utf8))
        let received = ReceivedData()
        let firstLine = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while !received.data.contains(0x0A) {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                received.data.append(chunk)
            }
            firstLine.signal()
        }
        let timedOut = firstLine.wait(timeout: .now() + 60) == .timedOut
        let wasRunning = process.isRunning
        if timedOut { process.terminate() }
        stdin.fileHandleForWriting.write(Data(then.utf8))
        try stdin.fileHandleForWriting.close()
        if timedOut { firstLine.wait() }
        let rest = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Streamed(
            first: timedOut ? "" : String(decoding: received.data, as: UTF8.self),
            wasRunning: wasRunning, rest: String(decoding: rest, as: UTF8.self),
            status: process.terminationStatus)
    }
}

/// Tiny models trained once per test run with the `Trainer` API (fixed seed), saved to a
/// temporary directory that the tests pass to `--model` or `$TAGGER_MODELS`.
enum TinyModels {
    /// The directory holding `pos-en.model`, `ner-en.model` and `sentiment-en.model`.
    static let directory: String = {
        let path =
            NSTemporaryDirectory() + "tag-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TinyModels.directory) }
        return path
    }()

    static func network(hidden: Int = 16) -> NetworkConfiguration {
        var network = NetworkConfiguration()
        network.hidden = hidden
        network.dropout = 0
        network.embedder.wordDimension = 16
        network.embedder.characterDimension = 8
        network.embedder.characterHidden = 8
        network.embedder.wordDropout = 0
        return network
    }

    static var options: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 60
        options.learningRate = 0.01
        options.seed = 7
        options.patience = 60
        options.batchSize = 4
        return options
    }

    static let posSentences: [TrainingSentence] = [
        TrainingSentence(
            words: ["The", "cat", "ran", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
        TrainingSentence(words: ["Dogs", "bark", "."], tags: ["NOUN", "VERB", "PUNCT"]),
        TrainingSentence(
            words: ["The", "dog", "ran", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
        TrainingSentence(
            words: ["I", "do", "n't", "know", "."], tags: ["PRON", "AUX", "PART", "VERB", "PUNCT"]),
    ]

    static let nerSentences: [TrainingSentence] = [
        TrainingSentence(
            words: ["Alice", "lives", "in", "Paris", "."], tags: ["B-PER", "O", "O", "B-LOC", "O"]),
        TrainingSentence(
            words: ["Bob", "Smith", "visited", "Acme", "."],
            tags: ["B-PER", "I-PER", "O", "B-ORG", "O"]),
        TrainingSentence(
            words: ["Alice", "visited", "Paris", "."], tags: ["B-PER", "O", "B-LOC", "O"]),
    ]

    static let sentimentTexts: [TrainingText] = [
        TrainingText(words: ["a", "fine", "film"], label: "positive"),
        TrainingText(words: ["a", "dull", "film"], label: "negative"),
        TrainingText(words: ["loved", "it"], label: "positive"),
        TrainingText(words: ["hated", "it"], label: "negative"),
    ]

    /// `pos-en.model`, trained on first use.
    static let pos: String = {
        let path = directory + "/pos-en.model"
        let outcome = try! Trainer(options: options).trainTagger(
            task: .pos, network: network(), train: posSentences, dev: posSentences)
        try! outcome.model.save(to: path)
        return path
    }()

    /// `ner-en.model`, trained on first use.
    static let ner: String = {
        let path = directory + "/ner-en.model"
        let outcome = try! Trainer(options: options).trainTagger(
            task: .ner, network: network(), train: nerSentences, dev: nerSentences)
        try! outcome.model.save(to: path)
        return path
    }()

    /// `sentiment-en.model`, trained on first use.
    static let sentiment: String = {
        let path = directory + "/sentiment-en.model"
        let outcome = try! Trainer(options: options).trainClassifier(
            network: network(), train: sentimentTexts, dev: sentimentTexts)
        try! outcome.model.save(to: path)
        return path
    }()
}

/// `tagger tag`: every input and output format on a small input, CoNLL-U round trips, exit
/// codes for bad input and missing models, and streaming through a pipe.
final class TagCommandTests: XCTestCase {
    func tag(_ arguments: [String], _ input: String, environment: [String: String] = [:])
        throws -> TaggerProcess.Result
    {
        try TaggerProcess.run(
            ["tag"] + arguments, input: Array(input.utf8), environment: environment)
    }

    /// Replaces every `"probability":0.1234` by `"probability":P` so lines compare exactly.
    func maskingProbabilities(_ text: String) -> String {
        text.replacingOccurrences(
            of: #""probability":[01]\.[0-9]{4}"#, with: #""probability":P"#,
            options: .regularExpression)
    }

    func testTextInputTextOutputKeepsOneLinePerInputLine() throws {
        let result = try tag(["--model", TinyModels.pos], "The cat ran.\n\nDogs bark.\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(
            result.stdout, "The/DET cat/NOUN ran/VERB ./PUNCT\n\nDogs/NOUN bark/VERB ./PUNCT\n")
    }

    func testDefaultModelComesFromTaggerModels() throws {
        _ = (TinyModels.pos, TinyModels.ner)
        let pos = try tag([], "Dogs bark.", environment: ["TAGGER_MODELS": TinyModels.directory])
        XCTAssertEqual(pos.status, 0, pos.stderr)
        XCTAssertEqual(pos.stdout, "Dogs/NOUN bark/VERB ./PUNCT\n")
        let ner = try tag(
            ["--task", "ner"], "Alice lives in Paris.\n",
            environment: ["TAGGER_MODELS": TinyModels.directory])
        XCTAssertEqual(ner.status, 0, ner.stderr)
        XCTAssertEqual(ner.stdout, "Alice/B-PER lives/O in/O Paris/B-LOC ./O\n")
    }

    /// Without `$TAGGER_MODELS` the models directory is found above the executable: the
    /// repository's `models/`.
    func testDefaultModelsDirectoryIsFoundAboveTheExecutable() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let expected = repository.appendingPathComponent("models/pos-en.model").path
        let result = try tag([], "Dogs bark.\n", environment: ["TAGGER_MODELS": ""])
        if FileManager.default.fileExists(atPath: expected) {
            XCTAssertEqual(result.status, 0, result.stderr)
        } else {
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
        }
    }

    func testTokensInputConllOutput() throws {
        let result = try tag(
            ["--model", TinyModels.pos, "--input", "tokens", "--format", "conll"],
            "The\tx\ncat\nran\n.\n\n\nDogs O\nbark\n.\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            "The\tDET\ncat\tNOUN\nran\tVERB\n.\tPUNCT\n\nDogs\tNOUN\nbark\tVERB\n.\tPUNCT\n\n")
    }

    func testTextInputCoNLLUOutputTagsSyntacticWords() throws {
        let result = try tag(
            ["--model", TinyModels.pos, "--format", "conllu"], "I don't know.\n  \nThe cat ran.")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            """
            # sent_id = 1
            # text = I don't know.
            1\tI\t_\tPRON\t_\t_\t0\troot\t_\t_
            2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
            2\tdo\t_\tAUX\t_\t_\t1\tdep\t_\t_
            3\tn't\t_\tPART\t_\t_\t1\tdep\t_\t_
            4\tknow\t_\tVERB\t_\t_\t1\tdep\t_\tSpaceAfter=No
            5\t.\t_\tPUNCT\t_\t_\t1\tdep\t_\t_

            # sent_id = 2
            # text = The cat ran.
            1\tThe\t_\tDET\t_\t_\t0\troot\t_\t_
            2\tcat\t_\tNOUN\t_\t_\t1\tdep\t_\t_
            3\tran\t_\tVERB\t_\t_\t1\tdep\t_\tSpaceAfter=No
            4\t.\t_\tPUNCT\t_\t_\t1\tdep\t_\t_


            """)
    }

    /// A CoNLL-U file with a byte order mark, CRLF lines, comments, every column filled, a
    /// multiword token, an empty node and two blank lines at the end.
    static func goldCoNLLU(upos: [String], misc: [String]) -> String {
        let lines = [
            "# newdoc id = d1",
            "# sent_id = a-1",
            "# text = I don't know.",
            "1\tI\tI\t\(upos[0])\tPRP\tCase=Nom\t4\tnsubj\t4:nsubj\t\(misc[0])",
            "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\tGloss=x",
            "2\tdo\tdo\t\(upos[1])\tVBP\t_\t4\taux\t4:aux\t\(misc[1])",
            "3\tn't\tnot\t\(upos[2])\tRB\t_\t4\tadvmod\t4:advmod\t\(misc[2])",
            "4\tknow\tknow\t\(upos[3])\tVB\t_\t0\troot\t0:root\t\(misc[3])",
            "4.1\tknows\tknow\t_\t_\t_\t_\t_\t4:conj\t_",
            "5\t.\t.\t\(upos[4])\t.\t_\t4\tpunct\t4:punct\t\(misc[4])",
            "",
            "# sent_id = a-2",
            "1\tDogs\tdog\t\(upos[5])\tNNS\t_\t2\tnsubj\t_\t\(misc[5])",
            "2\tbark\tbark\t\(upos[6])\tVBP\t_\t0\troot\t_\t\(misc[6])",
            "3\t.\t.\t\(upos[7])\t.\t_\t2\tpunct\t_\t\(misc[7])",
            "",
            "",
        ]
        return "\u{FEFF}" + lines.joined(separator: "\r\n")
    }

    func testCoNLLURoundTripFillsOnlyTheTagColumn() throws {
        let misc = ["_", "_", "_", "SpaceAfter=No", "_", "_", "SpaceAfter=No|NER=X", "_"]
        let input = Self.goldCoNLLU(upos: Array(repeating: "X", count: 8), misc: misc)
        let gold = ["PRON", "AUX", "PART", "VERB", "PUNCT", "NOUN", "VERB", "PUNCT"]
        let pos = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos, "--input", "conllu", "--format", "conllu"],
            input: Array(input.utf8))
        XCTAssertEqual(pos.status, 0, pos.stderr)
        XCTAssertEqual(pos.stdout, Self.goldCoNLLU(upos: gold, misc: misc))

        let xpos = try tag(
            [
                "--model", TinyModels.pos, "--input", "conllu", "--format", "conllu", "--column",
                "misc",
            ],
            input)
        XCTAssertEqual(xpos.status, 0, xpos.stderr)
        var withTags = misc
        for k in withTags.indices {
            let items = withTags[k] == "_" ? [] : withTags[k].split(separator: "|").map(String.init)
            withTags[k] = (items + ["POS=" + gold[k]]).joined(separator: "|")
        }
        XCTAssertEqual(
            xpos.stdout, Self.goldCoNLLU(upos: Array(repeating: "X", count: 8), misc: withTags))

        let conll = try tag(
            ["--model", TinyModels.pos, "--input", "conllu", "--format", "conll"], input)
        XCTAssertEqual(
            conll.stdout,
            "I\tPRON\ndo\tAUX\nn't\tPART\nknow\tVERB\n.\tPUNCT\n\nDogs\tNOUN\nbark\tVERB\n.\tPUNCT\n\n"
        )
    }

    func testNERCoNLLUOutputUsesMISC() throws {
        let result = try tag(
            ["--model", TinyModels.ner, "--format", "conllu"], "Bob Smith visited Acme.\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            """
            # sent_id = 1
            # text = Bob Smith visited Acme.
            1\tBob\t_\t_\t_\t_\t0\troot\t_\tNER=B-PER
            2\tSmith\t_\t_\t_\t_\t1\tdep\t_\tNER=I-PER
            3\tvisited\t_\t_\t_\t_\t1\tdep\t_\tNER=O
            4\tAcme\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No|NER=B-ORG
            5\t.\t_\t_\t_\t_\t1\tdep\t_\tNER=O


            """)
    }

    func testJSONLinesHaveOffsetsProbabilitiesAndEntities() throws {
        let result = try tag(
            ["--model", TinyModels.ner, "--format", "json"],
            "  Bob Smith visited Acme.\n\u{e9}\t\"Alice\" lives in Paris.\n\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, result.stdout)
        guard lines.count == 4 else { return }
        XCTAssertEqual(
            maskingProbabilities(String(lines[0])),
            #"{"text":"  Bob Smith visited Acme.","tokens":["#
                + #"{"text":"Bob","start":2,"end":5,"tag":"B-PER","probability":P},"#
                + #"{"text":"Smith","start":6,"end":11,"tag":"I-PER","probability":P},"#
                + #"{"text":"visited","start":12,"end":19,"tag":"O","probability":P},"#
                + #"{"text":"Acme","start":20,"end":24,"tag":"B-ORG","probability":P},"#
                + #"{"text":".","start":24,"end":25,"tag":"O","probability":P}],"#
                + #""entities":[{"start":2,"end":11,"type":"PER","text":"Bob Smith"},"#
                + #"{"start":20,"end":24,"type":"ORG","text":"Acme"}]}"#)
        // A blank line keeps its place as an object without tokens.
        XCTAssertEqual(lines[2], #"{"text":"","tokens":[],"entities":[]}"#)
        XCTAssertEqual(lines[3], "")
        // The second line: a control character escaped, quotes escaped, offsets in scalars.
        XCTAssertTrue(
            lines[1].hasPrefix(#"{"text":"\#u{e9}\t\"Alice\" lives in Paris.","#), String(lines[1]))
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        let text = try XCTUnwrap(object["text"] as? String)
        XCTAssertEqual(text, "\u{e9}\t\"Alice\" lives in Paris.")
        let scalars = Array(text.unicodeScalars)
        func substring(_ item: [String: Any]) -> String? {
            guard let start = item["start"] as? Int, let end = item["end"] as? Int,
                0 <= start, start < end, end <= scalars.count
            else { return nil }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[start..<end])
            return String(view)
        }
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(
            tokens.map { $0["text"] as? String },
            ["\u{e9}", "\"", "Alice", "\"", "lives", "in", "Paris", "."])
        XCTAssertEqual(tokens.map(substring), tokens.map { $0["text"] as? String })
        XCTAssertEqual(tokens[2]["start"] as? Int, 3)
        for token in tokens {
            let p = try XCTUnwrap(token["probability"] as? Double)
            XCTAssertTrue(p > 0 && p <= 1, "\(p)")
        }
        for entity in try XCTUnwrap(object["entities"] as? [[String: Any]]) {
            XCTAssertEqual(substring(entity), entity["text"] as? String)
        }
    }

    func testSplitSentencesTagsRunningText() throws {
        let result = try tag(
            ["--model", TinyModels.pos, "--split-sentences", "--splitter", "perceptron"],
            "The cat ran. Dogs bark.\n\nThe dog\nran.\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        // A paragraph of short lines: each line ends a sentence (`--line-breaks auto`).
        XCTAssertEqual(
            result.stdout,
            "The/DET cat/NOUN ran/VERB ./PUNCT\nDogs/NOUN bark/VERB ./PUNCT\nThe/DET dog/NOUN\nran/VERB ./PUNCT\n"
        )
        let wrap = try tag(
            [
                "--model", TinyModels.pos, "--split-sentences", "--splitter", "perceptron",
                "--line-breaks", "wrap",
            ], "The dog\nran.\n")
        XCTAssertEqual(wrap.stdout, "The/DET dog/NOUN ran/VERB ./PUNCT\n")
        // A hard-wrapped paragraph is one sentence under auto, as under wrap.
        func sentences(_ lineBreaks: String, _ text: String) throws -> Int {
            let run = try tag(
                [
                    "--model", TinyModels.pos, "--split-sentences", "--splitter", "perceptron",
                    "--line-breaks", lineBreaks, "--format", "conll",
                ], text)
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.stdout.components(separatedBy: "\n\n").count - 1
        }
        let wrapped =
            "The dog ran and the cat ran and the dog ran and the cat\nran and the dog ran.\n"
        XCTAssertEqual(try sentences("auto", wrapped), 1)
        XCTAssertEqual(try sentences("wrap", wrapped), 1)
        XCTAssertEqual(try sentences("boundary", wrapped), 2)
    }

    func testEmptyInputGivesNoOutput() throws {
        for input in ["text", "tokens", "conllu"] {
            for format in ["text", "conllu", "json", "conll"] {
                let result = try tag(
                    ["--model", TinyModels.pos, "--input", input, "--format", format], "")
                XCTAssertEqual(result.status, 0, "\(input) → \(format): \(result.stderr)")
                XCTAssertEqual(result.stdout, "", "\(input) → \(format)")
                XCTAssertEqual(result.stderr, "", "\(input) → \(format)")
            }
        }
    }

    func testInvalidUTF8IsReportedWithLineAndByteOffset() throws {
        let input = Array("The cat ran.\nab".utf8) + [0xFF] + Array("c\n".utf8)
        let result = try TaggerProcess.run(["tag", "--model", TinyModels.pos], input: input)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains(":2: invalid UTF-8 at byte offset 15"), result.stderr)
        // The sentences before the bad line were tagged and written.
        XCTAssertEqual(result.stdout, "The/DET cat/NOUN ran/VERB ./PUNCT\n")

        let tokens = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos, "--input", "conllu"],
            input: Array("1\ta".utf8) + [0xC3])
        XCTAssertEqual(tokens.status, 1)
        XCTAssertTrue(tokens.stderr.contains("byte offset 3"), tokens.stderr)

        let replaced = try TaggerProcess.run(
            ["tag", "--model", TinyModels.pos, "--replace-invalid", "--format", "conll"],
            input: input)
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertTrue(replaced.stdout.contains("\u{FFFD}"), replaced.stdout)
    }

    func testMissingModelsAndUsageErrors() throws {
        let missing = try tag(
            [], "Dogs bark.\n", environment: ["TAGGER_MODELS": "/nonexistent/models"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.contains("/nonexistent/models/pos-en.model"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--model"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("make models"), missing.stderr)

        let ner = try tag(
            ["--task", "ner"], "", environment: ["TAGGER_MODELS": "/nonexistent/models"])
        XCTAssertEqual(ner.status, 1)
        XCTAssertTrue(ner.stderr.contains("ner-en.model"), ner.stderr)

        let absent = try tag(["--model", "/nonexistent/absent.model"], "Dogs bark.\n")
        XCTAssertEqual(absent.status, 1)
        XCTAssertTrue(absent.stderr.contains("/nonexistent/absent.model"), absent.stderr)

        let notAModel = TinyModels.directory + "/garbage.model"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notAModel))
        let garbage = try tag(["--model", notAModel], "Dogs bark.\n")
        XCTAssertEqual(garbage.status, 1)
        XCTAssertTrue(garbage.stderr.contains("garbage.model"), garbage.stderr)

        let wrongKind = try tag(["--model", TinyModels.sentiment], "Dogs bark.\n")
        XCTAssertEqual(wrongKind.status, 1)
        let mismatch = try tag(["--model", TinyModels.pos, "--task", "ner"], "Dogs bark.\n")
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.stderr.contains("--task ner"), mismatch.stderr)

        for arguments in [
            ["--format", "xml"], ["--input", "tokens", "--split-sentences"],
            ["--column", "misc"], ["--batch-size", "0"], ["--task", "sentiment"],
        ] {
            let result = try tag(["--model", TinyModels.pos] + arguments, "")
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
        }
    }

    func testFirstOutputArrivesBeforeTheInputEnds() throws {
        let run = try TaggerProcess.streamed(
            ["tag", "--model", TinyModels.pos], first: "The cat ran.\n", then: "Dogs bark.\n")
        XCTAssertEqual(run.first, "The/DET cat/NOUN ran/VERB ./PUNCT\n")
        XCTAssertTrue(run.wasRunning)
        XCTAssertEqual(run.rest, "Dogs/NOUN bark/VERB ./PUNCT\n")
        XCTAssertEqual(run.status, 0)
    }

    func testInputFile() throws {
        let path = TinyModels.directory + "/input-\(UUID().uuidString).txt"
        try Data("Dogs bark.\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try tag(["--model", TinyModels.pos, "--input-file", path], "ignored\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "Dogs/NOUN bark/VERB ./PUNCT\n")
        let missing = try tag(["--model", TinyModels.pos, "--input-file", path + ".absent"], "")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains(path + ".absent"), missing.stderr)
    }

    func testLargeInputIsTaggedInBatches() throws {
        let input = String(repeating: "The cat ran.\nDogs bark.\n", count: 600)
        let result = try tag(["--model", TinyModels.pos, "--batch-size", "7"], input)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            String(
                repeating: "The/DET cat/NOUN ran/VERB ./PUNCT\nDogs/NOUN bark/VERB ./PUNCT\n",
                count: 600))
    }
}
