import LinearAlgebra

/// Elman recurrent cell: `h = tanh(x · Wx + hPrev · Wh + b)`, one gate block.
///
/// `Wx` `[inputSize, hiddenSize]` is Glorot uniform, `Wh` `[hiddenSize, hiddenSize]`
/// orthogonal, `b` `[1, hiddenSize]` zero.
public struct RNNCell<Scalar: BLASScalar>: RecurrentCell {
    /// One block.
    public static var gateCount: Int { 1 }
    /// Only `h`.
    public static var hasCellState: Bool { false }
    /// `dq == dp`.
    public static var hasSeparateHiddenDelta: Bool { false }
    /// Nothing beyond `h` itself.
    public static var activationBlocks: Int { 0 }

    /// Input weights `[inputSize, hiddenSize]`.
    public var Wx: Matrix<Scalar>
    /// Recurrent weights `[hiddenSize, hiddenSize]`.
    public var Wh: Matrix<Scalar>
    /// Bias `[1, hiddenSize]`.
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

    /// A seeded cell: Glorot `Wx`, orthogonal `Wh`, zero bias.
    public init(inputSize: Int, hiddenSize: Int, random: inout SeededRandom) {
        precondition(
            inputSize > 0 && hiddenSize > 0,
            "RNNCell sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        Wx = Initializer.glorotUniform(rows: inputSize, columns: hiddenSize, using: &random)
        Wh = recurrentWeights(hiddenSize: hiddenSize, gates: 1, random: &random)
        b = Matrix(rows: 1, columns: hiddenSize)
    }

    /// See `RecurrentCell.forwardRow`.
    @inlinable
    public static func forwardRow(
        hidden: Int, p: UnsafePointer<Scalar>, q: UnsafePointer<Scalar>?,
        bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>?,
        h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
        activations: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.rnnForwardRow(hidden: hidden, p: p, q: q, bias: bias, h: h)
    }

    /// See `RecurrentCell.backwardRow`.
    @inlinable
    public static func backwardRow(
        hidden: Int, activations: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        cPrev: UnsafePointer<Scalar>?, h: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>?, dp: UnsafeMutablePointer<Scalar>,
        dq: UnsafeMutablePointer<Scalar>, dhPrev: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.rnnBackwardRow(hidden: hidden, h: h, dh: dh, dz: dp)
        dhPrev.update(repeating: 0, count: hidden)
    }
}
