import LinearAlgebra
import NeuralNetwork

/// The layers of a character language model: `Embedding` → stacked unidirectional
/// `Recurrent<Cell>` layers → `Linear` to one score per symbol.
///
/// Batches are time-major ids `[time·streams]`: entry `t·streams + s` is the input of step
/// `t` of stream `s`; the logits `[time·streams, symbols]` follow the same order. The step
/// GEMM of each layer is `[streams, hidden] × [hidden, gates·hidden]`.
///
/// Parameter names: `embedding.E` `[symbols, embedding]`, `layers.L.Wx`
/// `[input, gates·hidden]` (input is the embedding for layer 0, `hidden` above),
/// `layers.L.Wh` `[hidden, gates·hidden]`, `layers.L.b` `[1, gates·hidden]`, `output.W`
/// `[hidden, symbols]`, `output.b` `[1, symbols]`.
public struct CharacterLanguageNetwork<Cell: RecurrentCell>: Parameterized {
    /// The element type.
    public typealias Scalar = Cell.Scalar

    /// The character embedding.
    public var embedding: Embedding<Scalar>
    /// The recurrent layers, bottom first.
    public var layers: [Recurrent<Cell>]
    /// The projection from the top layer's state to symbol scores.
    public var output: Linear<Scalar>

    /// A seeded network.
    public init(
        symbolCount: Int, embeddingDimension: Int, hiddenSize: Int, layerCount: Int,
        random: inout SeededRandom
    ) {
        precondition(
            symbolCount > 0 && embeddingDimension > 0 && hiddenSize > 0 && layerCount > 0,
            "sizes must be positive: symbols \(symbolCount), embedding \(embeddingDimension), hidden \(hiddenSize), layers \(layerCount)"
        )
        embedding = Embedding(
            vocabularySize: symbolCount, dimension: embeddingDimension, random: &random)
        layers = (0..<layerCount).map { l in
            Recurrent(
                inputSize: l == 0 ? embeddingDimension : hiddenSize, hiddenSize: hiddenSize,
                random: &random)
        }
        output = Linear(inputSize: hiddenSize, outputSize: symbolCount, random: &random)
    }

    /// The number of symbols scored.
    public var symbolCount: Int { output.outputSize }
    /// The hidden units of every layer.
    public var hiddenSize: Int { output.inputSize }

    /// `embedding.E`, each layer's `Wx`, `Wh`, `b`, then `output.W`, `output.b`.
    public var parameters: [Parameter<Self, Scalar>] {
        var result = nestedParameters(\.embedding, prefix: "embedding")
        for l in layers.indices {
            result += nestedParameters(\.layers[l], prefix: "layers.\(l)")
        }
        return result + nestedParameters(\.output, prefix: "output")
    }

    /// The layers in place (see `Parameterized.modifyParameters`).
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = try Self.modifyParameters(of: &embedding, from: 0, body)
        next = try Self.modifyParameters(of: &layers, from: next, body)
        _ = try Self.modifyParameters(of: &output, from: next, body)
    }

    /// The all-zero state of every layer for `streams` streams.
    public func zeroStates(streams: Int) -> [RecurrentState<Scalar>] {
        layers.map { _ in
            .zeros(batch: streams, hiddenSize: hiddenSize, hasCell: Cell.hasCellState)
        }
    }

    /// What `backward` needs from `forward`.
    public struct Cache {
        let embedding: Embedding<Scalar>.Cache
        let layers: [RecurrentCache<Scalar>]
        let output: Linear<Scalar>.Cache
        /// Dropout on the embedding, then on each layer's output.
        let dropout: [Dropout<Scalar>.Cache]
    }

    /// The logits `[ids.count, symbols]` of time-major `ids` over `streams` streams, run
    /// from `states` (one per layer; zeros if `nil`), the state of every layer after each
    /// stream's last step, and the cache. `lengths`, if given, holds each stream's number
    /// of valid steps (later steps are padding: they keep the state and their logits are
    /// the output bias); by default every step is valid. With `keepsCache: false`
    /// (scoring and sampling) the cache cannot be used by `backward`, and the recurrent
    /// layers keep their packed weights between calls.
    public func forward(
        ids: [Int], streams: Int, states: [RecurrentState<Scalar>]? = nil, lengths: [Int]? = nil,
        keepsCache: Bool = true
    ) -> (logits: Matrix<Scalar>, states: [RecurrentState<Scalar>], cache: Cache) {
        var unused = SeededRandom(seed: 0)
        return forward(
            ids: ids, streams: streams, states: states, lengths: lengths, dropout: 0,
            random: &unused, keepsCache: keepsCache)
    }

    /// `forward(ids:streams:states:lengths:)` in training: each element of the embedding
    /// and of every layer's output (the connections between steps excepted) is dropped with
    /// probability `dropout`, the masks drawn from `random`; `keepsCache` as there.
    public func forward(
        ids: [Int], streams: Int, states: [RecurrentState<Scalar>]?, lengths: [Int]? = nil,
        dropout: Double, random: inout SeededRandom, keepsCache: Bool = true
    ) -> (logits: Matrix<Scalar>, states: [RecurrentState<Scalar>], cache: Cache) {
        precondition(
            streams > 0 && ids.count % streams == 0,
            "\(ids.count) ids are not [time·\(streams)] for \(streams) streams")
        if let states {
            precondition(
                states.count == layers.count,
                "\(states.count) states for \(layers.count) layers")
        }
        let lengths = lengths ?? [Int](repeating: ids.count / streams, count: streams)
        precondition(lengths.count == streams, "\(lengths.count) lengths for \(streams) streams")
        let drop = Dropout<Scalar>(probability: dropout)
        let (x, embeddingCache) = embedding.forward(ids)
        var (h, mask) = drop.forward(x, training: dropout > 0, random: &random)
        var masks = [mask]
        var caches: [RecurrentCache<Scalar>] = []
        var finals: [RecurrentState<Scalar>] = []
        for (l, layer) in layers.enumerated() {
            let r = layer.forward(
                h, lengths: lengths, initialState: states?[l], keepsCache: keepsCache)
            caches.append(r.cache)
            finals.append(r.finalStates[0])
            (h, mask) = drop.forward(r.output, training: dropout > 0, random: &random)
            masks.append(mask)
        }
        let (logits, outputCache) = output.forward(h)
        return (
            logits, finals,
            Cache(
                embedding: embeddingCache, layers: caches, output: outputCache, dropout: masks)
        )
    }

    /// The parameter gradient given `dL/dLogits` `[time·streams, symbols]`. With
    /// `truncatedTo: k`, every recurrent layer backpropagates through the last `k` steps
    /// only (truncated BPTT; the output layer still learns from every step); without it,
    /// through the whole chunk. The initial states are treated as constants.
    public func backward(_ dLogits: Matrix<Scalar>, cache: Cache, truncatedTo steps: Int? = nil)
        -> Self
    {
        var gradient = self
        let drop = Dropout<Scalar>(probability: 0)
        var (dH, outputGradient) = output.backward(dLogits, cache: cache.output)
        gradient.output = outputGradient
        for l in layers.indices.reversed() {
            dH = drop.backward(dH, cache: cache.dropout[l + 1])
            let r = layers[l].backward(dH, cache: cache.layers[l], truncatedTo: steps)
            gradient.layers[l] = r.gradient
            dH = r.dInput
        }
        dH = drop.backward(dH, cache: cache.dropout[0])
        gradient.embedding = embedding.denseGradient(
            embedding.backward(dH, cache: cache.embedding))
        return gradient
    }
}

