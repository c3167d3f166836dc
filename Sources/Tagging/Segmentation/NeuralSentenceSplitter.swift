import Foundation
import LinearAlgebra
import NeuralNetwork
import Text

/// The hyper-parameters of a ``NeuralSentenceSplitter``, stored in its model file.
public struct SentenceBoundaryConfiguration: Codable, Equatable, Sendable {
    /// Word embedding size.
    public var wordDimension = 32
    /// Shape embedding size.
    public var shapeDimension = 8
    /// BiLSTM units per direction.
    public var hiddenSize = 48
    /// A gap is a boundary when the model's probability exceeds this (tuned on dev).
    public var threshold = 0.5
    /// Tokens per inference window.
    public var window = 160
    /// Tokens at each inner edge of a window whose decisions are taken from the
    /// neighbouring window instead (windows overlap by `2·margin`).
    public var margin = 30

    /// The default configuration.
    public init() {}
}

/// A sentence splitter for running text: a BiLSTM over windows of the token stream
/// (``SentenceBoundaryNetwork``) decides after which tokens a sentence ends. It sees no line
/// breaks, so it works on text whose sentences are joined by single spaces; a blank line
/// still always ends a sentence, and a sentence is cut after
/// ``SentenceSplitter/maximumSentenceLength`` tokens.
///
/// Lives in `Tagging` because `Text` does not import `NeuralNetwork`; the `Text` module's
/// ``SentenceSplitter`` (averaged perceptron) stays the default of `Tokenizer.document`.
public struct NeuralSentenceSplitter: SentenceSegmenter, @unchecked Sendable {
    /// The model file architecture name.
    public static let architecture = "SentenceBoundaryBiLSTM.v1"

    /// The hyper-parameters.
    public var configuration: SentenceBoundaryConfiguration
    /// The network (single precision).
    public var network: SentenceBoundaryNetwork<Float>
    /// The word vocabulary (case-folded forms); index 0 is the unknown word `<unk>`.
    public let words: [String]
    /// The shape vocabulary; index 0 is the unknown shape.
    public let shapes: [String]
    /// Abbreviations (a binary feature), from the tokenizer lexicon used in training.
    public let abbreviations: Set<String>
    let wordIndex: [String: Int]
    let shapeIndex: [String: Int]

