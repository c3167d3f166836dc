import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text
import Tokenization

/// The hyper-parameters of a ``NeuralSentenceSplitter``, stored in its model file.
public struct SentenceBoundaryConfiguration: Codable, Equatable, Sendable {
    /// Word embedding size.
    public var wordDimension = 32
    /// Shape embedding size.
    public var shapeDimension = 8
    /// BiLSTM units per direction.
    public var hiddenSize = 48
    /// A gap after sentence-final punctuation is a boundary when the model's probability
    /// exceeds this (tuned on dev).
    public var threshold = 0.5
    /// The threshold for gaps after a token that does not end in `.`, `!`, `?` or `…`
    /// (possibly followed by closing quotes or brackets): signatures, headers, lists.
    public var unpunctuatedThreshold = 0.5
    /// Tokens per inference window.
    public var window = 160
    /// Tokens at each inner edge of a window whose decisions are taken from the
    /// neighbouring window instead (windows overlap by `2·margin`).
    public var margin = 30
    /// Independently trained networks whose probabilities are averaged (an ensemble; see
    /// also ``memberShapes`` and ``memberWeights``).
    public var members = 1
    /// Length of the fixed pretrained word vectors appended to each token's features (0: none).
    public var pretrainedDimension = 0
    /// Stacked BiLSTM layers.
    public var layers = 1
    /// The threshold after sentence-final punctuation in a text with paragraphs (a blank line
    /// between two of its tokens); `nil`: ``threshold``. Tuned on dev laid out in paragraphs
    /// (``SentenceSplitterTrainer/tuneCombination(_:dev:tokenizer:)``).
    public var paragraphThreshold: Double?
    /// The threshold elsewhere in a text with paragraphs; `nil`: ``unpunctuatedThreshold``.
    /// Usually higher: the ends of headers, signatures and titles, the boundaries without
    /// punctuation, mostly come with a blank line there.
    public var paragraphUnpunctuatedThreshold: Double?
    /// The weight of the lexicon perceptron's score for a gap added to the network's
    /// boundary log-odds (``NeuralSentenceSplitter/combined(_:scores:weight:)``); `nil`: 0,
    /// the network alone. Chosen on dev with the thresholds.
    public var perceptronWeight: Double?
    /// The shape of each ensemble member when the members differ (sizes, layers, whether
    /// they read the pretrained vectors), such as a large network with vectors merged with a
    /// small one without (``NeuralSentenceSplitter/addingMembers(of:weight:)``); `nil`: every
    /// member has the shape the fields above give.
    public var memberShapes: [SentenceBoundaryMemberShape]?
    /// The weight of each member's boundary log-odds in their weighted mean, which is then
    /// the ensemble's (``NeuralSentenceSplitter/combinedMembers(_:weights:)``); `nil`: the
    /// members' probabilities are averaged.
    public var memberWeights: [Double]?

    /// The default configuration.
    public init() {}

    /// Decodes a configuration; keys added after the first version (`unpunctuatedThreshold`,
    /// `members`, `pretrainedDimension`, `layers`, `paragraphThreshold`,
    /// `paragraphUnpunctuatedThreshold`, `perceptronWeight`, `memberShapes`, `memberWeights`)
    /// take their defaults when absent, so older model files still load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        wordDimension = try c.decode(Int.self, forKey: .wordDimension)
        shapeDimension = try c.decode(Int.self, forKey: .shapeDimension)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        threshold = try c.decode(Double.self, forKey: .threshold)
        unpunctuatedThreshold =
            try c.decodeIfPresent(Double.self, forKey: .unpunctuatedThreshold) ?? threshold
        window = try c.decode(Int.self, forKey: .window)
        margin = try c.decode(Int.self, forKey: .margin)
        members = try c.decodeIfPresent(Int.self, forKey: .members) ?? 1
        pretrainedDimension = try c.decodeIfPresent(Int.self, forKey: .pretrainedDimension) ?? 0
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? 1
        paragraphThreshold = try c.decodeIfPresent(Double.self, forKey: .paragraphThreshold)
        paragraphUnpunctuatedThreshold = try c.decodeIfPresent(
            Double.self, forKey: .paragraphUnpunctuatedThreshold)
        perceptronWeight = try c.decodeIfPresent(Double.self, forKey: .perceptronWeight)
        memberShapes = try c.decodeIfPresent(
            [SentenceBoundaryMemberShape].self, forKey: .memberShapes)
        memberWeights = try c.decodeIfPresent([Double].self, forKey: .memberWeights)
    }

    /// The shape of member `k`: ``memberShapes``'s, else the one the other fields give.
    public func memberShape(_ k: Int) -> SentenceBoundaryMemberShape {
        memberShapes?[k]
            ?? SentenceBoundaryMemberShape(
                wordDimension: wordDimension, shapeDimension: shapeDimension,
                hiddenSize: hiddenSize, layers: layers, readsPretrained: pretrainedDimension > 0)
    }

    /// The thresholds (after sentence-final punctuation, elsewhere) for a text with
    /// paragraphs or without.
    public func thresholds(paragraphs: Bool) -> (punctuated: Double, unpunctuated: Double) {
        paragraphs
            ? (
                paragraphThreshold ?? threshold,
                paragraphUnpunctuatedThreshold ?? unpunctuatedThreshold
            ) : (threshold, unpunctuatedThreshold)
    }
}

