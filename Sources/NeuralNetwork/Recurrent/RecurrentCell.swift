import LinearAlgebra

/// The state a recurrent cell carries from one time step to the next.
public struct RecurrentState<Scalar: BLASScalar>: Equatable, Sendable {
    /// The hidden state `h`, `[batch, hiddenSize]`; also the cell's output.
    public var hidden: Matrix<Scalar>
    /// The LSTM memory cell `c`, `[batch, hiddenSize]`; `nil` for cells without one.
    public var cell: Matrix<Scalar>?

    /// A state from its parts.
    public init(hidden: Matrix<Scalar>, cell: Matrix<Scalar>? = nil) {
        if let cell {
            precondition(
                cell.rows == hidden.rows && cell.columns == hidden.columns,
                "cell state \(cell.shapeDescription) differs from hidden state \(hidden.shapeDescription)"
            )
        }
        self.hidden = hidden
        self.cell = cell
    }

    /// The all-zero state of `batch` rows for a cell of `hiddenSize` units.
    public static func zeros(batch: Int, hiddenSize: Int, hasCell: Bool) -> RecurrentState {
        RecurrentState(
            hidden: Matrix(rows: batch, columns: hiddenSize),
            cell: hasCell ? Matrix(rows: batch, columns: hiddenSize) : nil)
    }

    /// The number of rows (sequences).
    public var batch: Int { hidden.rows }
}

/// A recurrent cell: one time step `(x, state) → state`, computed as an input projection
/// `p = x · Wx`, a hidden product `q = hPrev · Wh`, and a fused element-wise step.
///
/// Parameters, in this order: `Wx` `[inputSize, gates·hiddenSize]`, `Wh`
/// `[hiddenSize, gates·hiddenSize]`, `b` `[1, gates·hiddenSize]`; the gate blocks are
/// side by side along the columns in the cell's gate order. The time loop lives in
/// `Recurrent`, `Bidirectional` and `StackedBidirectional`, which batch `p` over all steps in
/// one GEMM; a cell's own `forward`/`backward` run a single step through the same engine.
public protocol RecurrentCell: Parameterized, Sendable {
    /// The number of gate blocks in `Wx`, `Wh` and `b` (RNN 1, GRU 3, LSTM 4).
    static var gateCount: Int { get }
    /// Whether the state has a memory cell `c` besides `h` (LSTM).
    static var hasCellState: Bool { get }
    /// Whether the gradient of `q` differs from the gradient of `p` (GRU, whose reset gate
    /// multiplies the candidate's hidden product); otherwise both are `dz`.
    static var hasSeparateHiddenDelta: Bool { get }
    /// Cached activations per batch row and step, in multiples of `hiddenSize`.
    static var activationBlocks: Int { get }

    /// Input features per step.
    var inputSize: Int { get }
    /// Hidden units (the size of `h`).
    var hiddenSize: Int { get }
    /// Input weights `[inputSize, gates·hiddenSize]`.
    var Wx: Matrix<Scalar> { get set }
    /// Recurrent weights `[hiddenSize, gates·hiddenSize]`.
    var Wh: Matrix<Scalar> { get set }
    /// Bias `[1, gates·hiddenSize]`.
    var b: Matrix<Scalar> { get set }

    /// A cell with seeded initial weights.
    init(inputSize: Int, hiddenSize: Int, random: inout SeededRandom)

    /// One batch row of the element-wise step: reads `p`, `q`, `bias`
    /// (`[gates·hidden]`; `q == nil` means `p` already holds `p + q`, which only cells
    /// without `hasSeparateHiddenDelta` are given), `hPrev`, `cPrev` (`[hidden]`, `cPrev` only with a cell state);
    /// writes `h`, `c` and `activations` (`[activationBlocks·hidden]`).
    static func forwardRow(
        hidden: Int, p: UnsafePointer<Scalar>, q: UnsafePointer<Scalar>?,
        bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>?,
        h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
        activations: UnsafeMutablePointer<Scalar>)

    /// One batch row of the element-wise backward step. `dh` is the whole gradient of
    /// this step's `h`; `dc` holds the gradient of `c` from later steps and is replaced by
    /// the gradient of `cPrev`. Writes `dp` (`[gates·hidden]`), `dq` (only when
    /// `hasSeparateHiddenDelta`; otherwise it is `dp`) and `dhPrev` (`[hidden]`, the part of
    /// the gradient of `hPrev` that does not pass through `Wh`).
    static func backwardRow(
        hidden: Int, activations: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        cPrev: UnsafePointer<Scalar>?, h: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>?, dp: UnsafeMutablePointer<Scalar>,
        dq: UnsafeMutablePointer<Scalar>, dhPrev: UnsafeMutablePointer<Scalar>)
}

extension RecurrentCell {
    /// `Wx`, `Wh`, `b`.
    public var parameters: [Parameter<Self, Scalar>] {
        [Parameter("Wx", \Self.Wx), Parameter("Wh", \Self.Wh), Parameter("b", \Self.b)]
    }

    /// `Wx`, `Wh`, `b`.
    public var orderedParameterNames: [String] { ["Wx", "Wh", "b"] }

    /// `Wx`, `Wh`, `b` in place: key paths to protocol requirements are computed, so a
    /// write through them would copy the matrix.
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try body(0, &Wx)
        try body(1, &Wh)
        try body(2, &b)
    }

    /// Checks that the three weights agree with each other.
    func checkShapes() {
        let width = Self.gateCount * hiddenSize
        precondition(
            Wh.rows == hiddenSize && Wh.columns == width && Wx.columns == width
                && b.rows == 1 && b.columns == width,
            "inconsistent \(Self.self) weights: Wx \(Wx.shapeDescription), Wh \(Wh.shapeDescription), b \(b.shapeDescription)"
        )
    }

    /// One time step over a batch: `x` `[batch, inputSize]` and `state` (zeros if `nil`)
    /// to the next state and the cache for `backward`.
    public func forward(_ x: Matrix<Scalar>, state: RecurrentState<Scalar>? = nil)
        -> (state: RecurrentState<Scalar>, cache: RecurrentStepCache<Scalar>)
    {
        let lengths = [Int](repeating: 1, count: x.rows)
        let result = RecurrentEngine.forward(
            cells: [self], reversed: [false], input: x, lengths: lengths, initialStates: [state],
            concurrent: false)
        return (result.finalStates[0], RecurrentStepCache(engine: result.cache))
    }

    /// The backward pass of one step: from the gradient of the new state (a `nil` cell
    /// gradient means zero) to the gradients of `x` `[batch, inputSize]`, of the previous
    /// state, and of the parameters.
    public func backward(_ dState: RecurrentState<Scalar>, cache: RecurrentStepCache<Scalar>)
        -> (dInput: Matrix<Scalar>, dState: RecurrentState<Scalar>, gradient: Self)
    {
        let engine = cache.engine
        let dOutput = Matrix<Scalar>(rows: engine.batch, columns: hiddenSize)
        let result = RecurrentEngine.backward(
            cells: [self], cache: engine, dOutput: dOutput, dFinalStates: [dState],
            truncation: nil)
        return (result.dInput, result.dInitialStates[0], result.gradients[0])
    }
}

/// What `RecurrentCell.backward` needs from `RecurrentCell.forward`: the step's input,
/// previous state and activations.
public struct RecurrentStepCache<Scalar: BLASScalar> {
    let engine: RecurrentCache<Scalar>
    /// The step's input, `[batch, inputSize]`.
    public var input: Matrix<Scalar> { engine.input }
}
