import Foundation
import Text

/// What a model predicts.
public enum TaggingTask: String, Codable, CaseIterable, Sendable {
    /// Part-of-speech tags, one per token.
    case pos
    /// Named-entity tags (IOB1/IOB2/BIOES), one per token, decoded into spans.
    case ner
    /// One label per sentence.
    case sentiment

    /// Whether the task predicts one tag per token (as opposed to one label per sentence).
    public var isTokenLevel: Bool { self != .sentiment }
}

/// The recurrent cell of an encoder, picked at run time.
public enum CellKind: String, Codable, CaseIterable, Sendable {
    /// Long short-term memory.
    case lstm
    /// Gated recurrent unit.
    case gru
    /// Elman RNN with tanh.
    case rnn
}

/// How a sentence classifier turns per-token encoder states into one vector.
public enum PoolingKind: String, Codable, CaseIterable, Sendable {
    /// The forward direction's state after the last token beside the reverse direction's
    /// state after the first token.
    case final
    /// The mean over the sentence's tokens.
    case mean
    /// The element-wise maximum over the sentence's tokens.
    case max
}

/// Hyper-parameters of a `WordEmbedder`.
public struct EmbedderConfiguration: Codable, Equatable, Sendable {
    /// Columns of the learned word embedding (the pretrained dimension when vectors are used).
    public var wordDimension: Int = 100
    /// Columns of the character embedding; `0` disables the character encoder.
    public var characterDimension: Int = 25
    /// Hidden units per direction of the character BiLSTM.
    public var characterHidden: Int = 25
    /// Columns of the capitalisation-shape embedding; `0` disables the feature.
    public var shapeDimension: Int = 0
    /// Words longer than this many characters keep their first and last halves only.
    public var maximumWordLength: Int = 24
    /// Word-dropout strength α: a word seen `n` times in training becomes unknown with
    /// probability `α / (α + n)` during training.
    public var wordDropout: Double = 0.25
    /// Whether the word embedding looks words up lowercased (characters keep the case).
    public var lowercase: Bool = false

    /// The default ("ref") configuration: word 100-d, character 25-d into a 25-per-direction BiLSTM.
    public init() {}

    /// The width of the embedder's output.
    public var outputSize: Int {
        wordDimension + (characterDimension > 0 ? 2 * characterHidden : 0) + shapeDimension
    }
}

/// Hyper-parameters of a whole network: embedder, encoder and output head.
public struct NetworkConfiguration: Codable, Equatable, Sendable {
    /// The embedder.
    public var embedder = EmbedderConfiguration()
    /// The encoder's recurrent cell.
    public var cell: CellKind = .lstm
    /// Stacked bidirectional layers.
    public var layers: Int = 1
    /// Hidden units per direction.
    public var hidden: Int = 128
    /// Dropout on the embedder output, between encoder layers and on the encoder output.
    public var dropout: Double = 0.5
    /// Whether a token classifier decodes with a CRF instead of per-token softmax.
    public var crf: Bool = false
    /// The pooling of a sentence classifier.
    public var pooling: PoolingKind = .max

    /// The "ref" network: word 100 + char BiLSTM 2×25, BiLSTM 128 per direction, dropout 0.5.
    public init() {}
}

/// Everything a saved model records besides parameters and vocabularies.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    /// The task.
    public var task: TaggingTask
    /// The network's hyper-parameters.
    public var network: NetworkConfiguration
    /// The tag scheme the network predicts in (NER; `nil` otherwise).
    public var internalScheme: TagScheme?
    /// The tag scheme predictions are written in (the training file's; NER only).
    public var outputScheme: TagScheme?

    /// A configuration from its parts.
    public init(
        task: TaggingTask, network: NetworkConfiguration, internalScheme: TagScheme? = nil,
        outputScheme: TagScheme? = nil
    ) {
        self.task = task
        self.network = network
        self.internalScheme = internalScheme
        self.outputScheme = outputScheme
    }
}

extension TagScheme: Codable {}