/// The sizes of one network of a ``NeuralSentenceSplitter``'s ensemble.
public struct SentenceBoundaryMemberShape: Codable, Equatable, Sendable {
    /// Word embedding size.
    public var wordDimension: Int
    /// Shape embedding size.
    public var shapeDimension: Int
    /// BiLSTM units per direction.
    public var hiddenSize: Int
    /// Stacked BiLSTM layers.
    public var layers: Int
    /// Whether the network reads the splitter's pretrained vectors after the
    /// ``BoundaryFeatures`` (else only those).
    public var readsPretrained: Bool

    /// A shape from its sizes.
    public init(
        wordDimension: Int, shapeDimension: Int, hiddenSize: Int, layers: Int,
        readsPretrained: Bool
    ) {
        self.wordDimension = wordDimension
        self.shapeDimension = shapeDimension
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.readsPretrained = readsPretrained
    }

    /// The shape of `network`, which reads the pretrained vectors when it has more inputs
    /// than the ``BoundaryFeatures``.
    public init(of network: SentenceBoundaryNetwork<Float>) {
        self.init(
            wordDimension: network.words.dimension, shapeDimension: network.shapes.dimension,
            hiddenSize: network.encoder.hiddenSize, layers: 1 + network.upper.count,
            readsPretrained: network.featureCount > BoundaryFeatures.count)
    }
}

/// A sentence splitter for running text: a BiLSTM over windows of the token stream
/// (``SentenceBoundaryNetwork``) decides after which tokens a sentence ends. It sees no line
/// breaks, so it works on text whose sentences are joined by single spaces; a blank line
/// still always ends a sentence, and a sentence is cut after
/// ``SentenceSplitter/maximumSentenceLength`` tokens. The edges of the paragraphs of a text
/// (separated by blank lines) are marked like the text's own start and end, the rest of the
/// text staying in view, and a text with paragraphs is cut at its own thresholds
/// (``SentenceBoundaryConfiguration/thresholds(paragraphs:)``).
///
/// Lives in `Tagging` because `Text` does not import `NeuralNetwork`; the `Text` module's
/// ``SentenceSplitter`` (averaged perceptron) stays the default of `Tokenizer.document`.
public struct NeuralSentenceSplitter: SentenceSegmenter, @unchecked Sendable {
    /// The model file architecture name.
    public static let architecture = ModelArchitecture.sentenceBoundary

