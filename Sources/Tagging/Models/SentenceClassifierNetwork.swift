import LinearAlgebra
import NeuralNetwork

/// Many-to-one: `WordEmbedder` → dropout → `SequenceEncoder` → pooling (final states,
/// masked mean or masked max) → dropout → `Linear` → softmax, one label per sentence.
///
/// Parameter names: `embedder.…`, `encoder.layers.…`, `output.W` `[2·hidden, labels]`,
/// `output.b` `[1, labels]`.
public struct SentenceClassifierNetwork<Scalar: BLASScalar>: TrainableNetwork {
    /// The token representation.
    public var embedder: WordEmbedder<Scalar>
    /// The bidirectional encoder.
    public var encoder: SequenceEncoder<Scalar>
    /// The projection to label scores.
    public var output: Linear<Scalar>
    /// How token states become one sentence vector.
    public var pooling: PoolingKind
    /// Drop probability on the embedder output and the pooled vector.
    public var dropout: Double

    /// A seeded network for the given vocabulary sizes and label count.
    public init(
        configuration: NetworkConfiguration, wordCount: Int, characterCount: Int, labelCount: Int,
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
        output = Linear(
            inputSize: 2 * configuration.hidden, outputSize: labelCount, random: &random)
        pooling = configuration.pooling
        dropout = configuration.dropout
    }

    /// The number of labels.
    public var labelCount: Int { output.outputSize }

    /// See `TrainableNetwork.visitParameters`.
    public mutating func visitParameters(_ body: (String, inout Matrix<Scalar>) throws -> Void)
        rethrows
    {
        try embedder.visitParameters(prefix: "embedder", body)
        try encoder.visitParameters(prefix: "encoder", body)
        try output.visitMatrices(prefix: "output", body)
    }

    /// See `NamedParameters.visitParameterMatrices`.
    public mutating func visitParameterMatrices(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = try embedder.visitParameterMatrices(from: 0, body)
        next = try encoder.visitParameterMatrices(from: next, body)
        try output.modifyParameters(from: next, body)
    }

    /// See `TrainableNetwork.setConcurrentDirections`.
    public mutating func setConcurrentDirections(_ on: Bool) {
        embedder.runsDirectionsConcurrently = on
        encoder.setConcurrentDirections(on)
    }

    /// What the backward pass needs.
    public struct Cache {
        var embedder: WordEmbedder<Scalar>.Cache
        var inputDropout: Dropout<Scalar>.Cache
        var encoder: SequenceEncoder<Scalar>.Cache
        var encoderRows: Int
        var width: Int
        var lengths: [Int]
        /// For max pooling, the source row of each pooled element `[batch·width]`.
        var sources: [Int]
        var pooledDropout: Dropout<Scalar>.Cache
        var output: Linear<Scalar>.Cache
    }

    /// Label scores `[batch, labels]` and the cache (which `backward` can use only when
    /// `keepsCache`). Without the cache (inference) a sentence's `Float` scores are the same,
    /// to the bit, in every batch (see `RecurrentEngine` and `Linear`).
    @_specialize(where Scalar == Float)
    public func scores(
        _ input: EmbedderInput, training: Bool, random: inout SeededRandom, keepsCache: Bool = true
    ) -> (scores: Matrix<Scalar>, cache: Cache) {
        let drop = Dropout<Scalar>(probability: dropout)
        let (x, embedCache) = embedder.forward(input, keepsCache: keepsCache)
        let (xd, inDrop) = drop.forward(x, training: training, random: &random)
        let (h, encCache) = encoder.forward(
            xd, lengths: input.lengths, training: training, random: &random,
            keepsCache: keepsCache)
        let batch = input.batch
        let width = h.columns
        let half = width / 2
        var pooled = Matrix<Scalar>(rows: batch, columns: width)
        var sources: [Int] = []
        if pooling == .max { sources = [Int](repeating: -1, count: batch * width) }
        for s in 0..<batch {
            let length = input.lengths[s]
            guard length > 0 else { continue }
            switch pooling {
            case .final:
                for j in 0..<half {
                    pooled.scalars[s * width + j] =
                        h.scalars[((length - 1) * batch + s) * width + j]
                    pooled.scalars[s * width + half + j] = h.scalars[s * width + half + j]
                }
            case .mean:
                let scale = 1 / Scalar(length)
                for t in 0..<length {
                    let row = (t * batch + s) * width
                    for j in 0..<width {
                        pooled.scalars[s * width + j] += scale * h.scalars[row + j]
                    }
                }
            case .max:
                for j in 0..<width {
                    var best = h.scalars[s * width + j]
                    var source = s * width + j
                    for t in 1..<length {
                        let index = (t * batch + s) * width + j
                        if h.scalars[index] > best { (best, source) = (h.scalars[index], index) }
                    }
                    pooled.scalars[s * width + j] = best
                    sources[s * width + j] = source
                }
            }
        }
        let (pd, pooledDrop) = drop.forward(pooled, training: training, random: &random)
        let (logits, outCache) = output.forward(pd)
        return (
            logits,
            Cache(
                embedder: embedCache, inputDropout: inDrop, encoder: encCache, encoderRows: h.rows,
                width: width,
                lengths: input.lengths, sources: sources, pooledDropout: pooledDrop,
                output: outCache)
        )
    }

