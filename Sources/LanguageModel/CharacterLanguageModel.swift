import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging

/// The hyper-parameters of a character language model's network.
public struct CharacterLanguageModelConfiguration: Codable, Equatable, Sendable {
    /// The recurrent cell.
    public var cell: CellKind = .lstm
    /// Stacked unidirectional layers.
    public var layers = 1
    /// Hidden units per layer.
    public var hidden = 256
    /// Columns of the character embedding.
    public var embeddingDimension = 64

    /// One LSTM layer of 256 units over a 64-column embedding.
    public init() {}
}

/// How well a language model predicts a text.
public struct LanguageModelScore: Equatable, Sendable {
    /// The number of characters (Unicode scalars) predicted.
    public var characters: Int
    /// The natural logarithm of the probability of the whole text.
    public var logProbability: Double

    /// A score from its parts.
    public init(characters: Int, logProbability: Double) {
        self.characters = characters
        self.logProbability = logProbability
    }

    /// `−log₂ p(text) / characters`: the average code length per character.
    public var bitsPerCharacter: Double {
        -logProbability / (Double(characters) * M_LN2)
    }

    /// `2^bitsPerCharacter`: the per-character perplexity.
    public var perplexity: Double { exp2(bitsPerCharacter) }
}

/// What a user can get wrong with a language model's text or options.
public enum LanguageModelError: LocalizedError, Equatable {
    /// A text to train on or to score holds no characters.
    case emptyText(source: String)
    /// A training option is out of range.
    case invalidOption(name: String, reason: String)

    /// What is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .emptyText(let source):
            return "\(source): the text is empty; give a file with at least one character"
        case .invalidOption(let name, let reason):
            return "invalid \(name): \(reason)"
        }
    }
}

/// What a character language model's file stores as its configuration.
struct StoredLanguageModelConfiguration: Codable, SizeCheckedConfiguration {
    /// The network's hyper-parameters.
    var network: CharacterLanguageModelConfiguration
    /// The training count of every symbol, in id order.
    var characterCounts: [Int]

    /// Checks each size, then that the file stores at least the parameter values a network
    /// of these sizes needs (each cell counted with one gate), before one is built.
    func checkSizes(against file: ModelFile) throws {
        try file.requireSize("network.layers", network.layers, in: 1...1024)
        try file.requireSize("network.hidden", network.hidden, in: 1...(1 << 20))
        try file.requireSize(
            "network.embeddingDimension", network.embeddingDimension, in: 1...(1 << 20))
        let (hidden, symbols) = (network.hidden, file.vocabularySize("characters"))
        var least = ParameterCount()
        least.add(symbols, network.embeddingDimension)
        least.add(network.embeddingDimension + hidden, hidden)
        least.add(network.layers - 1, 2, hidden, hidden)
        least.add(hidden, symbols)
        try file.requireStored(atLeast: least)
    }
}

/// The `Float` network inside a model, whatever its cell.
protocol CharacterNetworkRunner {
    /// See `CharacterLanguageNetwork.forward`; without the cache.
    func predict(ids: [Int], streams: Int, states: [RecurrentState<Float>]?, lengths: [Int]?)
        -> (logits: Matrix<Float>, states: [RecurrentState<Float>])
    /// Every parameter with its name.
    var namedMatrices: [ModelFile.NamedMatrix] { get }
}

extension CharacterLanguageNetwork: CharacterNetworkRunner where Cell.Scalar == Float {
    func predict(ids: [Int], streams: Int, states: [RecurrentState<Float>]?, lengths: [Int]?)
        -> (logits: Matrix<Float>, states: [RecurrentState<Float>])
    {
        let r = forward(
            ids: ids, streams: streams, states: states, lengths: lengths, keepsCache: false)
        return (r.logits, r.states)
    }

    var namedMatrices: [ModelFile.NamedMatrix] {
        parameters.map { ModelFile.NamedMatrix(name: $0.name, matrix: self[keyPath: $0.keyPath]) }
    }
}

