import LinearAlgebra

/// Two recurrent cells over the same padded batch, one reading each sequence forward and
/// one from its own last token back; outputs concatenated `[time·batch, 2·hiddenSize]`
/// (forward half first). `hiddenSize` is per direction.
///
/// One GEMM projects the input for both directions (`[time·batch, inputSize] ×
/// [inputSize, 2·gates·hidden]`); the two time loops then run concurrently on two threads
/// (the caller and a persistent helper thread) when `runsDirectionsConcurrently`, and the
/// large shared GEMMs are split in halves over the same two threads. Call
/// `BLASThreads.set(1)` first: the small per-step products are faster on one BLAS thread.
public struct Bidirectional<Cell: RecurrentCell>: Parameterized {
    /// The element type.
    public typealias Scalar = Cell.Scalar

    /// The cell that reads each sequence first token first.
    public var forwardCell: Cell
    /// The cell that reads each sequence last token first.
    public var reverseCell: Cell
    /// Whether the two directions run on two threads (not a parameter).
    public var runsDirectionsConcurrently = true

    /// A layer from two cells of equal sizes.
    public init(forward: Cell, reverse: Cell) {
        precondition(
            forward.inputSize == reverse.inputSize && forward.hiddenSize == reverse.hiddenSize,
            "directions differ: forward [\(forward.inputSize) → \(forward.hiddenSize)], reverse [\(reverse.inputSize) → \(reverse.hiddenSize)]"
        )
        forwardCell = forward
        reverseCell = reverse
    }

    /// A layer with two seeded cells (forward drawn first).
    public init(inputSize: Int, hiddenSize: Int, random: inout SeededRandom) {
        let forward = Cell(inputSize: inputSize, hiddenSize: hiddenSize, random: &random)
        let reverse = Cell(inputSize: inputSize, hiddenSize: hiddenSize, random: &random)
        self.init(forward: forward, reverse: reverse)
    }

    /// Input features per step.
    public var inputSize: Int { forwardCell.inputSize }
    /// Hidden units per direction; the output has twice as many columns.
    public var hiddenSize: Int { forwardCell.hiddenSize }

    /// `forward.Wx`, `forward.Wh`, `forward.b`, `reverse.Wx`, `reverse.Wh`, `reverse.b`.
    public var parameters: [Parameter<Self, Scalar>] {
        nestedParameters(\Self.forwardCell, prefix: "forward")
            + nestedParameters(\Self.reverseCell, prefix: "reverse")
    }

    /// The names of `parameters`.
    public var orderedParameterNames: [String] {
        forwardCell.orderedParameterNames.map { "forward." + $0 }
            + reverseCell.orderedParameterNames.map { "reverse." + $0 }
    }

