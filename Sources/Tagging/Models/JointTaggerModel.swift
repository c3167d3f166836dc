import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// Everything a saved joint POS+NER model records besides parameters and vocabularies.
public struct JointModelConfiguration: Codable, Equatable, Sendable {
    /// The network's hyper-parameters (`crf` is not used: the entity head always has one).
    public var network: NetworkConfiguration
    /// The tag scheme the entity head predicts in (BIOES).
    public var internalScheme: TagScheme
    /// The tag scheme entity tags are written in (the training file's).
    public var outputScheme: TagScheme

    /// A configuration from its parts.
    public init(network: NetworkConfiguration, internalScheme: TagScheme, outputScheme: TagScheme) {
        self.network = network
        self.internalScheme = internalScheme
        self.outputScheme = outputScheme
    }
}

/// The POS and entity tags of one sentence.
public struct JointPrediction: Hashable, Sendable {
    /// The UPOS tag of each word.
    public var pos: [TokenPrediction]
    /// The entity tag of each word, in the model's output scheme.
    public var ner: [TokenPrediction]

    /// A prediction from its parts.
    public init(pos: [TokenPrediction], ner: [TokenPrediction]) {
        self.pos = pos
        self.ner = ner
    }
}

/// A trained joint POS+NER tagger (`tagger train pos+ner`): one embedder and encoder, a
/// softmax head for UPOS and a CRF head for entities, so one encoder pass tags both. Immutable,
/// so one value can tag from many threads at once.
///
/// ```swift
/// let model = try JointTaggerModel.load(path: "pos-ner.model")
/// let tagged = model.tag([["Alice", "lives", "in", "Paris", "."]])
/// print(tagged[0].pos.map(\.tag), tagged[0].ner.map(\.tag))
/// let entities = model.ner.entities(in: tagged[0].ner.map(\.tag))
/// ```
///
/// `pos` and `ner` are the model's two tasks as `TaggerModel`s over the same parameters,
/// which tag exactly as `tag(_:batchSize:threads:)` does for their task (each at the cost of
/// its own encoder pass), for code that takes a `TaggerModel`.
public struct JointTaggerModel: @unchecked Sendable {
    /// The architecture name in model files.
    public static let architecture = ModelArchitecture.jointTagger

    /// The schemes and hyper-parameters.
    public let configuration: JointModelConfiguration
    /// The input vocabularies.
    public let inputEncoder: InputEncoder
    /// The network.
    public let network: JointTaggerNetwork<Float>
    /// The POS task as a tagger (the shared encoder and the softmax head).
    public let pos: TaggerModel
    /// The entity task as a tagger (the shared encoder and the CRF head).
    public let ner: TaggerModel

    /// The POS tags, in id order.
    public var posTags: [String] { pos.tags }
    /// The entity tags, in id order (in `configuration.internalScheme`).
    public var nerTags: [String] { ner.tags }

    /// A model from its parts.
    public init(
        configuration: JointModelConfiguration, inputEncoder: InputEncoder, posTags: [String],
        nerTags: [String], network: JointTaggerNetwork<Float>
    ) {
        precondition(
            network.posTagCount == posTags.count && network.nerTagCount == nerTags.count,
            "\(posTags.count) POS and \(nerTags.count) entity tags for a network of "
                + "\(network.posTagCount) and \(network.nerTagCount)")
        self.configuration = configuration
        self.inputEncoder = inputEncoder
        var network = network
        network.setConcurrentDirections(true)
        self.network = network
        var single = configuration.network
        single.crf = false
        pos = TaggerModel(
            configuration: ModelConfiguration(task: .pos, network: single),
            inputEncoder: inputEncoder, tags: posTags, network: network.posNetwork)
        single.crf = true
        ner = TaggerModel(
            configuration: ModelConfiguration(
                task: .ner, network: single, internalScheme: configuration.internalScheme,
                outputScheme: configuration.outputScheme),
            inputEncoder: inputEncoder, tags: nerTags, network: network.nerNetwork)
    }

    /// Reads and validates a joint model file: architecture, configuration, vocabularies
    /// (`words`, `characters`, `posTags`, `nerTags`), and every parameter's shape.
    public static func load(path: String) throws -> JointTaggerModel {
        try JointTaggerModel(file: ModelFile.read(from: path), path: path)
    }

    /// A model from a parsed model file; `path` names it in errors. A file of another kind
    /// throws ``ModelError/wrongKind(path:architecture:expected:)``.
    public init(file: ModelFile, path: String = "<memory>") throws {
        guard file.architecture == Self.architecture else {
            throw ModelError.wrongKind(
                path: path, architecture: file.architecture, expected: Self.architecture)
        }
        let configuration = try file.decodeConfiguration(JointModelConfiguration.self)
        let encoder = try ModelPersistence.inputEncoder(
            from: file, configuration: configuration.network.embedder, path: path)
        let posTags = try ModelPersistence.labels(from: file, name: "posTags", path: path)
        let nerTags = try ModelPersistence.labels(from: file, name: "nerTags", path: path)
        var random = SeededRandom.shapesOnly
        var network = JointTaggerNetwork<Float>(
            configuration: configuration.network,
            wordCount: ModelPersistence.wordRowsToBuild(file, wordCount: encoder.words.count),
            characterCount: encoder.characters.count, posTagCount: posTags.count,
            nerTagCount: nerTags.count, random: &random)
        try ModelPersistence.assign(
            &network, from: file, path: path, wordCount: encoder.words.count)
        self.init(
            configuration: configuration, inputEncoder: encoder, posTags: posTags,
            nerTags: nerTags, network: network)
    }

    /// The model as a model file (referring to the shared table its word table reads rows
    /// from, if any).
    public func modelFile() throws -> ModelFile {
        try modelFile(destination: nil)
    }

    /// The model file written to `destination` (the shared rows written out whole when
    /// their table is not beside it).
    func modelFile(destination: String?) throws -> ModelFile {
        ModelPersistence.file(
            architecture: Self.architecture,
            configuration: try ModelPersistence.encoder.encode(configuration),
            vocabularies: [
                "words": inputEncoder.words.symbols, "characters": inputEncoder.characters.symbols,
                "posTags": posTags, "nerTags": nerTags,
            ],
            network: network, destination: destination)
    }

    /// Writes the model atomically. Rows read from a shared table stay references when the
    /// table is in the destination's folder, and are written out whole otherwise.
    public func save(to path: String) throws {
        try modelFile(destination: path).write(to: path)
    }

    /// The POS and entity tags of pre-tokenized sentences with their probabilities, in the
    /// input order, from one encoder pass a batch; batching and `threads` as in
    /// `TaggerModel.tag(_:batchSize:threads:)`. A sentence's tags and probabilities are the
    /// same, to the bit, whatever batch it is in, and equal those of `pos` and `ner`.
    public func tag(_ sentences: [[String]], batchSize: Int = 32, threads: Int = 1)
        -> [JointPrediction]
    {
        BatchedPrediction.run(
            sentences, batchSize: batchSize, threads: threads,
            empty: JointPrediction(pos: [], ner: [])
        ) { chunk, concurrentDirections in
            var network = self.network
            network.setConcurrentDirections(concurrentDirections)
            return network.predict(inputEncoder.encode(chunk)).map {
                JointPrediction(
                    pos: pos.outputTags($0.pos.tags, $0.pos.probabilities),
                    ner: ner.outputTags($0.ner.tags, $0.ner.probabilities))
            }
        }
    }
}
