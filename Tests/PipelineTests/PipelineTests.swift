import Foundation
import SequenceTagging
import XCTest

/// The shipped models, loaded once for every test of this file.
enum Shipped {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let pipeline: Pipeline? = try? Pipeline()
}

final class PipelineTests: XCTestCase {
    private func shipped() throws -> Pipeline {
        try XCTUnwrap(Shipped.pipeline, "the shipped models in models/ could not be loaded")
    }

    func testFindsTheShippedModelsWithoutBeingTold() throws {
        // The package's models/ directory, found from the library itself.
        let locator = ModelLocator(environment: [:], executablePath: "/nonexistent/bin/app")
        // The joint POS+NER model is optional: shipped only when it beats the two it replaces.
        for model in ShippedModel.allCases
        where model != .posNER || locator.path(of: .posNER) != nil {
            let path = try locator.existingPath(of: model)
            XCTAssertEqual(
                URL(fileURLWithPath: path).standardizedFileURL.path,
                Shipped.root.appendingPathComponent("models/" + model.fileName).standardizedFileURL
                    .path)
        }
        XCTAssertEqual(try shipped().components, [.pos, .ner, .sentiment])
    }

    func testLocatorOrderAndMissingModelMessage() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("locator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let own = directory.appendingPathComponent(ShippedModel.pos.fileName).path
        FileManager.default.createFile(atPath: own, contents: Data([1]))
        // An explicit directory and $TAGGER_MODELS come before the package.
        XCTAssertEqual(ModelLocator(directory: directory.path).path(of: .pos), own)
        XCTAssertEqual(
            ModelLocator(environment: ["TAGGER_MODELS": directory.path]).path(of: .pos), own)
        // A directory the user names is the only one looked at.
        XCTAssertNil(ModelLocator(directory: directory.path).path(of: .ner))
        XCTAssertThrowsError(try ModelLocator(directory: directory.path).existingPath(of: .ner)) {
            XCTAssertTrue(
                $0.localizedDescription.contains(
                    directory.path + "/ner-en.model (the given directory) does not exist"),
                $0.localizedDescription)
        }
        // Otherwise the package, the executable's directories, then ./models.
        let nowhere = ModelLocator(
            environment: [:], executablePath: "/nonexistent/x", packageModels: "/nonexistent/models"
        )
        // The last place looked at is ./models: run from a directory without one.
        let current = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(current) }
        XCTAssertThrowsError(try nowhere.existingPath(of: .ner)) { error in
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("ner-en.model"), message)
            XCTAssertTrue(
                message.contains("/nonexistent/models/ner-en.model (the package)"), message)
            XCTAssertTrue(
                message.contains("/nonexistent/models/ner-en.model (the executable's location)"),
                message)
            XCTAssertTrue(
                message.contains("models/ner-en.model (the current directory) do not exist"),
                message)
            XCTAssertTrue(message.contains("TAGGER_MODELS"), message)
        }
    }

    func testOneCallAnnotatesAParagraph() throws {
        let text =
            "Alice Smith moved to Paris in 2019. The rent there is awful. I love the city anyway."
        let document = try shipped().annotate(text)
        XCTAssertEqual(document.text, text)
        XCTAssertEqual(document.sentences.count, 3)
        XCTAssertEqual(
            document.sentences.map { String(document.text(of: $0)) },
            [
                "Alice Smith moved to Paris in 2019.", "The rent there is awful.",
                "I love the city anyway.",
            ])
        // Every word has both tags; tokens map back to their text.
        for word in document.words {
            XCTAssertNotNil(word.pos)
            XCTAssertNotNil(word.ner)
        }
        for token in document.tokens {
            XCTAssertEqual(String(document.slice(token.range)), token.text)
        }
        XCTAssertEqual(document.words.first?.pos?.tag, "PROPN")
        XCTAssertEqual(
            document.entities.map { "\($0.type) \($0.text) \($0.range.scalars)" },
            ["PER Alice Smith 0..<11", "LOC Paris 21..<26"])
        XCTAssertEqual(document.entities[0].tokens, 0..<2)
        XCTAssertEqual(document.entities[0].sentence, 0)
        XCTAssertEqual(document.sentences[1].sentiment?.label, "negative")
        XCTAssertEqual(document.sentences[2].sentiment?.label, "positive")
        let sentiment = try XCTUnwrap(document.sentiment)
        XCTAssertEqual(sentiment.labels, ["negative", "positive"])
        XCTAssertEqual(sentiment.probabilities.reduce(0, +), 1, accuracy: 1e-4)
    }

    func testOffsetsInScalarsUTF16AndUTF8() throws {
        // An astral emoji (2 UTF-16 units, 4 bytes) and an accented letter (2 bytes) before
        // the entity shift the three counts differently.
        let text = "😀 Café owner Bob Dylan visited Berlin."
        let document = try shipped().annotate(text)
        let bob = try XCTUnwrap(document.tokens.first { $0.text == "Bob" })
        XCTAssertEqual(bob.range.scalars, 13..<16)
        XCTAssertEqual(bob.range.utf16, 14..<17)
        XCTAssertEqual(bob.range.utf8, 17..<20)
        let utf16 = Array(text.utf16)
        for token in document.tokens {
            XCTAssertEqual(
                String(decoding: utf16[token.range.utf16], as: UTF16.self), token.text)
            let scalars = Array(text.unicodeScalars)[token.range.scalars]
            XCTAssertEqual(String(String.UnicodeScalarView(scalars)), token.text)
        }
    }

    func testMultiwordTokensKeepTheirWords() throws {
        let document = try shipped().annotate("I don't know.")
        let token = try XCTUnwrap(document.tokens.first { $0.text == "don't" })
        XCTAssertEqual(token.words.count, 2)
        XCTAssertEqual(document.words[token.words].map(\.text), ["do", "n't"])
        XCTAssertEqual(document.words[token.words].map { $0.token }, [1, 1])
        XCTAssertEqual(document.words[token.words].map { $0.pos?.tag }, ["AUX", "PART"])
    }

    /// The pipeline gives what each model gives alone on the same words, as `tag` and
    /// `classify` run them.
    func testSameTagsAsTheModelsAlone() throws {
        let pipeline = try shipped()
        let lines = [
            "Alice Smith moved to Paris in 2019.", "",
            "The film was a delight from start to finish.",
            "I don't think the service was any good.",
            "Barack Obama met Angela Merkel in Berlin on Tuesday.",
        ]
        let reader = DocumentReader(
            lines: LineReader(string: lines.joined(separator: "\n")), format: .text,
            layout: .sentencePerLine, pipeline: pipeline)
        var documents: [AnnotatedDocument] = []
        try pipeline.annotate(reader) { _, document in documents.append(document) }
        XCTAssertEqual(documents.count, lines.count)
        let words = lines.map { Tokenizer.english.tokenize($0).flatMap(\.syntacticWords) }
        let pos = try XCTUnwrap(pipeline.pos).tag(words)
        let ner = try XCTUnwrap(pipeline.ner).tag(words)
        let sentiment = try XCTUnwrap(pipeline.sentiment).probabilities(words)
        // The same tags and the same probabilities to the bit, although the pipeline reads
        // the sentences in one batch and the models here one at a time.
        func assertSame(_ a: [Float], _ b: [Float]) {
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(a) vs \(b)")
        }
        for (k, document) in documents.enumerated() {
            XCTAssertEqual(document.words.map(\.text), words[k])
            XCTAssertEqual(document.words.compactMap(\.pos?.tag), pos[k].map(\.tag))
            XCTAssertEqual(document.words.compactMap(\.ner?.tag), ner[k].map(\.tag))
            assertSame(document.words.compactMap(\.pos?.probability), pos[k].map(\.probability))
            assertSame(document.words.compactMap(\.ner?.probability), ner[k].map(\.probability))
            if words[k].isEmpty {
                XCTAssertNil(document.sentiment)
            } else {
                assertSame(try XCTUnwrap(document.sentiment).probabilities, sentiment[k])
            }
        }
    }

    func testPreTokenizedAndCoNLLUInput() throws {
        let pipeline = try shipped()
        let tokens = pipeline.annotate(tokens: [
            ["Alice", "Smith", "lives", "in", "Paris", "."], ["Hi", "!"],
        ])
        XCTAssertEqual(tokens.text, "Alice Smith lives in Paris . Hi !")
        XCTAssertEqual(tokens.sentences.count, 2)
        XCTAssertEqual(tokens.entities.map(\.text), ["Alice Smith", "Paris"])
        let conllu = try CoNLLUReader(
            string: """
                # text = I don't know.
                1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
                1\tdo\tdo\tAUX\t_\t_\t0\troot\t_\t_
                2\tn't\tnot\tPART\t_\t_\t1\tadvmod\t_\t_
                3\tknow\tknow\tVERB\t_\t_\t1\tdep\t_\tSpaceAfter=No
                4\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_


                """
        ).readAll()
        let document = pipeline.annotate(conllu: conllu)
        XCTAssertEqual(document.text, "don't know.")
        XCTAssertEqual(document.words.map(\.text), ["do", "n't", "know", "."])
        XCTAssertEqual(document.conllu.count, 1)
    }

    func testPreTokenizedDocumentOffsetsCountScalarsAndBytes() {
        // One, two, three and four UTF-8 bytes a scalar, and a scalar pair (e + combining
        // acute) that is one character.
        let document = Document(tokenizedSentences: [["a", "café", "€5"], [], ["😀", "e\u{301}"]])
        XCTAssertEqual(document.text, "a café €5 😀 e\u{301}")
        XCTAssertEqual(document.sentences, [0..<3, 3..<5])
        for token in document.tokens {
            let scalars = Array(document.text.unicodeScalars)[token.scalarRange]
            XCTAssertEqual(String(String.UnicodeScalarView(scalars)), token.text)
            let bytes = Array(document.text.utf8)[token.utf8Range]
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), token.text)
        }
        XCTAssertEqual(document.tokens.map(\.scalarRange), [0..<1, 2..<6, 7..<9, 10..<11, 12..<14])
    }

    func testLongSentencesAreWindowedInTheLibrary() throws {
        let pipeline = try shipped()
        let words = (0..<2500).map { $0 % 10 == 9 ? "," : "word" }
        let document = pipeline.annotate(tokens: [words])
        XCTAssertEqual(document.words.count, 2500)
        XCTAssertTrue(document.words.allSatisfy { $0.pos != nil && $0.ner != nil })
        XCTAssertNotNil(document.sentences[0].sentiment)
    }

    func testManyTextsAtOnceEqualOneByOne() throws {
        let pipeline = try shipped()
        let texts = [
            "Tim Cook runs Apple. He lives in California.", "", "Terrible food. Great staff!",
            "The United Nations met in Geneva.",
        ]
        let batch = pipeline.annotate(texts)
        for (text, document) in zip(texts, batch) {
            let alone = pipeline.annotate(text)
            // Tags, probabilities (to the bit), tokens, entities and sentiment.
            XCTAssertEqual(document.words, alone.words)
            XCTAssertEqual(document.tokens, alone.tokens)
            XCTAssertEqual(document.entities, alone.entities)
            XCTAssertEqual(document.sentences, alone.sentences)
            XCTAssertEqual(document.sentiment, alone.sentiment)
        }
        XCTAssertTrue(batch[1].sentences.isEmpty)
        XCTAssertNil(batch[1].sentiment)
    }

    func testSharedByManyThreads() throws {
        let pipeline = try shipped()
        let texts = (0..<16).map { "Sentence \($0) about Maria Garcia in Madrid. It was lovely." }
        let serial = texts.map { pipeline.annotate($0).words }
        var results = [[AnnotatedWord]](repeating: [], count: texts.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: texts.count) { k in
            let words = pipeline.annotate(texts[k]).words
            lock.lock()
            results[k] = words
            lock.unlock()
        }
        XCTAssertEqual(results, serial)
    }

    /// Sentiment evaluation reads each text as classify reads a line, and training reads
    /// the words of the same tokenizer.
    func testSentimentEvaluationAndTrainingReadWhatClassifyReads() throws {
        let pipeline = try shipped()
        let sst = [
            "1 we root for -lrb- clara and paul -rrb- , even like them .",
            "0 they 're seeking a coming-of-age story and do n't find it .",
            "1 a gorgeous , high-spirited musical .",
        ]
        let reader = DocumentReader(
            lines: LineReader(string: sst.map { String($0.dropFirst(2)) }.joined(separator: "\n")),
            format: .text, layout: .sentencePerLine, pipeline: pipeline)
        var streamed: [AnnotatedDocument] = []
        try pipeline.annotate(reader) { _, document in streamed.append(document) }
        let examples = try SentimentReader(string: sst.joined(separator: "\n")).readAll()
        let annotated = pipeline.annotate(lines: examples.map(\.text))
        XCTAssertEqual(
            annotated.map { $0.words.map(\.text) }, streamed.map { $0.words.map(\.text) })
        XCTAssertEqual(
            annotated.map { $0.sentences.first?.sentiment },
            streamed.map { $0.sentences.first?.sentiment })
        let model = try XCTUnwrap(pipeline.sentiment)
        XCTAssertEqual(
            SentimentEvaluation.predictedLabels(
                pipeline: pipeline, texts: examples.map(\.text), batchSize: 2),
            streamed.map { document in
                document.sentences.first?.sentiment.map {
                    model.labels[model.labelNames.firstIndex(of: $0.label)!]
                }
            })

        let directory = NSTemporaryDirectory() + "sentiment-words-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/train.txt"
        try sst.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let tokenized = try TrainingData.readLabelled(path: path, tokenizer: .english)
        XCTAssertEqual(tokenized.map(\.words), streamed.map { $0.words.map(\.text) })
        XCTAssertEqual(tokenized.map(\.label), ["1", "0", "1"])
        // Split on spaces, the texts are other words (`-lrb-` is one, `- lrb -` three).
        let spaced = try TrainingData.readLabelled(path: path)
        XCTAssertNotEqual(spaced.map(\.words), tokenized.map(\.words))
    }

    func testDocumentPerLineReportsBadLinesAndGoesOn() throws {
        let pipeline = try shipped()
        let bytes: [UInt8] =
            Array("First one. Second one.\n\n".utf8) + [0x41, 0xFF, 0x0A]
            + Array("Last.".utf8)
        let reader = DocumentReader(
            lines: LineReader(bytes: bytes, options: LineReader.Options(markInvalid: true)),
            format: .text, layout: .documentPerLine, pipeline: pipeline)
        var inputs: [InputDocument] = []
        while let input = try reader.next() { inputs.append(input) }
        XCTAssertEqual(inputs.map(\.line), [1, 2, 3, 4])
        XCTAssertEqual(inputs[0].document.sentences.count, 2)
        XCTAssertNil(inputs[0].problem)
        XCTAssertEqual(inputs[1].problem, "<memory>:2: empty line (no text to annotate)")
        XCTAssertTrue(inputs[2].problem?.contains("invalid UTF-8 at byte offset 25") == true)
        XCTAssertNil(inputs[3].problem)
    }

    func testRunningTextGivenAsTokensIsAnError() throws {
        let reader = DocumentReader(
            lines: LineReader(string: "Alice moved to Paris.\nShe likes it.\n"), format: .tokens)
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual(
                error as? TokenInputError,
                .runningText(source: "<memory>", line: 2, columns: 3, firstLine: 1, firstColumns: 4)
            )
            XCTAssertTrue(error.localizedDescription.contains("--input text"))
        }
    }
}