    /// Both cells', in place (see `Parameterized.modifyParameters`).
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        let next = try Self.modifyParameters(of: &forwardCell, from: 0, body)
        _ = try Self.modifyParameters(of: &reverseCell, from: next, body)
    }

    /// Runs both directions over `input` `[time·batch, inputSize]` (time-major) with
    /// `lengths.count` sequences; `initialStates` are `[forward, reverse]` (zeros if `nil`).
    /// With `keepsCache: false` (inference) only the last states are kept, memory does not
    /// grow with the number of steps, and the returned cache cannot be used by `backward`;
    /// a sequence's output is then the same, to the bit, in any batch. With
    /// `finalStatesOnly` the output sequence is not written (the returned output has no
    /// rows): for encoders read by their final states (in training, with
    /// `backward(dFinalStates:cache:)`).
    public func forward(
        _ input: Matrix<Scalar>, lengths: [Int],
        initialStates: [RecurrentState<Scalar>?] = [nil, nil], keepsCache: Bool = true,
        finalStatesOnly: Bool = false
    ) -> RecurrentOutput<Scalar> {
        run(
            input, inputRows: nil, lengths: lengths, initialStates: initialStates,
            keepsCache: keepsCache, finalStatesOnly: finalStatesOnly)
    }

    /// `forward` over an input of table rows (`TableRows`): each table row is projected
    /// once instead of each token, with the same outputs, to the bit. `backward` with the
    /// returned cache gives as `dInput` the gradient of the table's rows
    /// `[table.rows, inputSize]`.
    public func forward(
        _ input: TableRows<Scalar>, lengths: [Int],
        initialStates: [RecurrentState<Scalar>?] = [nil, nil], keepsCache: Bool = true,
        finalStatesOnly: Bool = false
    ) -> RecurrentOutput<Scalar> {
        run(
            input.table, inputRows: input.rows, lengths: lengths, initialStates: initialStates,
            keepsCache: keepsCache, finalStatesOnly: finalStatesOnly)
    }

    /// Both forward passes: `inputRows` nil for a dense input.
    private func run(
        _ input: Matrix<Scalar>, inputRows: [Int]?, lengths: [Int],
        initialStates: [RecurrentState<Scalar>?], keepsCache: Bool, finalStatesOnly: Bool
    ) -> RecurrentOutput<Scalar> {
        precondition(
            initialStates.count == 2,
            "Bidirectional needs 2 initial states, got \(initialStates.count)")
        let result = RecurrentEngine.forward(
            cells: [forwardCell, reverseCell], reversed: [false, true], input: input,
            inputRows: inputRows, lengths: lengths, initialStates: initialStates,
            concurrent: runsDirectionsConcurrently, keepsCache: keepsCache,
            finalStatesOnly: finalStatesOnly)
        return RecurrentOutput(
            output: result.output, finalStates: result.finalStates, cache: result.cache)
    }

    /// Full backpropagation through time from the gradient of the outputs
    /// `[time·batch, 2·hidden]` and optionally of the final states `[forward, reverse]`.
    /// Returns the gradients of the input (of the table's rows for a `TableRows` input), of
    /// the initial states and of the parameters.
    public func backward(
        _ dOutput: Matrix<Scalar>, dFinalStates: [RecurrentState<Scalar>?] = [nil, nil],
        cache: RecurrentCache<Scalar>
    ) -> (dInput: Matrix<Scalar>, dInitialStates: [RecurrentState<Scalar>], gradient: Self) {
        backward(outputGradient: dOutput, dFinalStates: dFinalStates, cache: cache)
    }

    /// Backpropagation through time from the gradients of the final states `[forward,
    /// reverse]` alone (the output sequence was not read, and may not have been written:
    /// `forward(…finalStatesOnly: true)`): as `backward` with a zero output gradient,
    /// without one being made or read.
    public func backward(
        dFinalStates: [RecurrentState<Scalar>?], cache: RecurrentCache<Scalar>
    ) -> (dInput: Matrix<Scalar>, dInitialStates: [RecurrentState<Scalar>], gradient: Self) {
        backward(outputGradient: nil, dFinalStates: dFinalStates, cache: cache)
    }

    /// Both backward passes: `outputGradient` nil for none.
    private func backward(
        outputGradient dOutput: Matrix<Scalar>?, dFinalStates: [RecurrentState<Scalar>?],
        cache: RecurrentCache<Scalar>
    ) -> (dInput: Matrix<Scalar>, dInitialStates: [RecurrentState<Scalar>], gradient: Self) {
        precondition(
            dFinalStates.count == 2,
            "Bidirectional needs 2 final-state gradients, got \(dFinalStates.count)")
        let result = RecurrentEngine.backward(
            cells: [forwardCell, reverseCell], cache: cache, dOutput: dOutput,
            dFinalStates: dFinalStates, truncation: nil, concurrent: runsDirectionsConcurrently)
        var gradient = Bidirectional(forward: result.gradients[0], reverse: result.gradients[1])
        gradient.runsDirectionsConcurrently = runsDirectionsConcurrently
        return (result.dInput, result.dInitialStates, gradient)
    }
}

