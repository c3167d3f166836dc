import LinearAlgebra

/// Inverted dropout: at training time each element is kept with probability `1 − p`
/// and scaled by `1 / (1 − p)`, so that inference is the identity.
///
/// Two ways to draw the mask:
/// - `forward(_:training:random:)`: an independent mask element for every element of
///   the input `[n, features]`.
/// - `forwardVariational(_:batchSize:training:random:)` (variational dropout, Gal &
///   Ghahramani): the input is a time-major padded batch `[time·batch, features]`,
///   row `t·batch + s` being step `t` of sequence `s` (the layout of `Recurrent`), and
///   one mask row `[1, features]` per sequence is reused at every time step; the mask
///   is `[batch, features]`.
///
/// Each mask is drawn from a SplitMix64 stream seeded by one draw of the caller's
/// `SeededRandom`, so a seed fixes every mask. Dropout has no
/// parameters; it conforms to `Parameterized` with an empty list so that models can
/// treat all layers alike.
public struct Dropout<Scalar: BLASScalar>: Parameterized {
    /// The probability `p` of dropping an element, in `[0, 1)`.
    public var probability: Double

    /// No parameters.
    public var parameters: [Parameter<Dropout, Scalar>] { [] }

    /// Dropout with drop probability `probability` in `[0, 1)`.
    public init(probability: Double) {
        precondition(
            probability >= 0 && probability < 1,
            "dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
    }

    /// The mask of one forward pass.
    public struct Cache {
        /// `[m, features]` with entries `0` or `1 / (1 − p)`; row `r` of the input used
        /// mask row `r mod m` (`m` = input rows, or the batch size for variational
        /// dropout). `nil` when dropout was the identity (inference or `p = 0`).
        public var mask: Matrix<Scalar>?
    }

    /// Drops each element of `input` `[n, features]` independently when `training`;
    /// otherwise returns `input` unchanged.
    public func forward(_ input: Matrix<Scalar>, training: Bool, random: inout SeededRandom)
        -> (output: Matrix<Scalar>, cache: Cache)
    {
        guard training, probability > 0 else { return (input, Cache(mask: nil)) }
        let mask = makeMask(rows: input.rows, columns: input.columns, random: &random)
        return (Dropout.apply(mask, to: input), Cache(mask: mask))
    }

    /// Variational dropout over a time-major `[time·batch, features]` input: one mask
    /// row per sequence `s`, applied to rows `s, batch + s, 2·batch + s, …`.
    public func forwardVariational(
        _ input: Matrix<Scalar>, batchSize: Int, training: Bool, random: inout SeededRandom
    ) -> (output: Matrix<Scalar>, cache: Cache) {
        precondition(
            batchSize > 0 && input.rows % batchSize == 0,
            "input \(input.shapeDescription) is not [time·batch, features] for batch \(batchSize)")
        guard training, probability > 0 else { return (input, Cache(mask: nil)) }
        let mask = makeMask(rows: batchSize, columns: input.columns, random: &random)
        return (Dropout.apply(mask, to: input), Cache(mask: mask))
    }

    /// `dL/dInput` from `dL/dOutput`: the output gradient times the same mask.
    public func backward(_ dOutput: Matrix<Scalar>, cache: Cache) -> Matrix<Scalar> {
        guard let mask = cache.mask else { return dOutput }
        return Dropout.apply(mask, to: dOutput)
    }

    /// A `[rows, columns]` mask of `0` and `1 / (1 − p)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func makeMask(rows: Int, columns: Int, random: inout SeededRandom) -> Matrix<Scalar> {
        let keep = 1 - probability
        let scale = Scalar(1 / keep)
        // An element is kept when a 32-bit uniform integer is below keep · 2³². The bits
        // come from a SplitMix64 stream seeded by one draw of `random` (inlined here;
        // a call into `SeededRandom` per element costs more than the rest of dropout).
        let threshold = UInt64((keep * 4_294_967_296).rounded(.down))
        let count = rows * columns
        var state = random.next()
        return Matrix<Scalar>(rows: rows, columns: columns) { m in
            if Scalar.self == Float.self {
                // The same stream and comparisons in C, vectorised.
                Float.dropoutMask(
                    count: count, state: state, threshold: threshold, scale: Float(scale),
                    mask: UnsafeMutableRawPointer(m).assumingMemoryBound(to: Float.self))
                return
            }
            var i = 0
            while i < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                // Arithmetic instead of a branch (the outcome is a coin flip, which a
                // branch predictor cannot learn): (u − threshold) wraps, and its top bit
                // is 1 exactly when u < threshold.
                // (Signed conversions: one instruction, unlike UInt64 → floating point.)
                m[i] =
                    scale * Scalar(Int(truncatingIfNeeded: ((z & 0xFFFF_FFFF) &- threshold) >> 63))
                if i + 1 < count {
                    m[i + 1] =
                        scale * Scalar(Int(truncatingIfNeeded: ((z >> 32) &- threshold) >> 63))
                }
                i += 2
            }
        }
    }

    /// `input ⊙ mask`, mask row `r mod mask.rows` for input row `r`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func apply(_ mask: Matrix<Scalar>, to input: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(
            mask.columns == input.columns && mask.rows > 0 && input.rows % mask.rows == 0,
            "dropout mask \(mask.shapeDescription) does not fit \(input.shapeDescription)")
        let (period, width) = (mask.rows, mask.columns)
        // One pass into new storage (a copy of `input` scaled in place would be two).
        return Matrix(rows: input.rows, columns: width) { y in
            mask.withUnsafePointer { m in
                input.withUnsafePointer { x in
                    for r in 0..<input.rows {
                        let (row, inputRow) = (y + r * width, x + r * width)
                        let maskRow = m + (r % period) * width
                        for c in 0..<width { row[c] = inputRow[c] * maskRow[c] }
                    }
                }
            }
        }
    }
}
