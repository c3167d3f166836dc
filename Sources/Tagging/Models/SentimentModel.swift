import Corpora
import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text
import Tokenization

/// A sentence's predicted label and its probability.
public struct Classification: Equatable, Sendable {
    /// The label.
    public var label: String
    /// The model's probability of the label.
    public var probability: Float

    /// A classification from its parts.
    public init(label: String, probability: Float) {
        self.label = label
        self.probability = probability
    }
}

/// A trained sentence classifier (sentiment): immutable, so one value can classify from
/// many threads at once.
public struct SentimentModel: @unchecked Sendable {
    /// The task and hyper-parameters.
    public let configuration: ModelConfiguration
    /// The input vocabularies.
    public let inputEncoder: InputEncoder
    /// The labels in id order, as in the training file.
    public let labels: [String]
    /// The labels as shown to users, in id order: SST-2's `0` and `1` are `negative` and
    /// `positive`; any other label set is shown as trained.
    public var labelNames: [String] {
        labels == SentimentReader.binaryLabels ? ["negative", "positive"] : labels
    }
    /// The network.
    public let network: SentenceClassifierNetwork<Float>

    /// A model from its parts.
    public init(
        configuration: ModelConfiguration, inputEncoder: InputEncoder, labels: [String],
        network: SentenceClassifierNetwork<Float>
    ) {
        precondition(
            network.labelCount == labels.count,
            "\(labels.count) labels for a network of \(network.labelCount)")
        self.configuration = configuration
        self.inputEncoder = inputEncoder
        self.labels = labels
        self.network = network
    }

    /// Reads and validates a model file.
    public static func load(path: String) throws -> SentimentModel {
        try SentimentModel(file: ModelFile.read(from: path), path: path)
    }

    /// A model from a parsed model file; `path` names it in errors.
    public init(file: ModelFile, path: String = "<memory>") throws {
        guard file.architecture == ModelArchitecture.sentenceClassifier else {
            throw ModelError.wrongKind(
                path: path, architecture: file.architecture,
                expected: ModelArchitecture.sentenceClassifier)
        }
        let configuration = try file.decodeConfiguration(ModelConfiguration.self)
        let encoder = try ModelPersistence.inputEncoder(
            from: file, configuration: configuration.network.embedder, path: path)
        let labels = try ModelPersistence.labels(from: file, name: "labels", path: path)
        var random = SeededRandom.shapesOnly
        var network = SentenceClassifierNetwork<Float>(
            configuration: configuration.network,
            wordCount: ModelPersistence.wordRowsToBuild(file, wordCount: encoder.words.count),
            characterCount: encoder.characters.count, labelCount: labels.count, random: &random)
        try ModelPersistence.assign(
            &network, from: file, path: path, wordCount: encoder.words.count)
        self.init(
            configuration: configuration, inputEncoder: encoder, labels: labels, network: network)
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
            architecture: ModelArchitecture.sentenceClassifier,
            configuration: try ModelPersistence.encoder.encode(configuration),
            vocabularies: [
                "words": inputEncoder.words.symbols, "characters": inputEncoder.characters.symbols,
                "labels": labels,
            ],
            network: network, destination: destination)
    }

    /// Writes the model atomically. Rows read from a shared table stay references when the
    /// table is in the destination's folder, and are written out whole otherwise.
    public func save(to path: String) throws {
        try modelFile(destination: path).write(to: path)
    }

    /// The label probabilities `[labels.count]` of each pre-tokenized sentence, in input order.
    /// With `threads: 2` each batch's two directions run on two threads.
    public func probabilities(_ sentences: [[String]], batchSize: Int = 32, threads: Int = 1)
        -> [[Float]]
    {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        precondition(threads > 0, "thread count must be positive, got \(threads)")
        var network = self.network
        network.setConcurrentDirections(threads >= 2)
        let uniform = [Float](repeating: 1 / Float(labels.count), count: labels.count)
        var results = [[Float]](repeating: uniform, count: sentences.count)
        let order = sentences.indices.sorted { sentences[$0].count > sentences[$1].count }
        var start = 0
        while start < order.count {
            let chunk = order[start..<min(start + batchSize, order.count)].filter {
                !sentences[$0].isEmpty
            }
            start += batchSize
            guard !chunk.isEmpty else { continue }
            let p = network.predict(inputEncoder.encode(chunk.map { sentences[$0] }))
            for (k, s) in chunk.enumerated() { results[s] = p.row(k) }
        }
        return results
    }

    /// The most probable label of each pre-tokenized sentence and its probability.
    public func classify(tokens sentences: [[String]], batchSize: Int = 32, threads: Int = 1)
        -> [Classification]
    {
        probabilities(sentences, batchSize: batchSize, threads: threads).map { p in
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            return Classification(label: labels[best], probability: p[best])
        }
    }
}