/// Bidirectional layers stacked: layer 0 reads the input, layer `l > 0` reads layer
/// `l − 1`'s `[time·batch, 2·hiddenSize]` output. An optional hook between layers (e.g.
/// dropout) transforms each intermediate output in the forward pass and its gradient in
/// the backward pass.
public struct StackedBidirectional<Cell: RecurrentCell>: Parameterized {
    /// The element type.
    public typealias Scalar = Cell.Scalar

    /// The layers, bottom first.
    public var layers: [Bidirectional<Cell>]

    /// A stack of existing layers; each must read `2·hiddenSize` of the one below.
    public init(layers: [Bidirectional<Cell>]) {
        precondition(!layers.isEmpty, "a stack needs at least one layer")
        for l in 1..<layers.count {
            precondition(
                layers[l].inputSize == 2 * layers[l - 1].hiddenSize,
                "layer \(l) reads \(layers[l].inputSize) features, layer \(l - 1) gives \(2 * layers[l - 1].hiddenSize)"
            )
        }
        self.layers = layers
    }

    /// `layerCount` seeded layers of `hiddenSize` units per direction.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int, random: inout SeededRandom) {
        precondition(layerCount >= 1, "a stack needs at least one layer, got \(layerCount)")
        var layers: [Bidirectional<Cell>] = []
        for l in 0..<layerCount {
            layers.append(
                Bidirectional(
                    inputSize: l == 0 ? inputSize : 2 * hiddenSize, hiddenSize: hiddenSize,
                    random: &random))
        }
        self.init(layers: layers)
    }

    /// `layers.0.forward.Wx`, … in layer order.
    public var parameters: [Parameter<Self, Scalar>] {
        layers.indices.flatMap { l in nestedParameters(\Self.layers[l], prefix: "layers.\(l)") }
    }

    /// The names of `parameters`.
    public var orderedParameterNames: [String] {
        layers.indices.flatMap { l in layers[l].orderedParameterNames.map { "layers.\(l)." + $0 } }
    }

    /// Layer by layer, in place (see `Parameterized.modifyParameters`).
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        _ = try Self.modifyParameters(of: &layers, from: 0, body)
    }

    /// The forward pass's per-layer caches.
    public struct Cache {
        /// One per layer, bottom first.
        public var layers: [RecurrentCache<Scalar>]
    }

    /// Runs every layer; the result's `finalStates` are those of the top layer. `between`,
    /// if given, maps the output of layer `l` (for `l < layers.count − 1`) before the next
    /// layer reads it. `keepsCache: false` is inference (see `Bidirectional.forward`).
    public func forward(
        _ input: Matrix<Scalar>, lengths: [Int],
        between: ((_ layer: Int, _ output: Matrix<Scalar>) -> Matrix<Scalar>)? = nil,
        keepsCache: Bool = true
    ) -> (output: Matrix<Scalar>, finalStates: [RecurrentState<Scalar>], cache: Cache) {
        var x = input
        var caches: [RecurrentCache<Scalar>] = []
        var finalStates: [RecurrentState<Scalar>] = []
        for (l, layer) in layers.enumerated() {
            let result = layer.forward(x, lengths: lengths, keepsCache: keepsCache)
            caches.append(result.cache)
            finalStates = result.finalStates
            x = result.output
            if l < layers.count - 1, let between { x = between(l, x) }
        }
        return (x, finalStates, Cache(layers: caches))
    }

    /// Backpropagation through every layer; `between`, if given, maps the gradient of the
    /// hook's output to the gradient of its input for layer `l`.
    public func backward(
        _ dOutput: Matrix<Scalar>, cache: Cache,
        between: ((_ layer: Int, _ dOutput: Matrix<Scalar>) -> Matrix<Scalar>)? = nil
    ) -> (dInput: Matrix<Scalar>, gradient: Self) {
        precondition(
            cache.layers.count == layers.count,
            "cache of \(cache.layers.count) layers for \(layers.count)")
        var gradient = self
        var d = dOutput
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            if l < layers.count - 1, let between { d = between(l, d) }
            let result = layers[l].backward(d, cache: cache.layers[l])
            gradient.layers[l] = result.gradient
            d = result.dInput
        }
        return (d, gradient)
    }
}
