import Foundation
import LanguageModel
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import TestSupport
import Text
import XCTest

/// The character language model: vocabulary, gradients of the whole network, training on a
/// tiny stream, greedy and seeded generation, exact scoring, save and load, errors.
final class CharacterLanguageModelTests: XCTestCase {
    static let hello = String(repeating: "hello", count: 200)

    /// Options that learn "hello" repeated in well under a second.
    static func tinyOptions(cell: CellKind) -> CharacterLanguageModelTrainingOptions {
        var options = CharacterLanguageModelTrainingOptions()
        options.network.cell = cell
        options.network.hidden = 16
        options.network.embeddingDimension = 8
        options.minimumCharacterCount = 1
        options.streams = 4
        options.chunkSteps = 16
        options.epochs = 30
        options.learningRate = 0.01
        return options
    }

    static func helloModel(cell: CellKind = .lstm) throws -> CharacterLanguageModel {
        try CharacterLanguageModelTrainer(options: tinyOptions(cell: cell)).train(text: hello).model
    }

    // MARK: Vocabulary

    func testVocabularyUnitsAreUnicodeScalars() throws {
        // "é" as e + combining acute is two scalars; the emoji flag is two regional indicators.
        let text = "e\u{301}e\u{1F1EB}\u{1F1F7}ee"
        let vocabulary = CharacterVocabulary(counting: text, minimumCount: 1)
        XCTAssertEqual(
            vocabulary.symbols, ["<unk>", "<s>", "e", "\u{301}", "\u{1F1EB}", "\u{1F1F7}"])
        XCTAssertEqual(vocabulary.counts, [0, 0, 4, 1, 1, 1])
        XCTAssertEqual(vocabulary.encode("e\u{301}x"), [2, 3, CharacterVocabulary.unknownID])
        XCTAssertNil(vocabulary.scalar(for: CharacterVocabulary.startID))
        XCTAssertEqual(vocabulary.scalar(for: 2), "e")

        // Scalars seen fewer than `minimumCount` times count as <unk>.
        let frequent = CharacterVocabulary(counting: text, minimumCount: 2)
        XCTAssertEqual(frequent.symbols, ["<unk>", "<s>", "e"])
        XCTAssertEqual(frequent.counts, [3, 0, 4])
        XCTAssertEqual(
            try CharacterVocabulary(symbols: frequent.symbols, counts: frequent.counts), frequent)
    }

    func testVocabularyRejectsMalformedTables() {
        for (symbols, counts) in [
            (["<s>", "<unk>", "a"], [0, 0, 1]), (["<unk>", "<s>", "ab"], [0, 0, 1]),
            (["<unk>", "<s>", "a", "a"], [0, 0, 1, 1]), (["<unk>", "<s>", "a"], [0, 0]),
        ] {
            XCTAssertThrowsError(
                try CharacterVocabulary(symbols: symbols, counts: counts), "\(symbols)")
        }
    }

    func testUnigramBitsPerCharacter() {
        let vocabulary = CharacterVocabulary(counting: "aab", minimumCount: 1)
        // Add-one over <unk>, a, b: p(a) = 3/6, p(b) = 2/6.
        let expected = -(log2(3.0 / 6) + log2(2.0 / 6)) / 2
        XCTAssertEqual(vocabulary.unigramBitsPerCharacter(of: "ab"), expected, accuracy: 1e-12)
    }

    // MARK: Gradients

    /// The gradient of the mean cross-entropy of a chunk (from a given carried state) with
    /// respect to every parameter of the network, against central differences in Double,
    /// for each cell and two stacked layers.
    func testNetworkGradientsMatchCentralDifferences() {
        checkGradients(LSTMCell<Double>.self)
        checkGradients(GRUCell<Double>.self)
        checkGradients(RNNCell<Double>.self)
    }

