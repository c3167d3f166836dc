import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text
import Tokenization

/// One token's predicted tag and the model's probability for it.
public struct TokenPrediction: Hashable, Sendable {
    /// The tag (in the training file's scheme for NER).
    public var tag: String
    /// The probability of the tag: softmax, or the CRF marginal of the Viterbi tag.
    public var probability: Float

    /// A prediction from its parts.
    public init(tag: String, probability: Float) {
        self.tag = tag
        self.probability = probability
    }
}

/// A trained POS or NER tagger: immutable, so one value can tag from many threads at once.
///
/// ```swift
/// let model = try TaggerModel.load(path: "ner.model")
/// let tags = model.tag([["Alice", "lives", "in", "Paris", "."]])
/// let entities = model.entities(in: tags[0].map(\.tag))
///
/// To tag raw text, tokenized and split into sentences, use `Pipeline`.
/// ```
public struct TaggerModel: @unchecked Sendable {
    /// The task, scheme and hyper-parameters.
    public let configuration: ModelConfiguration
    /// The input vocabularies.
    public let inputEncoder: InputEncoder
    /// The tags the network predicts, in id order (in `configuration.internalScheme` for NER).
    public let tags: [String]
    /// The network.
    public let network: TokenClassifierNetwork<Float>

    /// A model from its parts.
    public init(
        configuration: ModelConfiguration, inputEncoder: InputEncoder, tags: [String],
        network: TokenClassifierNetwork<Float>
    ) {
        precondition(
            network.tagCount == tags.count,
            "\(tags.count) tags for a network of \(network.tagCount)")
        self.configuration = configuration
        self.inputEncoder = inputEncoder
        self.tags = tags
        var network = network
        network.setConcurrentDirections(true)
        self.network = network
    }

    /// The task (`pos` or `ner`).
    public var task: TaggingTask { configuration.task }

    /// Reads and validates a model file: architecture, configuration, vocabularies, and
    /// every parameter's shape against the configuration.
    /// A joint POS+NER file is refused with ``ModelError/wrongKind(path:architecture:expected:)``,
    /// which says how to use it: load it with `JointTaggerModel.load(path:)`, whose `pos`
    /// and `ner` are the taggers of its two tasks.
    public static func load(path: String) throws -> TaggerModel {
        try TaggerModel(file: ModelFile.read(from: path), path: path)
    }

    /// A model from a parsed model file; `path` names it in errors.
    public init(file: ModelFile, path: String = "<memory>") throws {
        guard file.architecture == ModelArchitecture.tokenClassifier else {
            throw ModelError.wrongKind(
                path: path, architecture: file.architecture,
                expected: ModelArchitecture.tokenClassifier)
        }
        let configuration = try file.decodeConfiguration(ModelConfiguration.self)
        let encoder = try ModelPersistence.inputEncoder(
            from: file, configuration: configuration.network.embedder, path: path)
        let tags = try ModelPersistence.labels(from: file, name: "tags", path: path)
        var random = SeededRandom.shapesOnly
        var network = TokenClassifierNetwork<Float>(
            configuration: configuration.network,
            wordCount: ModelPersistence.wordRowsToBuild(file, wordCount: encoder.words.count),
            characterCount: encoder.characters.count, tagCount: tags.count, random: &random)
        try ModelPersistence.assign(
            &network, from: file, path: path, wordCount: encoder.words.count)
        self.init(configuration: configuration, inputEncoder: encoder, tags: tags, network: network)
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
            architecture: ModelArchitecture.tokenClassifier,
            configuration: try ModelPersistence.encoder.encode(configuration),
            vocabularies: [
                "words": inputEncoder.words.symbols, "characters": inputEncoder.characters.symbols,
                "tags": tags,
            ],
            network: network, destination: destination)
    }

    /// Writes the model atomically. Rows read from a shared table stay references when the
    /// table is in the destination's folder, and are written out whole otherwise.
    public func save(to path: String) throws {
        try modelFile(destination: path).write(to: path)
    }

    /// The most padded tokens (sentences × longest length) tagged in one forward pass.
    public static let maximumPaddedTokens = BatchedPrediction.maximumPaddedTokens

    /// The tags of pre-tokenized sentences with their probabilities, in the input order.
    /// Sentences are sorted by length into batches of `batchSize` internally (fewer when
    /// they are long: see `maximumPaddedTokens`). With
    /// `threads: 2` the batches are shared between two threads (or, when there is a single
    /// batch, its two directions run on two threads).
    public func tag(_ sentences: [[String]], batchSize: Int = 32, threads: Int = 1)
        -> [[TokenPrediction]]
    {
        BatchedPrediction.run(sentences, batchSize: batchSize, threads: threads) {
            chunk, concurrentDirections in
            var network = self.network
            network.setConcurrentDirections(concurrentDirections)
            return network.predict(inputEncoder.encode(chunk)).map {
                outputTags($0.tags, $0.probabilities)
            }
        }
    }

    /// Converts internal tag ids to output tags (NER: back to the file's scheme).
    func outputTags(_ ids: [Int], _ probabilities: [Float]) -> [TokenPrediction] {
        if task == .ner, let inner = configuration.internalScheme,
            let output = configuration.outputScheme,
            inner != output
        {
            var strings = ids.map { tags[$0] }
            if let spans = try? inner.spans(from: strings, mode: .lenient) {
                strings = output.tags(for: spans, count: strings.count)
            }
            return zip(strings, probabilities).map { TokenPrediction(tag: $0, probability: $1) }
        }
        return zip(ids, probabilities).map { TokenPrediction(tag: tags[$0], probability: $1) }
    }

    /// The entity spans of a tag sequence in this model's output scheme (lenient, like
    /// conlleval); empty for POS models.
    public func entities(in tags: [String]) -> [Span] {
        guard task == .ner else { return [] }
        let scheme = configuration.outputScheme ?? .iob2
        return (try? scheme.spans(from: tags, mode: .lenient)) ?? []
    }
}

