import LinearAlgebra
import NeuralNetwork

/// A stacked bidirectional recurrent encoder whose cell is chosen at run time, with
/// variational dropout between layers.
///
/// Input `[time·batch, inputSize]`, output `[time·batch, 2·hidden]` (forward half first),
/// time-major. Exactly one of `lstm`, `gru`, `rnn` is set. Parameter names:
/// `layers.L.forward.Wx` … `layers.L.reverse.b`.
public struct SequenceEncoder<Scalar: BLASScalar> {
    /// The cell type.
    public let cell: CellKind
    /// The stack when `cell == .lstm`.
    public var lstm: StackedBidirectional<LSTMCell<Scalar>>?
    /// The stack when `cell == .gru`.
    public var gru: StackedBidirectional<GRUCell<Scalar>>?
    /// The stack when `cell == .rnn`.
    public var rnn: StackedBidirectional<RNNCell<Scalar>>?
    /// Drop probability between layers.
    public var dropout: Double

    /// A seeded encoder.
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int, dropout: Double,
        random: inout SeededRandom
    ) {
        self.cell = cell
        self.dropout = dropout
        switch cell {
        case .lstm:
            lstm = StackedBidirectional(
                inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers, random: &random)
        case .gru:
            gru = StackedBidirectional(
                inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers, random: &random)
        case .rnn:
            rnn = StackedBidirectional(
                inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers, random: &random)
        }
    }

    /// Sets whether each layer's two directions run on two threads.
    public mutating func setConcurrentDirections(_ on: Bool) {
        if lstm != nil {
            for l in lstm!.layers.indices { lstm!.layers[l].runsDirectionsConcurrently = on }
        }
        if gru != nil {
            for l in gru!.layers.indices { gru!.layers[l].runsDirectionsConcurrently = on }
        }
        if rnn != nil {
            for l in rnn!.layers.indices { rnn!.layers[l].runsDirectionsConcurrently = on }
        }
    }

    /// Calls `body` with the name and a mutable reference to every parameter.
    public mutating func visitParameters(
        prefix: String, _ body: (String, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        if lstm != nil { try lstm!.visitMatrices(prefix: prefix, body) }
        if gru != nil { try gru!.visitMatrices(prefix: prefix, body) }
        if rnn != nil { try rnn!.visitMatrices(prefix: prefix, body) }
    }

    /// Calls `body` with the position (from `first`, in the order of `visitParameters`) and a
    /// mutable reference to every parameter; returns the position after the last.
    public mutating func visitParameterMatrices(
        from first: Int, _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows -> Int {
        var next = first
        if lstm != nil { next = try lstm!.modifyParameters(from: next, body) }
        if gru != nil { next = try gru!.modifyParameters(from: next, body) }
        if rnn != nil { next = try rnn!.modifyParameters(from: next, body) }
        return next
    }

    /// What `backward` needs.
    public struct Cache {
        var lstm: StackedBidirectional<LSTMCell<Scalar>>.Cache?
        var gru: StackedBidirectional<GRUCell<Scalar>>.Cache?
        var rnn: StackedBidirectional<RNNCell<Scalar>>.Cache?
        var masks: [Dropout<Scalar>.Cache]
    }

    /// Runs the stack; between layers, variational dropout when `training`. With
    /// `keepsCache: false` (inference) the cache cannot be used by `backward`.
    public func forward(
        _ input: Matrix<Scalar>, lengths: [Int], training: Bool, random: inout SeededRandom,
        keepsCache: Bool = true
    ) -> (output: Matrix<Scalar>, cache: Cache) {
        var local = SeededRandom(seed: random.next())
        let drop = Dropout<Scalar>(probability: dropout)
        let batch = lengths.count
        var masks: [Dropout<Scalar>.Cache] = []
        let between: (Int, Matrix<Scalar>) -> Matrix<Scalar> = { _, x in
            let r = drop.forwardVariational(x, batchSize: batch, training: training, random: &local)
            masks.append(r.cache)
            return r.output
        }
        var cache = Cache(masks: [])
        let output: Matrix<Scalar>
        switch cell {
        case .lstm:
            let r = lstm!.forward(
                input, lengths: lengths, between: between, keepsCache: keepsCache)
            (output, cache.lstm) = (r.output, r.cache)
        case .gru:
            let r = gru!.forward(
                input, lengths: lengths, between: between, keepsCache: keepsCache)
            (output, cache.gru) = (r.output, r.cache)
        case .rnn:
            let r = rnn!.forward(
                input, lengths: lengths, between: between, keepsCache: keepsCache)
            (output, cache.rnn) = (r.output, r.cache)
        }
        cache.masks = masks
        return (output, cache)
    }

    /// The gradient of the input and the parameter gradients (named `prefix.layers…`).
    public func backward(_ dOutput: Matrix<Scalar>, cache: Cache, prefix: String)
        -> (dInput: Matrix<Scalar>, gradients: ParameterGradients<Scalar>)
    {
        let drop = Dropout<Scalar>(probability: dropout)
        let between: (Int, Matrix<Scalar>) -> Matrix<Scalar> = { l, d in
            drop.backward(d, cache: cache.masks[l])
        }
        var gradients = ParameterGradients<Scalar>()
        let dInput: Matrix<Scalar>
        switch cell {
        case .lstm:
            let r = lstm!.backward(dOutput, cache: cache.lstm!, between: between)
            dInput = r.dInput
            gradients.add(r.gradient, prefix: prefix)
        case .gru:
            let r = gru!.backward(dOutput, cache: cache.gru!, between: between)
            dInput = r.dInput
            gradients.add(r.gradient, prefix: prefix)
        case .rnn:
            let r = rnn!.backward(dOutput, cache: cache.rnn!, between: between)
            dInput = r.dInput
            gradients.add(r.gradient, prefix: prefix)
        }
        return (dInput, gradients)
    }
}