    func checkGradients<Cell: RecurrentCell>(
        _: Cell.Type, file: StaticString = #filePath, line: UInt = #line
    )
    where Cell.Scalar == Double {
        var random = SeededRandom(seed: 11)
        let (symbols, streams, steps) = (5, 2, 4)
        var network = CharacterLanguageNetwork<Cell>(
            symbolCount: symbols, embeddingDimension: 3, hiddenSize: 4, layerCount: 2,
            random: &random)
        // A non-zero output bias, so that its gradient is not trivially small.
        network.output.bias = randomMatrix(rows: 1, columns: symbols, using: &random)
        let ids = (0..<(steps * streams)).map { _ in random.index(below: symbols) }
        let targets = (0..<(steps * streams)).map { _ in random.index(below: symbols) }
        let states = network.zeroStates(streams: streams).map { state in
            RecurrentState<Double>(
                hidden: randomMatrix(rows: streams, columns: 4, using: &random),
                cell: state.cell.map { _ in randomMatrix(rows: streams, columns: 4, using: &random)
                })
        }
        let loss = SoftmaxCrossEntropy<Double>()
        func value(_ n: CharacterLanguageNetwork<Cell>) -> Double {
            loss(
                logits: n.forward(ids: ids, streams: streams, states: states).logits,
                targets: targets
            )
            .loss
        }
        let r = network.forward(ids: ids, streams: streams, states: states)
        let gradient = network.backward(
            loss(logits: r.logits, targets: targets).gradient, cache: r.cache)
        GradientCheck(tolerance: 1e-6).assertParameterGradients(
            of: network, gradient: gradient, loss: value, file: file, line: line)
        // K2 = K1 is the full gradient of the chunk.
        let same = network.backward(
            loss(logits: r.logits, targets: targets).gradient, cache: r.cache, truncatedTo: steps)
        for p in network.parameters {
            XCTAssertEqual(
                gradient[keyPath: p.keyPath], same[keyPath: p.keyPath], p.name, file: file,
                line: line)
        }
    }

    // MARK: Training and generation

    func testLearnsHelloAndGeneratesItGreedilyWithEachCell() throws {
        for cell in CellKind.allCases {
            let model = try Self.helloModel(cell: cell)
            XCTAssertEqual(
                model.generate(prime: "h", length: 14, temperature: 0), "ellohellohello",
                cell.rawValue)
            let score = try model.evaluate(Self.hello)
            XCTAssertLessThan(score.bitsPerCharacter, 0.2, cell.rawValue)
        }
    }

    func testSeededSamplingIsReproducible() throws {
        var options = Self.tinyOptions(cell: .gru)
        options.epochs = 2
        let model = try CharacterLanguageModelTrainer(options: options).train(
            text: "the cat sat on the mat. a dog ran to the cat. " + Self.hello
        ).model
        let a = model.generate(prime: "th", length: 60, temperature: 1, seed: 7)
        let b = model.generate(prime: "th", length: 60, temperature: 1, seed: 7)
        let c = model.generate(prime: "th", length: 60, temperature: 1, seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.unicodeScalars.count, 60)
        // The iterator yields what `generate` returns, one scalar at a time.
        var view = String.UnicodeScalarView()
        view.append(contentsOf: model.samples(prime: "th", temperature: 1, seed: 7).prefix(60))
        XCTAssertEqual(String(view), a)
        // Top-1 sampling is greedy whatever the temperature and seed.
        XCTAssertEqual(
            model.generate(prime: "th", length: 30, temperature: 1.5, topK: 1, seed: 3),
            model.generate(prime: "th", length: 30, temperature: 0))
        // Special symbols are never drawn.
        XCTAssertFalse(a.contains("<"))
    }

    func testTrainerKeepsTheBestDevModelAndReportsEpochs() throws {
        var options = Self.tinyOptions(cell: .lstm)
        options.epochs = 4
        var trainer = CharacterLanguageModelTrainer(options: options)
        var epochs: [CharacterLanguageModelEpoch] = []
        var progress = 0
        trainer.onEvent = { event in
            switch event {
            case .epochFinished(let e): epochs.append(e)
            case .progress: progress += 1
            case .stoppedEarly: break
            }
        }
        let dev = String(repeating: "hello", count: 30)
        let outcome = try trainer.train(text: Self.hello, dev: dev)
        XCTAssertEqual(epochs.count, outcome.epochsRun)
        XCTAssertGreaterThan(progress, 0)
        let best = try XCTUnwrap(outcome.bestDev)
        XCTAssertEqual(best.bitsPerCharacter, epochs.compactMap(\.dev?.bitsPerCharacter).min())
        XCTAssertEqual(try outcome.model.evaluate(dev), best)
    }