/// Runs a tagger over many sentences in batches: sorted by length, at most `batchSize`
/// sentences and `maximumPaddedTokens` padded tokens a batch, on one or two threads.
enum BatchedPrediction {
    /// The most padded tokens (sentences × longest length) tagged in one forward pass.
    static let maximumPaddedTokens = 4096

    /// `predict`'s result for each sentence, in the input order (`[]`-like `empty` for an
    /// empty sentence). `predict` gets a batch of sentences, longest first, and whether the
    /// recurrent directions may run on two threads. With `threads: 2` the batches are
    /// shared between two threads (or, when there is a single batch, its two directions
    /// run on two threads).
    static func run<R>(
        _ sentences: [[String]], batchSize: Int, threads: Int, empty: R,
        predict: (_ batch: [[String]], _ concurrentDirections: Bool) -> [R]
    ) -> [R] {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        precondition(threads > 0, "thread count must be positive, got \(threads)")
        let order = sentences.indices.filter { !sentences[$0].isEmpty }
            .sorted { sentences[$0].count > sentences[$1].count }
        // Batches of at most `batchSize` sentences and `maximumPaddedTokens` padded tokens
        // (the longest sentence comes first), so memory stays bounded at any batch size.
        var chunks: [[Int]] = []
        var start = 0
        while start < order.count {
            let longest = sentences[order[start]].count
            let fit = max(1, min(batchSize, maximumPaddedTokens / max(1, longest)))
            chunks.append(Array(order[start..<min(start + fit, order.count)]))
            start += fit
        }
        var results = [R](repeating: empty, count: sentences.count)
        guard threads >= 2, chunks.count >= 2 else {
            for chunk in chunks {
                let predictions = predict(chunk.map { sentences[$0] }, threads >= 2)
                for (k, prediction) in predictions.enumerated() { results[chunk[k]] = prediction }
            }
            return results
        }
        // Data parallel: each thread takes every other batch, directions one after the other.
        func half(_ h: Int) -> [R] {
            stride(from: h, to: chunks.count, by: 2).flatMap {
                predict(chunks[$0].map { sentences[$0] }, false)
            }
        }
        var (even, odd): ([R], [R]) = ([], [])
        TwoThreads.run({ even = half(0) }, { odd = half(1) })
        let halves = [even, odd]
        for h in 0..<2 {
            let indices = stride(from: h, to: chunks.count, by: 2).flatMap { chunks[$0] }
            for (index, prediction) in zip(indices, halves[h]) { results[index] = prediction }
        }
        return results
    }

    /// `run` for predictions that are arrays (an empty sentence gets `[]`).
    static func run<E>(
        _ sentences: [[String]], batchSize: Int, threads: Int,
        predict: (_ batch: [[String]], _ concurrentDirections: Bool) -> [[E]]
    ) -> [[E]] {
        run(sentences, batchSize: batchSize, threads: threads, empty: [], predict: predict)
    }
}