    /// The hyper-parameters.
    public var configuration: SentenceBoundaryConfiguration
    /// The ensemble's networks (single precision), `configuration.members` of them, sharing
    /// the vocabularies; their boundary probabilities are averaged, or with
    /// ``SentenceBoundaryConfiguration/memberWeights`` their log-odds combined.
    public var networks: [SentenceBoundaryNetwork<Float>]
    /// The word vocabulary (case-folded forms); index 0 is the unknown word `<unk>`.
    public let words: [String]
    /// The shape vocabulary; index 0 is the unknown shape.
    public let shapes: [String]
    /// Abbreviations (a binary feature), from the tokenizer lexicon used in training.
    public let abbreviations: Set<String>
    /// The averaged-perceptron boundary weights whose score is an input feature (from the
    /// tokenizer lexicon used in training; stored in the model so that it is self-contained).
    public let perceptronWeights: [String: Double]
    /// Fixed pretrained word vectors (looked up lowercased, zeros for a word without one)
    /// appended to each token's features, shared by the ensemble's networks; not fine-tuned.
    public let pretrained: PretrainedVectors?
    /// The shared vector table `pretrained` is, when it was read from one: the model file
    /// then refers to the table instead of storing the vectors.
    var pretrainedTable: SharedVectorTable?
    /// Threads a batch may use: 1 runs everything on the calling thread; 2 runs a large
    /// batch's two directions at once.
    public var threads = 1
    let wordIndex: [String: Int]
    let shapeIndex: [String: Int]