    /// Gradients of all parameters from the gradient of the scores `[batch, labels]`.
    @_specialize(where Scalar == Float)
    public func backward(_ dScores: Matrix<Scalar>, cache: Cache) -> ParameterGradients<Scalar> {
        let drop = Dropout<Scalar>(probability: dropout)
        let (dPooledDropped, outGradient) = output.backward(dScores, cache: cache.output)
        let dPooled = drop.backward(dPooledDropped, cache: cache.pooledDropout)
        let width = cache.width
        let half = width / 2
        let batch = cache.lengths.count
        var dH = Matrix<Scalar>(rows: cache.encoderRows, columns: width)
        for s in 0..<batch {
            let length = cache.lengths[s]
            guard length > 0 else { continue }
            switch pooling {
            case .final:
                for j in 0..<half {
                    dH.scalars[((length - 1) * batch + s) * width + j] +=
                        dPooled.scalars[s * width + j]
                    dH.scalars[s * width + half + j] += dPooled.scalars[s * width + half + j]
                }
            case .mean:
                let scale = 1 / Scalar(length)
                for t in 0..<length {
                    let row = (t * batch + s) * width
                    for j in 0..<width {
                        dH.scalars[row + j] += scale * dPooled.scalars[s * width + j]
                    }
                }
            case .max:
                for j in 0..<width {
                    dH.scalars[cache.sources[s * width + j]] += dPooled.scalars[s * width + j]
                }
            }
        }
        var (dX, gradients) = encoder.backward(dH, cache: cache.encoder, prefix: "encoder")
        dX = drop.backward(dX, cache: cache.inputDropout)
        gradients.merge(embedder.backward(dX, cache: cache.embedder, prefix: "embedder"))
        gradients.add(outGradient, prefix: "output")
        return gradients
    }

    /// Mean cross-entropy of the gold label ids over the batch, and all parameter gradients.
    @_specialize(where Scalar == Float)
    public func lossAndGradients(
        _ input: EmbedderInput, targets: [Int], training: Bool, random: inout SeededRandom
    ) -> (loss: Scalar, gradients: ParameterGradients<Scalar>) {
        let (logits, cache) = scores(input, training: training, random: &random)
        let result = SoftmaxCrossEntropy<Scalar>(reduction: .mean)(logits: logits, targets: targets)
        return (result.loss, backward(result.gradient, cache: cache))
    }

    /// See `TrainableNetwork.lossWeight`: the loss is a mean over sentences.
    public func lossWeight(_ input: EmbedderInput) -> Int { input.batch }

    /// The label probabilities `[batch, labels]` of each sentence. Sets OpenBLAS to one
    /// thread (see ``BLASThreads``).
    @_specialize(where Scalar == Float)
    public func predict(_ input: EmbedderInput) -> Matrix<Scalar> {
        BLASThreads.set(1)
        var random = SeededRandom(seed: 0)
        return scores(input, training: false, random: &random, keepsCache: false).scores
            .softmaxRows()
    }
}
