import LinearAlgebra

/// Gated recurrent unit, gate order `r u n` (reset, update, candidate), in the variant of
/// cuDNN and PyTorch where the reset gate multiplies the hidden product *after* `Wh`:
///
///     p = x · Wx + b,  q = hPrev · Wh          [batch, 3·hidden] each
///     r = σ(p_r + q_r);  u = σ(p_u + q_u)
///     n = tanh(p_n + r ⊙ q_n)
///     h = (1 − u) ⊙ n + u ⊙ hPrev
///
/// So the input projections of all steps are one GEMM and each step needs one
/// `[batch, hidden] × [hidden, 3·hidden]` product. Unlike PyTorch there is a single bias
/// `b` `[1, 3·hidden]` on the input side (no separate bias inside `r ⊙ (…)`).
/// `Wx` `[inputSize, 3·hiddenSize]` is Glorot uniform, each gate block of `Wh`
/// `[hiddenSize, 3·hiddenSize]` orthogonal, `b` zero.
public struct GRUCell<Scalar: BLASScalar>: RecurrentCell {
    /// Three gate blocks.
    public static var gateCount: Int { 3 }
    /// Only `h`.
    public static var hasCellState: Bool { false }
    /// The reset gate makes `dq_n = dp_n ⊙ r`.
    public static var hasSeparateHiddenDelta: Bool { true }
    /// `r u n q_n`.
    public static var activationBlocks: Int { 4 }

    /// Input weights `[inputSize, 3·hiddenSize]`, blocks `r u n`.
    public var Wx: Matrix<Scalar>
    /// Recurrent weights `[hiddenSize, 3·hiddenSize]`, blocks `r u n`.
    public var Wh: Matrix<Scalar>
    /// Bias `[1, 3·hiddenSize]`, blocks `r u n`.
    public var b: Matrix<Scalar>

    /// Input features per step.
    public var inputSize: Int { Wx.rows }
    /// Hidden units.
    public var hiddenSize: Int { Wh.rows }

    /// A cell from given weights; shapes must agree.
    public init(Wx: Matrix<Scalar>, Wh: Matrix<Scalar>, b: Matrix<Scalar>) {
        (self.Wx, self.Wh, self.b) = (Wx, Wh, b)
        checkShapes()
    }

    /// A seeded cell: Glorot `Wx`, orthogonal `Wh` blocks, zero bias.
    public init(inputSize: Int, hiddenSize: Int, random: inout SeededRandom) {
        precondition(
            inputSize > 0 && hiddenSize > 0,
            "GRUCell sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        Wx = Initializer.glorotUniform(rows: inputSize, columns: 3 * hiddenSize, using: &random)
        Wh = recurrentWeights(hiddenSize: hiddenSize, gates: 3, random: &random)
        b = Matrix(rows: 1, columns: 3 * hiddenSize)
    }

    /// See `RecurrentCell.forwardRow`.
    @inlinable
    public static func forwardRow(
        hidden: Int, p: UnsafePointer<Scalar>, q: UnsafePointer<Scalar>?,
        bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>?,
        h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
        activations: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.gruForwardRow(
            hidden: hidden, p: p, q: q!, bias: bias, hPrev: hPrev, h: h, activations: activations)
    }

    /// See `RecurrentCell.backwardRow`.
    @inlinable
    public static func backwardRow(
        hidden: Int, activations: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        cPrev: UnsafePointer<Scalar>?, h: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>?, dp: UnsafeMutablePointer<Scalar>,
        dq: UnsafeMutablePointer<Scalar>, dhPrev: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.gruBackwardRow(
            hidden: hidden, activations: activations, hPrev: hPrev, dh: dh, dp: dp, dq: dq,
            dhPrev: dhPrev)
    }
}