    // MARK: Scoring

    /// `logProbability(of:)` reads the text in chunks and carries the state; it equals one
    /// forward pass over the whole text from `<s>`, and cut into streams each piece is scored
    /// from `<s>` on its own.
    func testScoringIsExactAcrossChunksAndStreams() throws {
        var random = SeededRandom(seed: 5)
        let text = String((0..<600).map { _ in "abc d\n".randomElement(using: &random)! })
        let vocabulary = CharacterVocabulary(counting: text, minimumCount: 1)
        var configuration = CharacterLanguageModelConfiguration()
        configuration.hidden = 8
        configuration.embeddingDimension = 4
        let network = CharacterLanguageNetwork<LSTMCell<Float>>(
            symbolCount: vocabulary.count, embeddingDimension: 4, hiddenSize: 8, layerCount: 1,
            random: &random)
        let model = CharacterLanguageModel(
            configuration: configuration, vocabulary: vocabulary, network: network)

        func reference(_ piece: ArraySlice<Int>) -> Double {
            let inputs = [CharacterVocabulary.startID] + piece.dropLast()
            let logits = network.forward(ids: Array(inputs), streams: 1).logits
            return zip(0..., piece).reduce(0.0) { total, step in
                let row = logits.row(step.0).map(Double.init)
                let maximum = row.max()!
                let normalizer =
                    maximum + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - maximum) })
                return total + row[step.1] - normalizer
            }
        }
        let ids = vocabulary.encode(text)
        let exact = reference(ids[...])
        XCTAssertEqual(model.logProbability(of: text), exact, accuracy: 1e-3 * abs(exact))
        XCTAssertEqual(model.logProbability(of: ""), 0)
        let split = reference(ids[0..<200]) + reference(ids[200..<400]) + reference(ids[400...])
        let score = try model.evaluate(text, streams: 3)
        XCTAssertEqual(score.characters, 600)
        XCTAssertEqual(score.logProbability, split, accuracy: 1e-3 * abs(split))
        XCTAssertEqual(score.perplexity, exp2(score.bitsPerCharacter), accuracy: 1e-9)
        XCTAssertThrowsError(try model.evaluate("")) { error in
            XCTAssertEqual(error as? LanguageModelError, .emptyText(source: "<text>"))
        }
    }

    // MARK: Files

    func testSaveAndLoadGiveIdenticalLogProbabilities() throws {
        let model = try Self.helloModel(cell: .gru)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("charlm-\(getpid()).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try CharacterLanguageModel.load(path: path)
        XCTAssertEqual(loaded.configuration, model.configuration)
        XCTAssertEqual(loaded.vocabulary, model.vocabulary)
        for text in ["hello", "hel", "olleh", "hex?"] {
            XCTAssertEqual(loaded.logProbability(of: text), model.logProbability(of: text), text)
        }
        XCTAssertEqual(
            loaded.generate(prime: "he", length: 20, seed: 2),
            model.generate(prime: "he", length: 20, seed: 2))
        // Another model kind is refused with a message that names both.
        var file = try model.modelFile()
        file.architecture = "BiRNNTokenClassifier.v1"
        XCTAssertThrowsError(try CharacterLanguageModel(file: file, path: "x.model")) { error in
            XCTAssertEqual(
                error as? ModelError,
                .wrongKind(
                    path: "x.model", architecture: "BiRNNTokenClassifier.v1",
                    expected: CharacterLanguageModel.architecture))
        }
        // A header stating absurd sizes is refused before a network of them is built.
        var absurd = try model.modelFile()
        let json = String(decoding: absurd.configuration, as: UTF8.self)
        XCTAssertTrue(json.contains("\"hidden\":16"), json)
        absurd.configuration = Data(
            json.replacingOccurrences(of: "\"hidden\":16", with: "\"hidden\":1000000").utf8)
        XCTAssertThrowsError(try CharacterLanguageModel(file: absurd)) { error in
            guard case .implausibleConfiguration = error as? ModelFileError else {
                return XCTFail("\(error)")
            }
        }
        // A parameter of the wrong shape is named.
        var reshaped = try model.modelFile()
        let k = reshaped.parameters.firstIndex { $0.name == "layers.0.Wh" }!
        reshaped.parameters[k].matrix = Matrix(rows: 3, columns: 3)
        XCTAssertThrowsError(try CharacterLanguageModel(file: reshaped)) { error in
            XCTAssertEqual(
                error as? ModelFileError,
                .shapeMismatch(name: "layers.0.Wh", expected: "[16, 48]", found: "[3, 3]"))
        }
    }

    /// The library example of README.md, on a tiny model.
    func testReadmeExample() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("charlm-readme-\(getpid()).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.helloModel().save(to: path)

        let lm = try CharacterLanguageModel.load(path: path)
        let bits = try lm.evaluate("The cat sat on the mat.").bitsPerCharacter
        var printed = ""
        for c in lm.samples(prime: "The ", temperature: 0.7, seed: 1).prefix(200) {
            print(c, terminator: "", to: &printed)
        }
        XCTAssertTrue(bits.isFinite && bits > 0)
        XCTAssertEqual(printed.unicodeScalars.count, 200)
    }

    // MARK: Errors

    func testTrainingErrors() throws {
        var options = Self.tinyOptions(cell: .lstm)
        options.backpropagationSteps = 17
        XCTAssertThrowsError(try CharacterLanguageModelTrainer(options: options).train(text: "ab"))
        {
            error in
            guard case .invalidOption(let name, _) = error as? LanguageModelError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, "bptt K2")
        }
        options.backpropagationSteps = nil
        XCTAssertThrowsError(try CharacterLanguageModelTrainer(options: options).train(text: "")) {
            error in
            XCTAssertEqual(error as? LanguageModelError, .emptyText(source: "the training text"))
        }
        // A learning rate that blows the weights up ends in a non-finite loss, reported with
        // its epoch and chunk.
        options.learningRate = 1e30
        options.clip = 0
        XCTAssertThrowsError(
            try CharacterLanguageModelTrainer(options: options).train(text: Self.hello)
        ) {
            error in
            guard case .nonFiniteLoss(_, let epoch, let batch) = error as? TrainingError else {
                return XCTFail("\(error)")
            }
            XCTAssertNotNil(epoch)
            XCTAssertNotNil(batch)
        }
    }

    func testTextFilesAreOneStreamAndInvalidUTF8IsLocated() throws {
        let directory = FileManager.default.temporaryDirectory
        let good = directory.appendingPathComponent("charlm-text-\(getpid()).txt").path
        let bad = directory.appendingPathComponent("charlm-bad-\(getpid()).txt").path
        let empty = directory.appendingPathComponent("charlm-empty-\(getpid()).txt").path
        defer {
            for path in [good, bad, empty] { try? FileManager.default.removeItem(atPath: path) }
        }
        try Data("one\r\ntwo\rthree\nfour".utf8).write(to: URL(fileURLWithPath: good))
        try Data(Array("ok\nab".utf8) + [0xFF] + Array("\n".utf8)).write(
            to: URL(fileURLWithPath: bad))
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertEqual(try LanguageModelText.read(path: good), "one\ntwo\nthree\nfour")
        XCTAssertThrowsError(try LanguageModelText.read(path: bad)) { error in
            guard case .invalidUTF8(_, let line, let offset, _, _) = error as? TextInputError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(line, 2)
            XCTAssertEqual(offset, 5)
        }
        XCTAssertThrowsError(try LanguageModelText.read(path: empty)) { error in
            XCTAssertEqual(error as? LanguageModelError, .emptyText(source: empty))
        }
    }
}