    /// A splitter from its parts.
    public init(
        configuration: SentenceBoundaryConfiguration, network: SentenceBoundaryNetwork<Float>,
        words: [String], shapes: [String], abbreviations: Set<String>
    ) {
        precondition(
            network.words.vocabularySize == words.count
                && network.shapes.vocabularySize == shapes.count,
            "network tables [\(network.words.vocabularySize)], [\(network.shapes.vocabularySize)] for \(words.count) words and \(shapes.count) shapes")
        self.configuration = configuration
        self.network = network
        self.words = words
        self.shapes = shapes
        self.abbreviations = abbreviations
        wordIndex = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        shapeIndex = Dictionary(
            shapes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The model inputs of a token sequence.
    struct Encoded {
        var wordIDs: [Int]
        var shapeIDs: [Int]
        var features: [Float]
    }

    func encode(_ tokens: [Token], in text: String) -> Encoded {
        Encoded(
            wordIDs: tokens.map { wordIndex[BoundaryFeatures.key($0.text)] ?? 0 },
            shapeIDs: tokens.map { shapeIndex[SentenceSplitter.shape($0.text)] ?? 0 },
            features: BoundaryFeatures.matrix(
                tokens, abbreviations: abbreviations, genre: SentenceSplitter.genre(of: text)))
    }

    /// A time-major batch of windows `(start, length)` of one encoded sequence; `targets`
    /// and `mask`, when given, are per token of the sequence.
    static func batch(
        _ encoded: Encoded, windows: [(start: Int, length: Int)], targets: [Int]? = nil,
        mask: [Bool]? = nil, wordDropout: (Int) -> Int = { $0 }
    ) -> SentenceBoundaryNetwork<Float>.Batch {
        let b = windows.count
        let time = windows.map(\.length).max() ?? 0
        let f = BoundaryFeatures.count
        var wordIDs = [Int](repeating: 0, count: time * b)
        var shapeIDs = [Int](repeating: 0, count: time * b)
        var features = Matrix<Float>(rows: time * b, columns: f)
        var rowTargets = targets == nil ? [] : [Int](repeating: 0, count: time * b)
        var rowMask = targets == nil ? [] : [Bool](repeating: false, count: time * b)
        features.withUnsafeMutablePointer { out in
            encoded.features.withUnsafeBufferPointer { source in
                for (s, window) in windows.enumerated() {
                    for t in 0..<window.length {
                        let row = t * b + s
                        let token = window.start + t
                        wordIDs[row] = wordDropout(encoded.wordIDs[token])
                        shapeIDs[row] = encoded.shapeIDs[token]
                        (out + row * f).update(from: source.baseAddress! + token * f, count: f)
                        if let targets, let mask {
                            rowTargets[row] = targets[token]
                            rowMask[row] = mask[token]
                        }
                    }
                }
            }
        }
        return .init(
            wordIDs: wordIDs, shapeIDs: shapeIDs, features: features,
            lengths: windows.map(\.length), targets: rowTargets, mask: rowMask)
    }

    /// The probability that a sentence ends after each token of `tokens` (from `text`).
    public func boundaryProbabilities(_ tokens: [Token], in text: String) -> [Float] {
        guard !tokens.isEmpty else { return [] }
        let encoded = encode(tokens, in: text)
        let n = tokens.count
        let window = max(configuration.window, 2 * configuration.margin + 1)
        let margin = configuration.margin
        let stride = window - 2 * margin
        var windows: [(start: Int, length: Int)] = []
        var start = 0
        while true {
            let length = min(window, n - start)
            windows.append((start, length))
            if start + length >= n { break }
            start += stride
        }
        var result = [Float](repeating: 0, count: n)
        // Windows in groups so that memory stays bounded on long texts.
        let group = 64
        var first = 0
        while first < windows.count {
            let part = Array(windows[first..<min(windows.count, first + group)])
            let batch = Self.batch(encoded, windows: part)
            let probabilities = network.boundaryProbabilities(batch)
            for (s, w) in part.enumerated() {
                let index = first + s
                let from = index == 0 ? 0 : margin
                let to = index == windows.count - 1 ? w.length : min(w.length, window - margin)
                for t in from..<to { result[w.start + t] = probabilities[t * part.count + s] }
            }
            first += group
        }
        return result
    }

    /// Sentences from boundary probabilities with the configured threshold (or `threshold`).
    public func sentences(
        of tokens: [Token], in text: String, probabilities: [Float], threshold: Double? = nil
    ) -> [Range<Int>] {
        precondition(
            probabilities.count == tokens.count,
            "\(probabilities.count) probabilities for \(tokens.count) tokens")
        let cut = Float(threshold ?? configuration.threshold)
        let utf8 = Array(text.utf8)
        var result: [Range<Int>] = []
        var start = 0
        for i in 0..<tokens.count {
            var boundary = i == tokens.count - 1
            if !boundary && tokens[i].spaceAfter {
                boundary =
                    probabilities[i] > cut
                    || SentenceSplitter.containsBlankLine(
                        utf8[tokens[i].utf8Range.upperBound..<tokens[i + 1].utf8Range.lowerBound])
            }
            if !boundary && i + 1 - start >= SentenceSplitter.maximumSentenceLength {
                boundary = true
            }
            if boundary {
                result.append(start..<(i + 1))
                start = i + 1
            }
        }
        return result
    }

    /// The sentences of `tokens` (tokenized from `text`).
    public func sentences(of tokens: [Token], in text: String) -> [Range<Int>] {
        sentences(of: tokens, in: text, probabilities: boundaryProbabilities(tokens, in: text))
    }
}

// MARK: Model file

extension NeuralSentenceSplitter {
    /// The splitter as a model file container.
    public var modelFile: ModelFile {
        ModelFile(
            architecture: Self.architecture,
            configuration: (try? JSONEncoder.sorted.encode(configuration)) ?? Data(),
            vocabularies: [
                "words": words, "shapes": shapes, "abbreviations": abbreviations.sorted(),
            ],
            parameters: network.parameters.map {
                ModelFile.NamedMatrix(name: $0.name, matrix: network[keyPath: $0.keyPath])
            })
    }

    /// A splitter from a model file container, validating the architecture and every shape.
    public init(modelFile file: ModelFile) throws {
        guard file.architecture == Self.architecture else {
            throw ModelFileError.wrongArchitecture(
                found: file.architecture, expected: Self.architecture)
        }
        let configuration = try file.decodeConfiguration(SentenceBoundaryConfiguration.self)
        let words = try file.vocabulary(named: "words")
        let shapes = try file.vocabulary(named: "shapes")
        let abbreviations = try file.vocabulary(named: "abbreviations")
        guard !words.isEmpty, !shapes.isEmpty else {
            throw ModelFileError.malformedHeader(reason: "empty word or shape vocabulary")
        }
        var random = SeededRandom(seed: 0)
        var network = SentenceBoundaryNetwork<Float>(
            wordCount: words.count, wordDimension: configuration.wordDimension,
            shapeCount: shapes.count, shapeDimension: configuration.shapeDimension,
            featureCount: BoundaryFeatures.count, hiddenSize: configuration.hiddenSize,
            random: &random)
        var seen = Set<String>()
        for p in file.parameters {
            guard seen.insert(p.name).inserted else {
                throw ModelFileError.duplicateParameter(name: p.name)
            }
        }
        for p in network.parameters {
            let expected = network[keyPath: p.keyPath]
            network[keyPath: p.keyPath] = try file.matrix(
                named: p.name, rows: expected.rows, columns: expected.columns)
        }
        self.init(
            configuration: configuration, network: network, words: words, shapes: shapes,
            abbreviations: Set(abbreviations))
    }

    /// Reads a splitter from a model file.
    public init(contentsOf path: String) throws {
        try self.init(modelFile: try ModelFile.read(from: path))
    }

    /// Writes the splitter to a model file (via a temporary file and a rename).
    public func write(to path: String) throws {
        try modelFile.write(to: path)
    }

    /// The file name of the shipped English model, `models/sentence-en.model`.
    public static let defaultModelName = "sentence-en.model"

    /// Where the shipped English model is looked for, in order: `$TAGGER_MODELS/`,
    /// `./models/`, and `models/` in each directory above `executable` (so the binary
    /// built in `.build/release/` finds the repository's `models/`).
    public static func defaultModelCandidates(executable: String) -> [String] {
        var result: [String] = []
        if let directory = ProcessInfo.processInfo.environment["TAGGER_MODELS"] {
            result.append(directory + "/" + defaultModelName)
        }
        result.append("models/" + defaultModelName)
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            result.append(url.appendingPathComponent("models/" + defaultModelName).path)
            url = url.deletingLastPathComponent()
        }
        return result
    }
}

extension JSONEncoder {
    fileprivate static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
