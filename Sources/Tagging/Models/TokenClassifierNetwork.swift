import LinearAlgebra
import NeuralNetwork

/// A network that can be trained by `Trainer`: a loss with parameter gradients for a batch,
/// and named parameters an optimizer walks.
public protocol TrainableNetwork: NamedParameters {
    /// The gold answer for one sentence (tag ids, or a label id).
    associatedtype Target
    /// The token representation; its word table may share rows with other models.
    var embedder: WordEmbedder<Scalar> { get set }
    /// The loss of a batch (the sentences of `input` with their `targets`, in order) and the
    /// gradients of every parameter; dropout draws from `random` when `training`.
    func lossAndGradients(
        _ input: EmbedderInput, targets: [Target], training: Bool, random: inout SeededRandom
    ) -> (loss: Scalar, gradients: ParameterGradients<Scalar>)
    /// Sets whether the recurrent layers run their two directions on two threads.
    mutating func setConcurrentDirections(_ on: Bool)
    /// What the loss of `input` is averaged over (tokens, or sentences), so that the losses
    /// and gradients of parts of a batch can be combined into those of the whole batch.
    func lossWeight(_ input: EmbedderInput) -> Int
}

/// Many-to-many: `WordEmbedder` → dropout → `SequenceEncoder` → dropout → `Linear` → softmax
/// or CRF, one tag per token.
///
/// Parameter names: `embedder.…`, `encoder.layers.…`, `output.W` `[2·hidden, tags]`,
/// `output.b` `[1, tags]`, and with a CRF `crf.transitions`, `crf.start`, `crf.end`.
public struct TokenClassifierNetwork<Scalar: BLASScalar>: TrainableNetwork {
    /// The token representation.
    public var embedder: WordEmbedder<Scalar>
    /// The bidirectional encoder.
    public var encoder: SequenceEncoder<Scalar>
    /// The projection to tag scores.
    public var output: Linear<Scalar>
    /// The CRF over tag scores, if the network decodes with one.
    public var crf: CRF<Scalar>?
    /// Drop probability on the embedder and encoder outputs.
    public var dropout: Double

    /// A seeded network for the given vocabulary sizes and tag count.
    public init(
        configuration: NetworkConfiguration, wordCount: Int, characterCount: Int, tagCount: Int,
        random: inout SeededRandom
    ) {
        embedder = WordEmbedder(
            configuration: configuration.embedder, wordCount: wordCount,
            characterCount: characterCount,
            random: &random)
        encoder = SequenceEncoder(
            cell: configuration.cell, inputSize: configuration.embedder.outputSize,
            hiddenSize: configuration.hidden, layers: configuration.layers,
            dropout: configuration.dropout,
            random: &random)
        output = Linear(inputSize: 2 * configuration.hidden, outputSize: tagCount, random: &random)
        if configuration.crf { crf = CRF(tagCount: tagCount, random: &random) }
        dropout = configuration.dropout
    }

    /// A network from its parts (`crf`, when given, over `output`'s tags).
    public init(
        embedder: WordEmbedder<Scalar>, encoder: SequenceEncoder<Scalar>, output: Linear<Scalar>,
        crf: CRF<Scalar>?, dropout: Double
    ) {
        precondition(
            crf == nil || crf!.tagCount == output.outputSize,
            "a CRF of \(crf!.tagCount) tags over an output of \(output.outputSize)")
        self.embedder = embedder
        self.encoder = encoder
        self.output = output
        self.crf = crf
        self.dropout = dropout
    }

    /// The number of tags.
    public var tagCount: Int { output.outputSize }

    /// See `TrainableNetwork.visitParameters`.
    public mutating func visitParameters(_ body: (String, inout Matrix<Scalar>) throws -> Void)
        rethrows
    {
        try embedder.visitParameters(prefix: "embedder", body)
        try encoder.visitParameters(prefix: "encoder", body)
        try output.visitMatrices(prefix: "output", body)
        if crf != nil { try crf!.visitMatrices(prefix: "crf", body) }
    }