/// The loss and gradient of one chunk of training streams (or of a part of its streams).
public struct CharacterChunkGradient<Cell: RecurrentCell> {
    /// The mean cross-entropy (nats) over `count` predicted characters.
    public var loss: Cell.Scalar
    /// The characters predicted.
    public var count: Int
    /// The gradient of `loss`.
    public var gradient: CharacterLanguageNetwork<Cell>
    /// Every layer's state after each stream's last step.
    public var states: [RecurrentState<Cell.Scalar>]

    /// The result of this part's streams followed by `other`'s, as one call over all of
    /// them gives: the losses and gradients weighted by each part's share of the
    /// characters, the states stacked by rows (this part's streams first).
    public func combined(with other: CharacterChunkGradient) -> CharacterChunkGradient {
        typealias Scalar = Cell.Scalar
        let total = count + other.count
        guard total > 0 else { return self }
        let (wa, wb) = (Scalar(count) / Scalar(total), Scalar(other.count) / Scalar(total))
        var gradient = self.gradient
        gradient.scaleParameters(by: wa)
        gradient.addParameters(of: other.gradient, scaledBy: wb)
        func stack(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Matrix<Scalar> {
            Matrix(rows: a.rows + b.rows, columns: a.columns, scalars: a.scalars + b.scalars)
        }
        let states = zip(self.states, other.states).map { a, b in
            RecurrentState(
                hidden: stack(a.hidden, b.hidden),
                cell: a.cell.flatMap { c in b.cell.map { stack(c, $0) } })
        }
        return CharacterChunkGradient(
            loss: wa * loss + wb * other.loss, count: total, gradient: gradient, states: states)
    }
}

extension CharacterLanguageNetwork {
    /// The mean cross-entropy of predicting `targets` from `inputs` (both time-major
    /// `[time·streams]`) from `states` (zeros if `nil`), its gradient with every recurrent
    /// layer backpropagating through the last `truncatedTo` steps (all if `nil`), and the
    /// final states. Dropout masks are drawn from `random`.
    ///
    /// Computing two groups of streams separately and joining them with
    /// `CharacterChunkGradient.combined(with:)` gives the result of all streams at once
    /// (up to rounding, and without dropout, whose masks differ); the trainer does so on
    /// two threads.
    public func chunkGradient(
        inputs: [Int], targets: [Int], streams: Int, states: [RecurrentState<Scalar>]?,
        truncatedTo steps: Int?, dropout: Double, random: inout SeededRandom
    ) -> CharacterChunkGradient<Cell> {
        precondition(
            inputs.count == targets.count,
            "\(inputs.count) inputs for \(targets.count) targets")
        let r = forward(
            ids: inputs, streams: streams, states: states, dropout: dropout, random: &random)
        let out = SoftmaxCrossEntropy<Scalar>()(logits: r.logits, targets: targets)
        let time = inputs.count / streams
        let gradient = backward(
            out.gradient, cache: r.cache, truncatedTo: steps.flatMap { $0 < time ? $0 : nil })
        return CharacterChunkGradient(
            loss: out.loss, count: out.count, gradient: gradient, states: r.states)
    }
}

extension CharacterLanguageNetwork: NamedParameters {}