/// A trained character language model: p(next character | every character before it),
/// for scoring text (`logProbability(of:)`, `evaluate(_:)`) and generating it
/// (`samples(prime:temperature:topK:seed:)`).
///
/// Characters are Unicode scalars (see `CharacterVocabulary`). Every text is read from the
/// zero state with the start symbol `<s>` as the input before its first character, as
/// training starts each of its streams. The model is an immutable value: one model can
/// score and sample from many threads at once.
public struct CharacterLanguageModel: @unchecked Sendable {
    /// The architecture name in model files.
    public static let architecture = ModelArchitecture.characterLanguageModel

    /// The network's hyper-parameters.
    public let configuration: CharacterLanguageModelConfiguration
    /// The symbols and their training counts.
    public let vocabulary: CharacterVocabulary
    let network: any CharacterNetworkRunner

    /// A model from a trained network whose cell matches `configuration.cell`.
    public init<Cell: RecurrentCell>(
        configuration: CharacterLanguageModelConfiguration, vocabulary: CharacterVocabulary,
        network: CharacterLanguageNetwork<Cell>
    ) where Cell.Scalar == Float {
        precondition(
            network.symbolCount == vocabulary.count && network.layers.count == configuration.layers
                && network.hiddenSize == configuration.hidden
                && network.embedding.dimension == configuration.embeddingDimension,
            "the network does not match the configuration \(configuration) and \(vocabulary.count) symbols"
        )
        self.configuration = configuration
        self.vocabulary = vocabulary
        self.network = network
    }

    // MARK: Files

    /// Reads and validates a model file.
    public static func load(path: String) throws -> CharacterLanguageModel {
        try CharacterLanguageModel(file: ModelFile.read(from: path), path: path)
    }

    /// A model from a parsed model file; `path` names it in errors.
    public init(file: ModelFile, path: String = "<memory>") throws {
        guard file.architecture == Self.architecture else {
            throw ModelError.wrongKind(
                path: path, architecture: file.architecture, expected: Self.architecture)
        }
        let stored = try file.decodeConfiguration(StoredLanguageModelConfiguration.self)
        let configuration = stored.network
        let vocabulary: CharacterVocabulary
        do {
            vocabulary = try CharacterVocabulary(
                symbols: file.vocabulary(named: "characters"), counts: stored.characterCounts)
        } catch let error as CharacterVocabularyError {
            throw ModelError.invalidVocabulary(
                path: path, name: "characters", reason: error.localizedDescription)
        }
        switch configuration.cell {
        case .lstm:
            network = try Self.network(LSTMCell<Float>.self, configuration, vocabulary, file, path)
        case .gru:
            network = try Self.network(GRUCell<Float>.self, configuration, vocabulary, file, path)
        case .rnn:
            network = try Self.network(RNNCell<Float>.self, configuration, vocabulary, file, path)
        }
        self.configuration = configuration
        self.vocabulary = vocabulary
    }

    private static func network<Cell: RecurrentCell>(
        _: Cell.Type, _ configuration: CharacterLanguageModelConfiguration,
        _ vocabulary: CharacterVocabulary, _ file: ModelFile, _ path: String
    ) throws -> CharacterLanguageNetwork<Cell> where Cell.Scalar == Float {
        var random = SeededRandom(seed: 0)
        var network = CharacterLanguageNetwork<Cell>(
            symbolCount: vocabulary.count, embeddingDimension: configuration.embeddingDimension,
            hiddenSize: configuration.hidden, layerCount: configuration.layers, random: &random)
        var names = Set<String>()
        for p in network.parameters {
            let shape = network[keyPath: p.keyPath]
            network[keyPath: p.keyPath] = try file.matrix(
                named: p.name, rows: shape.rows, columns: shape.columns)
            names.insert(p.name)
        }
        for p in file.parameters where !names.contains(p.name) {
            throw ModelError.unexpectedParameter(path: path, name: p.name)
        }
        return network
    }

    /// The model as a model file.
    public func modelFile() throws -> ModelFile {
        ModelFile(
            architecture: Self.architecture,
            configuration: try ModelFile.configurationEncoder.encode(
                StoredLanguageModelConfiguration(
                    network: configuration, characterCounts: vocabulary.counts)),
            vocabularies: ["characters": vocabulary.symbols],
            parameters: network.namedMatrices)
    }

    /// Writes the model atomically.
    public func save(to path: String) throws {
        try modelFile().write(to: path)
    }

