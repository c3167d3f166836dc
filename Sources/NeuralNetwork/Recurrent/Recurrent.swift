import LinearAlgebra

/// The result of a recurrent layer's forward pass.
public struct RecurrentOutput<Scalar: BLASScalar> {
    /// Per-step outputs `[time·batch, hidden]` (`[time·batch, 2·hidden]` for a
    /// bidirectional layer, forward half first), time-major: row `t·batch + s` is step `t`
    /// of sequence `s`. Rows past a sequence's length are zero.
    public var output: Matrix<Scalar>
    /// The state after each sequence's last step, per direction (one for `Recurrent`,
    /// `[forward, reverse]` for `Bidirectional`; the reverse one is after time 0).
    public var finalStates: [RecurrentState<Scalar>]
    /// What `backward` needs.
    public var cache: RecurrentCache<Scalar>
}

/// A recurrent cell run over a padded batch of sequences.
///
/// Input `[time·batch, inputSize]` is time-major (row `t·batch + s` is step `t` of sequence
/// `s`) with `lengths[s]` valid steps per sequence; padded steps neither change the state
/// nor receive gradient, and their output is zero. With `reversed`, each sequence is read
/// from its own last token back to its first (outputs stay at their time positions).
///
/// Truncated backpropagation through time for long streams (e.g. a character language
/// model): run a chunk of `k1` steps from the previous chunk's final state, then call
/// `backward(…, truncatedTo: k2)`, which propagates only through the last `k2` steps
/// (gradients of the chunk's earlier outputs are dropped, and the initial-state gradient is
/// zero unless `k2 ≥ k1`). Carry `finalStates[0]` into the next chunk's `initialState`.
public struct Recurrent<Cell: RecurrentCell>: Parameterized {
    /// The element type.
    public typealias Scalar = Cell.Scalar

    /// The cell applied at every step.
    public var cell: Cell
    /// Whether sequences are read last token first.
    public var reversed: Bool

    /// A layer around an existing cell.
    public init(cell: Cell, reversed: Bool = false) {
        self.cell = cell
        self.reversed = reversed
    }

    /// A layer with a seeded new cell.
    public init(inputSize: Int, hiddenSize: Int, reversed: Bool = false, random: inout SeededRandom)
    {
        self.init(
            cell: Cell(inputSize: inputSize, hiddenSize: hiddenSize, random: &random),
            reversed: reversed)
    }

    /// The cell's `Wx`, `Wh`, `b` under their own names.
    public var parameters: [Parameter<Self, Scalar>] {
        cell.parameters.map { Parameter($0.name, (\Self.cell).appending(path: $0.keyPath)) }
    }

    /// The cell's names.
    public var orderedParameterNames: [String] { cell.orderedParameterNames }

    /// The cell's, in place (see `Parameterized.modifyParameters`).
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try cell.modifyParameters(body)
    }

    /// Runs the cell over `input` `[time·batch, inputSize]` (time-major) with
    /// `lengths.count` sequences, from `initialState` (zeros if `nil`). With `keepsCache:
    /// false` (inference) the returned cache cannot be used by `backward`, and the packed
    /// weights are kept for the next pass (`PackedWeights`), so a pass of one step (a
    /// character generated) does not pack them again; the outputs are the same, to the bit.
    public func forward(
        _ input: Matrix<Scalar>, lengths: [Int], initialState: RecurrentState<Scalar>? = nil,
        keepsCache: Bool = true
    ) -> RecurrentOutput<Scalar> {
        let result = RecurrentEngine.forward(
            cells: [cell], reversed: [reversed], input: input, lengths: lengths,
            initialStates: [initialState], concurrent: false, keepsCache: keepsCache)
        return RecurrentOutput(
            output: result.output, finalStates: result.finalStates, cache: result.cache)
    }

    /// Backpropagation through time from the gradient of the outputs `[time·batch, hidden]`
    /// and optionally of the final state; with `truncatedTo: k` only the last `k` steps.
    /// Returns the gradients of the input `[time·batch, inputSize]`, of the initial state
    /// and of the parameters.
    public func backward(
        _ dOutput: Matrix<Scalar>, dFinalState: RecurrentState<Scalar>? = nil,
        cache: RecurrentCache<Scalar>, truncatedTo steps: Int? = nil
    ) -> (dInput: Matrix<Scalar>, dInitialState: RecurrentState<Scalar>, gradient: Self) {
        let result = RecurrentEngine.backward(
            cells: [cell], cache: cache, dOutput: dOutput, dFinalStates: [dFinalState],
            truncation: steps)
        return (
            result.dInput, result.dInitialStates[0],
            Recurrent(cell: result.gradients[0], reversed: reversed)
        )
    }
}