    /// A splitter from its parts.
    public init(
        configuration: SentenceBoundaryConfiguration, networks: [SentenceBoundaryNetwork<Float>],
        words: [String], shapes: [String], abbreviations: Set<String>,
        perceptronWeights: [String: Double], pretrained: PretrainedVectors? = nil
    ) {
        precondition(!networks.isEmpty, "a splitter needs at least one network")
        let featureCount = BoundaryFeatures.count + (pretrained?.dimension ?? 0)
        for network in networks {
            precondition(
                network.words.vocabularySize == words.count
                    && network.shapes.vocabularySize == shapes.count
                    && (network.featureCount == featureCount
                        || network.featureCount == BoundaryFeatures.count),
                "network tables [\(network.words.vocabularySize)], [\(network.shapes.vocabularySize)], \(network.featureCount) features for \(words.count) words, \(shapes.count) shapes, \(featureCount) features"
            )
        }
        precondition(
            configuration.memberWeights.map { $0.count == networks.count } ?? true,
            "\(configuration.memberWeights?.count ?? 0) member weights for \(networks.count) networks"
        )
        self.configuration = configuration
        self.configuration.members = networks.count
        self.configuration.pretrainedDimension = pretrained?.dimension ?? 0
        self.configuration.layers = 1 + networks[0].upper.count
        // Members of different shapes (or one not reading the vectors) keep each one's.
        let memberShapes = networks.map(SentenceBoundaryMemberShape.init(of:))
        let uniform =
            memberShapes.allSatisfy { $0 == memberShapes[0] }
            && memberShapes[0].readsPretrained == (pretrained != nil)
        self.configuration.memberShapes = uniform ? nil : memberShapes
        self.networks = networks
        self.words = words
        self.shapes = shapes
        self.abbreviations = abbreviations
        self.perceptronWeights = perceptronWeights
        self.pretrained = pretrained
        wordIndex = Dictionary(words.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        shapeIndex = Dictionary(
            shapes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The number of real-valued inputs per token: the ``BoundaryFeatures`` and the
    /// pretrained vector, if any.
    public var featureCount: Int { BoundaryFeatures.count + (pretrained?.dimension ?? 0) }

    /// The model inputs of a token sequence.
    struct Encoded {
        var wordIDs: [Int]
        var shapeIDs: [Int]
        /// `featureCount` per token.
        var features: [Float]
        /// The perceptron's score for the gap after each token.
        var scores: [Double] = []
    }

    func encode(_ tokens: [Token], in text: String, perceptron: [String: Double]? = nil)
        -> Encoded
    {
        var (base, scores) = BoundaryFeatures.matrixAndScores(
            tokens, abbreviations: abbreviations, genre: SentenceSplitter.genre(of: text),
            perceptron: perceptron ?? perceptronWeights)
        BoundaryFeatures.markParagraphEdges(
            &base, paragraphEnds: Self.paragraphEnds(tokens, in: text))
        var features = base
        if let pretrained {
            let b = BoundaryFeatures.count
            let f = b + pretrained.dimension
            features = [Float](repeating: 0, count: tokens.count * f)
            features.withUnsafeMutableBufferPointer { out in
                for (i, token) in tokens.enumerated() {
                    for k in 0..<b { out[i * f + k] = base[i * b + k] }
                    if let row = pretrained.row(of: token.text.lowercased()) {
                        pretrained.rows.copyRow(row, into: out.baseAddress! + i * f + b)
                    }
                }
            }
        }
        return Encoded(
            wordIDs: tokens.map { wordIndex[BoundaryFeatures.key($0.text)] ?? 0 },
            shapeIDs: tokens.map { shapeIndex[SentenceSplitter.shape($0.text)] ?? 0 },
            features: features, scores: scores)
    }

    /// A time-major batch of windows `(start, length)` of one encoded sequence; `targets`
    /// and `mask`, when given, are per token of the sequence.
    static func batch(
        _ encoded: Encoded, windows: [(start: Int, length: Int)], targets: [Int]? = nil,
        mask: [Bool]? = nil, wordDropout: (Int) -> Int = { $0 }
    ) -> SentenceBoundaryNetwork<Float>.Batch {
        let b = windows.count
        let time = windows.map(\.length).max() ?? 0
        let f = encoded.features.count / max(1, encoded.wordIDs.count)
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

    /// The lexicon perceptron's boundary score of the gap after each token of `tokens` (from
    /// `text`; 0 after the last): the sum of the ``perceptronWeights`` of its features.
    public func perceptronScores(_ tokens: [Token], in text: String) -> [Double] {
        BoundaryFeatures.matrixAndScores(
            tokens, abbreviations: abbreviations, genre: SentenceSplitter.genre(of: text),
            perceptron: perceptronWeights
        ).scores
    }

    /// Network probabilities combined with perceptron scores: `σ(logit(p) + weight · score)`
    /// per token (`p` kept within [10⁻⁶, 1 − 10⁻⁶]); `weight` 0 leaves them as they are.
    public static func combined(_ probabilities: [Float], scores: [Double], weight: Double)
        -> [Float]
    {
        guard weight != 0 else { return probabilities }
        return zip(probabilities, scores).map { p, score in
            let q = min(max(Double(p), 1e-6), 1 - 1e-6)
            return Float(1 / (1 + exp(-(log(q / (1 - q)) + weight * score))))
        }
    }

    /// The first `count` columns of `matrix`.
    static func leadingColumns(_ matrix: Matrix<Float>, _ count: Int) -> Matrix<Float> {
        var result = Matrix<Float>(rows: matrix.rows, columns: count)
        let columns = matrix.columns
        result.withUnsafeMutablePointer { out in
            matrix.withUnsafePointer { source in
                for r in 0..<matrix.rows {
                    (out + r * count).update(from: source + r * columns, count: count)
                }
            }
        }
        return result
    }

    /// The members' probabilities averaged (an ensemble without member weights).
    static func averagedMembers(_ probabilities: [[Float]]) -> [Float] {
        guard probabilities.count > 1 else { return probabilities[0] }
        var sum = probabilities[0]
        for member in probabilities.dropFirst() {
            for (k, p) in member.enumerated() { sum[k] += p }
        }
        let scale = 1 / Float(probabilities.count)
        return sum.map { $0 * scale }
    }

    /// The members' probabilities combined by ``SentenceBoundaryConfiguration/memberWeights``:
    /// `σ(Σₖ wₖ·logit(pₖ) / Σₖ wₖ)` per token (each `pₖ` kept within [10⁻⁶, 1 − 10⁻⁶]).
    public static func combinedMembers(_ probabilities: [[Float]], weights: [Double]) -> [Float] {
        precondition(
            probabilities.count == weights.count && !weights.isEmpty,
            "\(weights.count) weights for \(probabilities.count) members")
        let total = weights.reduce(0, +)
        var logOdds = [Double](repeating: 0, count: probabilities[0].count)
        for (member, weight) in zip(probabilities, weights) {
            for (i, p) in member.enumerated() {
                let q = min(max(Double(p), 1e-6), 1 - 1e-6)
                logOdds[i] += weight * log(q / (1 - q))
            }
        }
        return logOdds.map { Float(1 / (1 + exp(-$0 / total))) }
    }

    /// The probability that a sentence ends after each token of `tokens` (from `text`).
    public func boundaryProbabilities(_ tokens: [Token], in text: String) -> [Float] {
        boundaryProbabilities(ofTexts: [(tokens, text)])[0]
    }

    /// The boundary probabilities of several texts at once: their windows share batches,
    /// which is much faster than one text at a time when the texts are short (paragraphs,
    /// documents). Each text is read on its own (no context crosses from one to the next).
    /// With a ``SentenceBoundaryConfiguration/perceptronWeight``, the network's probabilities
    /// combined with the perceptron's scores.
    public func boundaryProbabilities(ofTexts texts: [(tokens: [Token], text: String)])
        -> [[Float]]
    {
        let (network, scores) = networkProbabilitiesAndScores(ofTexts: texts)
        guard let weight = configuration.perceptronWeight, weight != 0 else { return network }
        return zip(network, scores).map { Self.combined($0, scores: $1, weight: weight) }
    }

    /// The networks' (averaged) boundary probabilities of several texts, batched.
    public func networkProbabilities(ofTexts texts: [(tokens: [Token], text: String)])
        -> [[Float]]
    {
        networkProbabilitiesAndScores(ofTexts: texts).probabilities
    }

    /// The networks' probabilities and the perceptron's scores (``perceptronScores(_:in:)``)
    /// of several texts.
    func networkProbabilitiesAndScores(ofTexts texts: [(tokens: [Token], text: String)])
        -> (probabilities: [[Float]], scores: [[Double]])
    {
        let window = max(configuration.window, 2 * configuration.margin + 1)
        let margin = configuration.margin
        let stride = window - 2 * margin
        var encoded = Encoded(wordIDs: [], shapeIDs: [], features: [])
        var scores = texts.map { [Double](repeating: 0, count: $0.tokens.count) }
        // (global start, length, which text, offset of the text, first/last of its text)
        var windows: [(start: Int, length: Int, text: Int, offset: Int, first: Bool, last: Bool)] =
            []
        for (k, item) in texts.enumerated() where !item.tokens.isEmpty {
            let offset = encoded.wordIDs.count
            let e = encode(item.tokens, in: item.text)
            encoded.wordIDs += e.wordIDs
            encoded.shapeIDs += e.shapeIDs
            encoded.features += e.features
            scores[k] = e.scores
            let n = item.tokens.count
            var start = 0
            while true {
                let length = min(window, n - start)
                let last = start + length >= n
                windows.append((offset + start, length, k, offset, start == 0, last))
                if last { break }
                start += stride
            }
        }
        // Longest first, so that each group's shorter windows drop out of the recurrent
        // steps past their end (the engine multiplies only a prefix of sorted rows) instead
        // of being padded to the group's longest.
        windows.sort { $0.length > $1.length }
        var results = texts.map { [Float](repeating: 0, count: $0.tokens.count) }
        // Windows in groups so that memory stays bounded.
        let group = 64
        var first = 0
        while first < windows.count {
            let part = Array(windows[first..<min(windows.count, first + group)])
            let batch = Self.batch(encoded, windows: part.map { ($0.start, $0.length) })
            // Small batches: the two directions on one thread beat handing one to a helper.
            let concurrent = threads >= 2 && batch.wordIDs.count >= 4096
            // Members that do not read the pretrained vectors get only the first columns.
            var narrow: SentenceBoundaryNetwork<Float>.Batch?
            func run(_ network: SentenceBoundaryNetwork<Float>) -> [Float] {
                var network = network
                network.encoder.runsDirectionsConcurrently = concurrent
                guard network.featureCount < batch.features.columns else {
                    return network.boundaryProbabilities(batch)
                }
                if narrow == nil {
                    narrow = batch
                    narrow!.features = Self.leadingColumns(batch.features, network.featureCount)
                }
                return network.boundaryProbabilities(narrow!)
            }
            let members = networks.map(run)
            let probabilities =
                configuration.memberWeights.map { Self.combinedMembers(members, weights: $0) }
                ?? Self.averagedMembers(members)
            for (s, w) in part.enumerated() {
                let from = w.first ? 0 : margin
                let to = w.last ? w.length : min(w.length, window - margin)
                let local = w.start - w.offset
                for t in from..<to {
                    results[w.text][local + t] = probabilities[t * part.count + s]
                }
            }
            first += group
        }
        return (results, scores)
    }

    /// Whether the gap after token `i` follows sentence-final punctuation (`.`, `!`, `?`,
    /// `…`, possibly followed by closing quotes or brackets).
    public static func isPunctuated(_ tokens: [Token], after i: Int) -> Bool {
        var k = i
        while k > 0 && [")", "]", "\"", "'", "”", "’", "»"].contains(tokens[k].text) { k -= 1 }
        guard let last = tokens[k].text.unicodeScalars.last else { return false }
        return last == "." || last == "!" || last == "?" || last == "…"
    }

    /// The indices of the tokens of `tokens` (from `text`) followed by a blank line: the last
    /// token of each paragraph but the text's last.
    public static func paragraphEnds(_ tokens: [Token], in text: String) -> [Int] {
        guard tokens.count > 1, text.utf8.contains(0x0A) else { return [] }
        let utf8 = Array(text.utf8)
        return (0..<(tokens.count - 1)).filter {
            SentenceSplitter.containsBlankLine(
                utf8[tokens[$0].utf8Range.upperBound..<tokens[$0 + 1].utf8Range.lowerBound])
        }
    }

    /// Sentences from boundary probabilities with the configured thresholds for a text with
    /// paragraphs or without (``SentenceBoundaryConfiguration/thresholds(paragraphs:)``), or
    /// `thresholds` (after sentence-final punctuation, elsewhere).
    public func sentences(
        of tokens: [Token], in text: String, probabilities: [Float],
        thresholds: (punctuated: Double, unpunctuated: Double)? = nil
    ) -> [Range<Int>] {
        precondition(
            probabilities.count == tokens.count,
            "\(probabilities.count) probabilities for \(tokens.count) tokens")
        let paragraphEnds = Set(Self.paragraphEnds(tokens, in: text))
        let cuts =
            thresholds ?? configuration.thresholds(paragraphs: !paragraphEnds.isEmpty)
        let (punctuated, unpunctuated) = (Float(cuts.punctuated), Float(cuts.unpunctuated))
        var result: [Range<Int>] = []
        var start = 0
        for i in 0..<tokens.count {
            var boundary = i == tokens.count - 1
            if !boundary && tokens[i].spaceAfter {
                boundary =
                    probabilities[i]
                    > (Self.isPunctuated(tokens, after: i) ? punctuated : unpunctuated)
                    || paragraphEnds.contains(i)
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

    /// The sentences of several texts, their windows batched together.
    public func sentences(ofTexts texts: [(tokens: [Token], text: String)]) -> [[Range<Int>]] {
        zip(texts, boundaryProbabilities(ofTexts: texts)).map {
            sentences(of: $0.tokens, in: $0.text, probabilities: $1)
        }
    }
}

// MARK: Model file

extension NeuralSentenceSplitter {
    /// The splitter as a model file container.
    public var modelFile: ModelFile {
        var vocabularies = [
            "words": words, "shapes": shapes, "abbreviations": abbreviations.sorted(),
            "perceptron": perceptronWeights.sorted { $0.key < $1.key }.map {
                "\($0.value)\t\($0.key)"
            },
        ]
        var parameters = networks.enumerated().flatMap { k, network in
            network.parameters.map {
                ModelFile.NamedMatrix(
                    name: "member\(k).\($0.name)", matrix: network[keyPath: $0.keyPath])
            }
        }
        var sharedRows: [String: ModelFile.SharedRowsReference] = [:]
        if let pretrained {
            vocabularies["pretrained"] = pretrained.words
            if let table = pretrainedTable {
                // Every row is the table's, in its order.
                parameters.append(
                    ModelFile.NamedMatrix(
                        name: "pretrained", matrix: Matrix(rows: 0, columns: pretrained.dimension)))
                sharedRows["pretrained"] = ModelFile.SharedRowsReference(
                    tableName: table.fileName, tableChecksum: table.checksum,
                    rows: (0..<pretrained.words.count).map { UInt32($0) })
            } else {
                parameters.append(
                    ModelFile.NamedMatrix(name: "pretrained", matrix: pretrained.vectors))
            }
        }
        return ModelFile(
            architecture: Self.architecture,
            configuration: (try? ModelFile.configurationEncoder.encode(configuration)) ?? Data(),
            vocabularies: vocabularies, parameters: parameters, sharedRows: sharedRows)
    }

    /// A splitter from a model file container, validating the architecture and every shape;
    /// `path` is where the file was read from, whose folder holds the shared vector table
    /// the file may refer to (when every vector is the table's, the splitter uses the
    /// table's copy, shared through the process-wide cache).
    public init(modelFile file: ModelFile, path: String = "<memory>") throws {
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
        var perceptron: [String: Double] = [:]
        for line in try file.vocabulary(named: "perceptron") {
            guard let tab = line.firstIndex(of: "\t"), let weight = Double(line[..<tab]) else {
                throw ModelFileError.malformedHeader(
                    reason: "perceptron entry \(line.quotedForMessage) is not \"weight<TAB>feature\"")
            }
            perceptron[String(line[line.index(after: tab)...])] = weight
        }
        guard (1...8).contains(configuration.layers) else {
            throw ModelFileError.malformedHeader(
                reason: "\(configuration.layers) layers (1 to 8 expected)")
        }
        guard (1...64).contains(configuration.members) else {
            throw ModelFileError.malformedHeader(
                reason: "\(configuration.members) ensemble members (1 to 64 expected)")
        }
        var seen = Set<String>()
        for p in file.parameters {
            guard seen.insert(p.name).inserted else {
                throw ModelFileError.duplicateParameter(name: p.name)
            }
        }
        var pretrained: PretrainedVectors? = nil
        var pretrainedTable: SharedVectorTable? = nil
        if configuration.pretrainedDimension != 0 {
            guard (1...1024).contains(configuration.pretrainedDimension) else {
                throw ModelFileError.malformedHeader(
                    reason:
                        "pretrained dimension \(configuration.pretrainedDimension) (1 to 1,024 expected)"
                )
            }
            let pretrainedWords = try file.vocabulary(named: "pretrained")
            guard Set(pretrainedWords).count == pretrainedWords.count else {
                throw ModelFileError.malformedHeader(reason: "repeated pretrained words")
            }
            if let (own, shared) = try SharedVectorTable.rows(
                of: "pretrained", in: file, modelPath: path)
            {
                guard shared.rowOfID.count == pretrainedWords.count else {
                    throw ModelFileError.shapeMismatch(
                        name: "pretrained",
                        expected: "[\(pretrainedWords.count), \(configuration.pretrainedDimension)]",
                        found: "[\(shared.rowOfID.count), \(own.columns)]")
                }
                let table = shared.owner as! SharedVectorTable
                if own.rows == 0, table.words == pretrainedWords,
                    shared.rowOfID.enumerated().allSatisfy({ $0.offset == Int($0.element) })
                {
                    pretrained = table.vectors
                    pretrainedTable = table
                } else {
                    pretrained = PretrainedVectors(
                        words: pretrainedWords, vectors: shared.dense(own: own))
                }
            } else {
                pretrained = PretrainedVectors(
                    words: pretrainedWords,
                    vectors: try file.matrix(
                        named: "pretrained", rows: pretrainedWords.count,
                        columns: configuration.pretrainedDimension))
            }
        }
        for name in file.sharedRows.keys where name != "pretrained" {
            throw SharedVectorsError.unexpectedSharedRows(model: path, parameter: name)
        }
        var networks: [SentenceBoundaryNetwork<Float>] = []
        // The members' shapes and weights were checked with the configuration
        // (`checkSizes(against:)`, when it was decoded).
        for k in 0..<configuration.members {
            let shape = configuration.memberShape(k)
            var random = SeededRandom.shapesOnly
            var network = SentenceBoundaryNetwork<Float>(
                wordCount: words.count, wordDimension: shape.wordDimension,
                shapeCount: shapes.count, shapeDimension: shape.shapeDimension,
                featureCount: BoundaryFeatures.count
                    + (shape.readsPretrained ? configuration.pretrainedDimension : 0),
                hiddenSize: shape.hiddenSize, layers: shape.layers, random: &random)
            for p in network.parameters {
                let expected = network[keyPath: p.keyPath]
                network[keyPath: p.keyPath] = try file.matrix(
                    named: "member\(k).\(p.name)", rows: expected.rows, columns: expected.columns)
            }
            networks.append(network)
        }
        self.init(
            configuration: configuration, networks: networks, words: words, shapes: shapes,
            abbreviations: Set(abbreviations), perceptronWeights: perceptron,
            pretrained: pretrained)
        self.pretrainedTable = pretrainedTable
    }

    /// Reads a splitter from a model file (and the shared vector table beside it that the
    /// file may refer to).
    public init(contentsOf path: String) throws {
        try self.init(modelFile: try ModelFile.read(from: path), path: path)
    }

    /// Writes the splitter to a model file (via a temporary file and a rename).
    /// The vectors stay a reference to their shared table when the table is in the
    /// destination's folder, and are written out whole otherwise.
    public func write(to path: String) throws {
        var splitter = self
        if let table = pretrainedTable, !table.isBeside(modelPath: path) {
            splitter.pretrainedTable = nil
        }
        try splitter.modelFile.write(to: path)
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

// MARK: Ensembles of different networks

/// Why two splitters cannot be merged into one ensemble.
public enum SentenceEnsembleError: Error, LocalizedError, Equatable {
    /// The two read their tokens differently: the vocabulary, shapes, abbreviations or
    /// perceptron weights (`what`) differ.
    case differentInputs(what: String)
    /// Both read pretrained vectors, but not the same ones.
    case differentVectors
    /// The weight is not in (0, 1).
    case weight(Double)

    public var errorDescription: String? {
        switch self {
        case .differentInputs(let what):
            return
                "the two sentence models have different \(what): only models trained on the same vocabularies and perceptron can be merged"
        case .differentVectors:
            return "the two sentence models read different pretrained vectors"
        case .weight(let w):
            return "the weight of the added members is \(w), expected above 0 and below 1"
        }
    }
}

extension NeuralSentenceSplitter {
    /// This splitter's networks and `other`'s as one ensemble whose boundary log-odds are the
    /// weighted mean of the members' (``SentenceBoundaryConfiguration/memberWeights``):
    /// `other`'s members weigh `weight` together, this splitter's `1 − weight` (each side's
    /// members shared out as their own weights, or equally). The networks may differ in
    /// size, depth and whether they read pretrained vectors; the two must read the same
    /// words, shapes, abbreviations and perceptron, and the same vectors if both read any.
    /// The configuration (the perceptron weight and the thresholds) is this splitter's: choose
    /// it again on dev (``SentenceSplitterTrainer/tuneCombination(_:dev:tokenizer:)``).
    public func addingMembers(of other: NeuralSentenceSplitter, weight: Double) throws
        -> NeuralSentenceSplitter
    {
        guard weight > 0 && weight < 1 else { throw SentenceEnsembleError.weight(weight) }
        if words != other.words { throw SentenceEnsembleError.differentInputs(what: "words") }
        if shapes != other.shapes { throw SentenceEnsembleError.differentInputs(what: "shapes") }
        if abbreviations != other.abbreviations {
            throw SentenceEnsembleError.differentInputs(what: "abbreviations")
        }
        if perceptronWeights != other.perceptronWeights {
            throw SentenceEnsembleError.differentInputs(what: "perceptron weights")
        }
        if let mine = pretrained, let theirs = other.pretrained,
            mine.words != theirs.words || mine.vectors != theirs.vectors
        {
            throw SentenceEnsembleError.differentVectors
        }
        func shares(_ splitter: NeuralSentenceSplitter, of total: Double) -> [Double] {
            let own =
                splitter.configuration.memberWeights
                ?? [Double](repeating: 1, count: splitter.networks.count)
            let sum = own.reduce(0, +)
            return own.map { total * $0 / sum }
        }
        var configuration = self.configuration
        configuration.memberWeights = shares(self, of: 1 - weight) + shares(other, of: weight)
        var merged = NeuralSentenceSplitter(
            configuration: configuration, networks: networks + other.networks, words: words,
            shapes: shapes, abbreviations: abbreviations, perceptronWeights: perceptronWeights,
            pretrained: pretrained ?? other.pretrained)
        merged.pretrainedTable = pretrained != nil ? pretrainedTable : other.pretrainedTable
        merged.threads = threads
        return merged
    }
}