    // MARK: Scoring

    /// The natural logarithm of the probability of `text`, each character conditioned on
    /// all before it, from the start of a text. Zero for the empty text.
    public func logProbability(of text: String) -> Double {
        let ids = vocabulary.encode(text)
        return ids.isEmpty ? 0 : score(ids: ids, streams: 1).logProbability
    }

    /// Bits per character and perplexity of `text`. With `streams > 1` the text is cut
    /// into that many consecutive pieces, each read from the start state, which is faster
    /// and loses a little context at each cut; `1` scores the text exactly.
    public func evaluate(_ text: String, streams: Int = 1, source: String = "<text>") throws
        -> LanguageModelScore
    {
        let ids = vocabulary.encode(text)
        guard !ids.isEmpty else { throw LanguageModelError.emptyText(source: source) }
        return score(ids: ids, streams: streams)
    }

    /// The score of encoded text cut into `streams` pieces, run `chunk` steps at a time.
    func score(ids: [Int], streams requested: Int, chunk: Int = 256) -> LanguageModelScore {
        precondition(requested >= 1, "streams must be positive, got \(requested)")
        let n = ids.count
        let streams = min(requested, n)
        let starts = (0...streams).map { $0 * n / streams }
        let lengths = (0..<streams).map { starts[$0 + 1] - starts[$0] }
        let time = lengths.max() ?? 0
        let symbols = vocabulary.count
        var states: [RecurrentState<Float>]?
        var total = 0.0
        var inputs: [Int] = []
        var targets: [Int] = []
        for first in stride(from: 0, to: time, by: chunk) {
            let steps = min(chunk, time - first)
            inputs.removeAll(keepingCapacity: true)
            targets.removeAll(keepingCapacity: true)
            for k in 0..<steps {
                let t = first + k
                for s in 0..<streams {
                    guard t < lengths[s] else {
                        inputs.append(CharacterVocabulary.unknownID)
                        targets.append(-1)
                        continue
                    }
                    inputs.append(t == 0 ? CharacterVocabulary.startID : ids[starts[s] + t - 1])
                    targets.append(ids[starts[s] + t])
                }
            }
            let valid = lengths.map { min(max($0 - first, 0), steps) }
            let r = network.predict(ids: inputs, streams: streams, states: states, lengths: valid)
            states = r.states
            r.logits.withUnsafePointer { z in
                for (row, target) in targets.enumerated() where target >= 0 {
                    total += Double(Self.logSoftmax(z + row * symbols, count: symbols, at: target))
                }
            }
        }
        return LanguageModelScore(characters: n, logProbability: total)
    }

    /// `log softmax(z)[index]` of one row of `count` logits.
    static func logSoftmax(_ z: UnsafePointer<Float>, count: Int, at index: Int) -> Float {
        var maximum = z[0]
        for c in 1..<count where z[c] > maximum { maximum = z[c] }
        var sum: Float = 0
        for c in 0..<count { sum += Foundation.exp(z[c] - maximum) }
        return z[index] - maximum - Foundation.log(sum)
    }

    // MARK: Generation

    /// An endless sequence of sampled characters that continues `prime` (which is not
    /// repeated): each character is drawn from the model's distribution, sharpened by
    /// `temperature` (`0` is greedy: always the most probable character; `1` the model's
    /// own distribution) and limited to the `topK` most probable characters if given, then
    /// fed back in. The special symbols are never drawn. The same seed gives the same
    /// characters.
    public func samples(
        prime: String = "", temperature: Double = 1, topK: Int? = nil, seed: UInt64 = 0
    ) -> CharacterSampler {
        CharacterSampler(
            model: self, prime: prime, temperature: temperature, topK: topK, seed: seed)
    }

    /// `length` sampled characters after `prime` (see `samples`), as a string without the
    /// prime.
    public func generate(
        prime: String = "", length: Int, temperature: Double = 1, topK: Int? = nil,
        seed: UInt64 = 0
    ) -> String {
        var view = String.UnicodeScalarView()
        view.append(
            contentsOf: samples(prime: prime, temperature: temperature, topK: topK, seed: seed)
                .prefix(length))
        return String(view)
    }
}
