import LinearAlgebra

/// Long short-term memory cell, gate order `i f g o` (input, forget, candidate, output):
///
///     z = x · Wx + hPrev · Wh + b            [batch, 4·hidden]
///     i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
///     c = f ⊙ cPrev + i ⊙ g;  h = o ⊙ tanh(c)
///
/// `Wx` `[inputSize, 4·hiddenSize]` and `Wh` `[hiddenSize, 4·hiddenSize]`; `Wx` is Glorot
/// uniform, each gate block of `Wh` orthogonal, `b` zero except the forget-gate block, 1.
public struct LSTMCell<Scalar: BLASScalar>: RecurrentCell {
    /// Four gate blocks.
    public static var gateCount: Int { 4 }
    /// An LSTM carries `c`.
    public static var hasCellState: Bool { true }
    /// `dq == dp`.
    public static var hasSeparateHiddenDelta: Bool { false }
    /// `i f g o tanh(c)`.
    public static var activationBlocks: Int { 5 }

    /// Input weights `[inputSize, 4·hiddenSize]`, blocks `i f g o`.
    public var Wx: Matrix<Scalar>
    /// Recurrent weights `[hiddenSize, 4·hiddenSize]`, blocks `i f g o`.
    public var Wh: Matrix<Scalar>
    /// Bias `[1, 4·hiddenSize]`, blocks `i f g o`.
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

    /// A seeded cell: Glorot `Wx`, orthogonal `Wh` blocks, forget bias 1.
    public init(inputSize: Int, hiddenSize: Int, random: inout SeededRandom) {
        precondition(
            inputSize > 0 && hiddenSize > 0,
            "LSTMCell sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        Wx = Initializer.glorotUniform(rows: inputSize, columns: 4 * hiddenSize, using: &random)
        Wh = recurrentWeights(hiddenSize: hiddenSize, gates: 4, random: &random)
        b = Matrix(rows: 1, columns: 4 * hiddenSize)
        for j in hiddenSize..<(2 * hiddenSize) { b.scalars[j] = 1 }
    }

    /// See `RecurrentCell.forwardRow`.
    @inlinable
    public static func forwardRow(
        hidden: Int, p: UnsafePointer<Scalar>, q: UnsafePointer<Scalar>?,
        bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>?,
        h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
        activations: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.lstmForwardRow(
            hidden: hidden, p: p, q: q, bias: bias, cPrev: cPrev!, h: h, c: c!,
            activations: activations)
    }

    /// See `RecurrentCell.backwardRow`.
    @inlinable
    public static func backwardRow(
        hidden: Int, activations: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        cPrev: UnsafePointer<Scalar>?, h: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>?, dp: UnsafeMutablePointer<Scalar>,
        dq: UnsafeMutablePointer<Scalar>, dhPrev: UnsafeMutablePointer<Scalar>
    ) {
        Scalar.lstmBackwardRow(
            hidden: hidden, activations: activations, cPrev: cPrev!, dh: dh, dc: dc!, dz: dp)
        dhPrev.update(repeating: 0, count: hidden)
    }
}

/// `[hiddenSize, gates·hiddenSize]` with each `[hiddenSize, hiddenSize]` gate block orthogonal.
func recurrentWeights<Scalar: BLASScalar>(hiddenSize: Int, gates: Int, random: inout SeededRandom)
    -> Matrix<Scalar>
{
    var result = Matrix<Scalar>(rows: hiddenSize, columns: gates * hiddenSize)
    // Sizing a network that a model file will fill: the zero matrix is the answer.
    guard random.fillsParameters else { return result }
    let width = gates * hiddenSize
    for gate in 0..<gates {
        let block: Matrix<Scalar> = Initializer.orthogonal(
            rows: hiddenSize, columns: hiddenSize, using: &random)
        result.withUnsafeMutablePointer { target in
            block.withUnsafePointer { source in
                for r in 0..<hiddenSize {
                    (target + r * width + gate * hiddenSize).update(
                        from: source + r * hiddenSize, count: hiddenSize)
                }
            }
        }
    }
    return result
}
