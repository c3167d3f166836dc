import LinearAlgebra
import NeuralNetwork

/// The gold answers of one sentence for a `JointTaggerNetwork`: POS tag ids, entity tag ids
/// (internal scheme), or both. A sentence annotated for one task only leaves the other `nil`
/// and adds nothing to that task's loss.
public struct JointTarget: Equatable, Sendable {
    /// UPOS tag ids, one per word, or `nil` when the sentence has no POS annotation.
    public var pos: [Int]?
    /// Entity tag ids, one per word, or `nil` when the sentence has no entity annotation.
    public var ner: [Int]?

    /// A target from its parts; at least one must be given.
    public init(pos: [Int]?, ner: [Int]?) {
        precondition(pos != nil || ner != nil, "a joint target needs POS or entity tags")
        self.pos = pos
        self.ner = ner
    }
}

/// One encoder, two heads: `WordEmbedder` → dropout → `SequenceEncoder` → dropout, then a
/// softmax head for POS tags and a CRF head for entity tags, both reading the same states.
/// One forward pass of the encoder gives both tag sequences.
///
/// Loss of a batch of `T` tokens: `(Σ POS cross-entropy over the tokens + w · Σ entity CRF
/// negative log-likelihood over the sentences) / T` with `w = nerLossWeight`. With `w = 1`
/// (the default) it is the negative log-likelihood of both annotations per token: both terms
/// are in nats per token, so neither task is scaled against the other. One count
/// (`lossWeight`, the tokens) normalises the whole loss, so the two halves of a data-parallel
/// batch combine into exactly the whole batch's loss and gradient. The encoder and embedder
/// receive the sum of both heads' gradients.
///
/// Parameter names: `embedder.…`, `encoder.layers.…`, `pos.output.W` `[2·hidden, posTags]`,
/// `pos.output.b` `[1, posTags]`, `ner.output.W` `[2·hidden, nerTags]`, `ner.output.b`
/// `[1, nerTags]`, `ner.crf.transitions` `[nerTags, nerTags]`, `ner.crf.start`,
/// `ner.crf.end` `[1, nerTags]`.
public struct JointTaggerNetwork<Scalar: BLASScalar>: TrainableNetwork {
    /// The gold answers of a sentence.
    public typealias Target = JointTarget

    /// The token representation.
    public var embedder: WordEmbedder<Scalar>
    /// The shared bidirectional encoder.
    public var encoder: SequenceEncoder<Scalar>
    /// The projection to POS tag scores.
    public var posOutput: Linear<Scalar>
    /// The projection to entity tag scores.
    public var nerOutput: Linear<Scalar>
    /// The CRF over entity tag scores.
    public var crf: CRF<Scalar>
    /// Drop probability on the embedder and encoder outputs.
    public var dropout: Double
    /// The weight `w` of the entity loss against the POS loss in training (1: both in nats
    /// per token); not stored in model files, since it does not change predictions.
    public var nerLossWeight = 1.0

    /// A seeded network for the given vocabulary sizes and tag counts (`configuration.crf`
    /// is ignored: the entity head always has a CRF, the POS head never).
    public init(
        configuration: NetworkConfiguration, wordCount: Int, characterCount: Int,
        posTagCount: Int, nerTagCount: Int, random: inout SeededRandom
    ) {
        embedder = WordEmbedder(
            configuration: configuration.embedder, wordCount: wordCount,
            characterCount: characterCount, random: &random)
        encoder = SequenceEncoder(
            cell: configuration.cell, inputSize: configuration.embedder.outputSize,
            hiddenSize: configuration.hidden, layers: configuration.layers,
            dropout: configuration.dropout, random: &random)
        posOutput = Linear(
            inputSize: 2 * configuration.hidden, outputSize: posTagCount, random: &random)
        nerOutput = Linear(
            inputSize: 2 * configuration.hidden, outputSize: nerTagCount, random: &random)
        crf = CRF(tagCount: nerTagCount, random: &random)
        dropout = configuration.dropout
    }

    /// The number of POS tags.
    public var posTagCount: Int { posOutput.outputSize }
    /// The number of entity tags (internal scheme).
    public var nerTagCount: Int { nerOutput.outputSize }

    /// See `TrainableNetwork.visitParameters`.
    public mutating func visitParameters(_ body: (String, inout Matrix<Scalar>) throws -> Void)
        rethrows
    {
        try embedder.visitParameters(prefix: "embedder", body)
        try encoder.visitParameters(prefix: "encoder", body)
        try posOutput.visitMatrices(prefix: "pos.output", body)
        try nerOutput.visitMatrices(prefix: "ner.output", body)
        try crf.visitMatrices(prefix: "ner.crf", body)
    }