    /// See `NamedParameters.visitParameterMatrices`.
    public mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = try embedder.visitParameterMatrices(from: 0, body)
        next = try encoder.visitParameterMatrices(from: next, body)
        next = try output.modifyParameters(from: next, body)
        if crf != nil { try crf!.modifyParameters(from: next, body) }
    }

    /// See `TrainableNetwork.setConcurrentDirections`.
    public mutating func setConcurrentDirections(_ on: Bool) {
        embedder.runsDirectionsConcurrently = on
        encoder.setConcurrentDirections(on)
    }

    /// See `TrainableNetwork.lossWeight`: sentences with a CRF (mean per-sentence
    /// likelihood), tokens otherwise (mean per-token cross-entropy).
    public func lossWeight(_ input: EmbedderInput) -> Int {
        crf != nil ? input.batch : input.lengths.reduce(0, +)
    }

    /// What the backward pass needs.
    public struct Cache {
        var encoding: TokenEncoding<Scalar>.Cache
        var output: Linear<Scalar>.Cache
    }

    /// Tag scores `[time·batch, tags]` (time-major) and the cache (which `backward` can use
    /// only when `keepsCache`). Without the cache (inference) a sentence's `Float` scores are
    /// the same, to the bit, in every batch (see `RecurrentEngine` and `Linear`).
    @_specialize(where Scalar == Float)
    public func scores(
        _ input: EmbedderInput, training: Bool, random: inout SeededRandom, keepsCache: Bool = true
    )
        -> (scores: Matrix<Scalar>, cache: Cache)
    {
        let (hd, encoding) = TokenEncoding.forward(
            embedder: embedder, encoder: encoder, dropout: dropout, input: input,
            training: training, random: &random, keepsCache: keepsCache)
        let (logits, outCache) = output.forward(hd)
        return (logits, Cache(encoding: encoding, output: outCache))
    }

    /// Gradients of all parameters from the gradient of the scores.
    @_specialize(where Scalar == Float)
    public func backward(_ dScores: Matrix<Scalar>, cache: Cache) -> ParameterGradients<Scalar> {
        let (dH, outGradient) = output.backward(dScores, cache: cache.output)
        var gradients = TokenEncoding.backward(
            dH, cache: cache.encoding, embedder: embedder, encoder: encoder, dropout: dropout)
        gradients.add(outGradient, prefix: "output")
        return gradients
    }

    /// Mean per-token cross-entropy (softmax) or mean per-sentence negative log-likelihood
    /// (CRF) of the gold tag ids, and all parameter gradients.
    @_specialize(where Scalar == Float)
    public func lossAndGradients(
        _ input: EmbedderInput, targets: [[Int]], training: Bool, random: inout SeededRandom
    ) -> (loss: Scalar, gradients: ParameterGradients<Scalar>) {
        let (logits, cache) = scores(input, training: training, random: &random)
        let batch = input.batch
        if let crf {
            let (loss, crfCache) = crf.forward(
                emissions: logits, lengths: input.lengths, tags: targets)
            let (dE, crfGradient) = crf.backward(cache: crfCache)
            var gradients = backward(dE, cache: cache)
            gradients.add(crfGradient, prefix: "crf")
            return (loss, gradients)
        }
        let (flat, mask) = TokenDecoding.rowTargets(targets, batch: batch, rows: logits.rows)
        let result = SoftmaxCrossEntropy<Scalar>(reduction: .mean)(
            logits: logits, targets: flat, mask: mask)
        return (result.loss, backward(result.gradient, cache: cache))
    }

    /// The best tags of each sentence and each chosen tag's probability (softmax, or the
    /// CRF's marginal of the Viterbi tag). Sets OpenBLAS to one thread (see ``BLASThreads``).
    @_specialize(where Scalar == Float)
    public func predict(_ input: EmbedderInput) -> [(tags: [Int], probabilities: [Scalar])] {
        BLASThreads.set(1)
        var random = SeededRandom(seed: 0)
        let (logits, _) = scores(input, training: false, random: &random, keepsCache: false)
        if let crf { return TokenDecoding.viterbi(crf, emissions: logits, lengths: input.lengths) }
        return TokenDecoding.argmax(logits, lengths: input.lengths)
    }
}

/// The shared front of the token networks: `WordEmbedder` → dropout → `SequenceEncoder` →
/// dropout, and its backward pass.
enum TokenEncoding<Scalar: BLASScalar> {
    /// What the backward pass needs.
    struct Cache {
        var embedder: WordEmbedder<Scalar>.Cache
        var inputDropout: Dropout<Scalar>.Cache
        var encoder: SequenceEncoder<Scalar>.Cache
        var outputDropout: Dropout<Scalar>.Cache
    }

