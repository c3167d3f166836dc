import Foundation
import Text

/// Architecture names stored in model files; the suffix is the version of the layout.
public enum ModelArchitecture {
    /// A token classifier (POS or NER).
    public static let tokenClassifier = "BiRNNTokenClassifier.v1"
    /// A joint POS+NER tagger: one encoder, a softmax head for POS and a CRF head for NER.
    public static let jointTagger = "BiRNNJointTagger.v1"
    /// A sentence classifier (sentiment).
    public static let sentenceClassifier = "BiRNNSentenceClassifier.v1"
    /// The neural sentence splitter.
    public static let sentenceBoundary = "SentenceBoundaryBiLSTM.v1"
    /// The character language model.
    public static let characterLanguageModel = "CharLM.v1"
    /// A training checkpoint (model, optimizer state and progress).
    public static let trainingCheckpoint = "TrainingCheckpoint.v1"
    /// A table of pretrained word vectors stored once and shared by the models beside it.
    public static let sharedVectors = "SharedVectors.v1"
}

/// The kinds of model file, named as a user knows them, for error messages.
public enum ModelKind: Equatable, Sendable {
    /// The kinds this build reads.
    case tagger, jointTagger, sentimentClassifier, sentenceSplitter, characterLanguageModel,
        checkpoint, sharedVectors
    /// A kind this build does not know.
    case unknown(architecture: String)

    /// The kind of a file whose header names `architecture`.
    public init(architecture: String) {
        switch architecture {
        case ModelArchitecture.tokenClassifier: self = .tagger
        case ModelArchitecture.jointTagger: self = .jointTagger
        case ModelArchitecture.sentenceClassifier: self = .sentimentClassifier
        case ModelArchitecture.sentenceBoundary: self = .sentenceSplitter
        case ModelArchitecture.characterLanguageModel: self = .characterLanguageModel
        case ModelArchitecture.trainingCheckpoint: self = .checkpoint
        case ModelArchitecture.sharedVectors: self = .sharedVectors
        default: self = .unknown(architecture: architecture)
        }
    }

    /// The kind with an article: "a sentence-splitter model".
    public var description: String {
        switch self {
        case .tagger: return "a POS or NER tagger"
        case .jointTagger: return "a joint POS+NER tagger"
        case .sentimentClassifier: return "a sentiment classifier"
        case .sentenceSplitter: return "a sentence-splitter model"
        case .characterLanguageModel: return "a character language model"
        case .checkpoint: return "a training checkpoint"
        case .sharedVectors: return "a shared vector table"
        case .unknown(let architecture):
            return "a model of an architecture this build does not know (\(architecture.quotedForMessage))"
        }
    }

    /// Where a file of this kind is used, as advice.
    public var usage: String {
        switch self {
        case .tagger:
            return "use it with `tagger tag --model` or `tagger eval --model`"
        case .jointTagger:
            return
                "use it with `tagger tag --model`, `tagger annotate --joint-model` or `tagger eval --model`; in Swift, `JointTaggerModel.load(path:)`, whose `pos` and `ner` are its two taggers"
        case .sentimentClassifier:
            return "use it with `tagger classify --model` or `tagger eval --model`"
        case .sentenceSplitter:
            return
                "use it with --sentence-model of `tagger tokenize` or `tagger tag` (with --split-sentences)"
        case .characterLanguageModel:
            return "use it with `tagger generate --model` or `tagger eval --model`"
        case .checkpoint:
            return
                "continue the training with `tagger train --resume`, or use the model it was saved next to"
        case .sharedVectors:
            return
                "keep it beside the models that refer to it (`tagger vectors share` writes such models)"
        case .unknown:
            return "retrain it with this build, or use the build that wrote it"
        }
    }
}

/// What is wrong with a model as a whole (beyond the file format, see `ModelFileError`).
public enum ModelError: LocalizedError, Equatable {
    /// The file holds a model of another kind.
    case wrongKind(path: String, architecture: String, expected: String)
    /// The file holds a parameter the configuration does not have.
    case unexpectedParameter(path: String, name: String)
    /// A vocabulary or tag set is unusable.
    case invalidVocabulary(path: String, name: String, reason: String)

    /// A message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .wrongKind(let path, let architecture, let expected):
            let found = ModelKind(architecture: architecture)
            return
                "\(path) is \(found.description), not \(ModelKind(architecture: expected).description); \(found.usage)"
        case .unexpectedParameter(let path, let name):
            return
                "\(path): unexpected parameter \(name.quotedForMessage) for this configuration; the file was written by another build"
        case .invalidVocabulary(let path, let name, let reason):
            return "\(path): vocabulary \(name.quotedForMessage) is unusable: \(reason)"
        }
    }
}