    /// See `NamedParameters.visitParameterMatrices`.
    public mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = try embedder.visitParameterMatrices(from: 0, body)
        next = try encoder.visitParameterMatrices(from: next, body)
        next = try posOutput.modifyParameters(from: next, body)
        next = try nerOutput.modifyParameters(from: next, body)
        try crf.modifyParameters(from: next, body)
    }

    /// See `TrainableNetwork.setConcurrentDirections`.
    public mutating func setConcurrentDirections(_ on: Bool) {
        embedder.runsDirectionsConcurrently = on
        encoder.setConcurrentDirections(on)
    }

    /// See `TrainableNetwork.lossWeight`: the tokens of the batch, over which both terms
    /// of the loss are averaged.
    public func lossWeight(_ input: EmbedderInput) -> Int { input.lengths.reduce(0, +) }

    /// The two heads as single-task networks over the shared embedder and encoder: the POS
    /// head (softmax) and the entity head (CRF). Each predicts what this network predicts
    /// for its task.
    public var posNetwork: TokenClassifierNetwork<Scalar> {
        TokenClassifierNetwork(
            embedder: embedder, encoder: encoder, output: posOutput, crf: nil, dropout: dropout)
    }

    /// The entity head as a single-task network (see `posNetwork`).
    public var nerNetwork: TokenClassifierNetwork<Scalar> {
        TokenClassifierNetwork(
            embedder: embedder, encoder: encoder, output: nerOutput, crf: crf, dropout: dropout)
    }

    /// POS and entity tag scores, each `[time·batch, tags]` (time-major), from one encoder
    /// pass, and the cache for the backward pass (usable only when `keepsCache`). Without the
    /// cache (inference) a sentence's `Float` scores are the same, to the bit, in every batch.
    @_specialize(where Scalar == Float)
    public func scores(
        _ input: EmbedderInput, training: Bool, random: inout SeededRandom, keepsCache: Bool = true
    ) -> (pos: Matrix<Scalar>, ner: Matrix<Scalar>, cache: Cache) {
        let (states, encoding) = TokenEncoding.forward(
            embedder: embedder, encoder: encoder, dropout: dropout, input: input,
            training: training, random: &random, keepsCache: keepsCache)
        let (pos, posCache) = posOutput.forward(states)
        let (ner, nerCache) = nerOutput.forward(states)
        return (pos, ner, Cache(encoding: encoding, pos: posCache, ner: nerCache))
    }

    /// What the backward pass needs.
    public struct Cache {
        var encoding: TokenEncoding<Scalar>.Cache
        var pos: Linear<Scalar>.Cache
        var ner: Linear<Scalar>.Cache
    }

    /// The loss described above (`(Σ POS cross-entropy + w · Σ entity CRF NLL) / tokens`)
    /// and the gradients of every parameter.
    @_specialize(where Scalar == Float)
    public func lossAndGradients(
        _ input: EmbedderInput, targets: [JointTarget], training: Bool, random: inout SeededRandom
    ) -> (loss: Scalar, gradients: ParameterGradients<Scalar>) {
        precondition(
            targets.count == input.batch, "\(targets.count) targets for \(input.batch) sentences")
        let (posScores, nerScores, cache) = scores(input, training: training, random: &random)
        let scale = 1 / Scalar(max(1, lossWeight(input)))
        // POS: summed cross-entropy over the tokens of sentences with POS tags.
        let (flat, mask) = TokenDecoding.rowTargets(
            targets.map(\.pos), batch: input.batch, rows: posScores.rows)
        let pos = SoftmaxCrossEntropy<Scalar>(reduction: .sum)(
            logits: posScores, targets: flat, mask: mask)
        // Entities: summed CRF NLL over sentences with entity tags (the others have length 0,
        // which the CRF counts as no sequence).
        let nerLengths = zip(targets, input.lengths).map { $0.ner == nil ? 0 : $1 }
        let (nerLoss, crfCache) = crf.forward(
            emissions: nerScores, lengths: nerLengths, tags: targets.map { $0.ner ?? [] },
            reduction: .sum)
        let nerScale = scale * Scalar(nerLossWeight)
        let (dNER, crfGradient) = crf.backward(cache: crfCache, dLoss: nerScale)
        let (dStatesPOS, posGradient) = posOutput.backward(scale * pos.gradient, cache: cache.pos)
        var (dStates, nerGradient) = nerOutput.backward(dNER, cache: cache.ner)
        dStates += dStatesPOS
        var gradients = TokenEncoding.backward(
            dStates, cache: cache.encoding, embedder: embedder, encoder: encoder,
            dropout: dropout)
        gradients.add(posGradient, prefix: "pos.output")
        gradients.add(nerGradient, prefix: "ner.output")
        gradients.add(crfGradient, prefix: "ner.crf")
        return (pos.loss * scale + nerLoss * nerScale, gradients)
    }

    /// The best POS tags (softmax) and entity tags (Viterbi, in the internal scheme) of each
    /// sentence with each chosen tag's probability (softmax, or the CRF's marginal), from one
    /// encoder pass. Sets OpenBLAS to one thread (see ``BLASThreads``).
    @_specialize(where Scalar == Float)
    public func predict(_ input: EmbedderInput) -> [(
        pos: (tags: [Int], probabilities: [Scalar]), ner: (tags: [Int], probabilities: [Scalar])
    )] {
        BLASThreads.set(1)
        var random = SeededRandom(seed: 0)
        let (posScores, nerScores, _) = scores(
            input, training: false, random: &random, keepsCache: false)
        let pos = TokenDecoding.argmax(posScores, lengths: input.lengths)
        let ner = TokenDecoding.viterbi(crf, emissions: nerScores, lengths: input.lengths)
        return Array(zip(pos, ner)).map { (pos: $0, ner: $1) }
    }
}