    /// The encoder states after dropout, `[time·batch, 2·hidden]` (time-major).
    @_specialize(where Scalar == Float)
    static func forward(
        embedder: WordEmbedder<Scalar>, encoder: SequenceEncoder<Scalar>, dropout: Double,
        input: EmbedderInput, training: Bool, random: inout SeededRandom, keepsCache: Bool
    ) -> (states: Matrix<Scalar>, cache: Cache) {
        let drop = Dropout<Scalar>(probability: dropout)
        let (x, embedCache) = embedder.forward(input, keepsCache: keepsCache)
        let (xd, inDrop) = drop.forward(x, training: training, random: &random)
        let (h, encCache) = encoder.forward(
            xd, lengths: input.lengths, training: training, random: &random, keepsCache: keepsCache)
        let (hd, outDrop) = drop.forward(h, training: training, random: &random)
        return (
            hd,
            Cache(
                embedder: embedCache, inputDropout: inDrop, encoder: encCache,
                outputDropout: outDrop)
        )
    }

    /// The gradients of the embedder's and encoder's parameters (`embedder.…`,
    /// `encoder.…`) from the gradient of the states `forward` returned.
    @_specialize(where Scalar == Float)
    static func backward(
        _ dStates: Matrix<Scalar>, cache: Cache, embedder: WordEmbedder<Scalar>,
        encoder: SequenceEncoder<Scalar>, dropout: Double
    ) -> ParameterGradients<Scalar> {
        let drop = Dropout<Scalar>(probability: dropout)
        let dh = drop.backward(dStates, cache: cache.outputDropout)
        var (dX, gradients) = encoder.backward(dh, cache: cache.encoder, prefix: "encoder")
        dX = drop.backward(dX, cache: cache.inputDropout)
        gradients.merge(embedder.backward(dX, cache: cache.embedder, prefix: "embedder"))
        return gradients
    }
}

/// Turning tag scores into tags, and gold tags into the rows of a score matrix.
enum TokenDecoding {
    /// Per-row targets and mask of a time-major `[time·batch, tags]` score matrix: row
    /// `t·batch + s` holds tag `t` of sentence `s`; a `nil` sentence (no gold tags) and
    /// padding rows are masked out.
    static func rowTargets(_ targets: [[Int]?], batch: Int, rows: Int) -> (
        targets: [Int], mask: [Bool]
    ) {
        var flat = [Int](repeating: 0, count: rows)
        var mask = [Bool](repeating: false, count: rows)
        for (s, tags) in targets.enumerated() {
            guard let tags else { continue }
            for (t, tag) in tags.enumerated() {
                flat[t * batch + s] = tag
                mask[t * batch + s] = true
            }
        }
        return (flat, mask)
    }

    /// The Viterbi tags of each sentence with the CRF marginal of each chosen tag.
    @_specialize(where Scalar == Float)
    static func viterbi<Scalar: BLASScalar>(
        _ crf: CRF<Scalar>, emissions: Matrix<Scalar>, lengths: [Int]
    ) -> [(tags: [Int], probabilities: [Scalar])] {
        let batch = lengths.count
        let k = crf.tagCount
        let paths = crf.viterbi(emissions: emissions, lengths: lengths)
        let marginals = crf.marginals(emissions: emissions, lengths: lengths)
        return paths.enumerated().map { s, path in
            (
                path.tags,
                path.tags.enumerated().map { t, tag in
                    marginals.scalars[(t * batch + s) * k + tag]
                }
            )
        }
    }

    /// The most probable tag of each token with its softmax probability.
    @_specialize(where Scalar == Float)
    static func argmax<Scalar: BLASScalar>(_ logits: Matrix<Scalar>, lengths: [Int])
        -> [(tags: [Int], probabilities: [Scalar])]
    {
        let batch = lengths.count
        let k = logits.columns
        let probabilities = logits.softmaxRows()
        return (0..<batch).map { s in
            var tags: [Int] = []
            var probs: [Scalar] = []
            for t in 0..<lengths[s] {
                let row = (t * batch + s) * k
                var best = 0
                for j in 1..<max(k, 1)
                where probabilities.scalars[row + j] > probabilities.scalars[row + best] {
                    best = j
                }
                tags.append(best)
                probs.append(probabilities.scalars[row + best])
            }
            return (tags, probs)
        }
    }
}
