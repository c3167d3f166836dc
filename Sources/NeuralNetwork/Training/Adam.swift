import LinearAlgebra

/// Adam with bias correction (Kingma & Ba), optionally with decoupled weight decay
/// (AdamW).
///
/// For a parameter `w` with gradient `g`, at its `t`-th update:
/// `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`,
/// `w −= lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)`, and before that, when
/// `weightDecay > 0`, `w −= lr · weightDecay · w`.
///
/// Moments and step counts live here, keyed by parameter name (`prefix.name`), so
/// the layer stays a plain value. Sparse updates of embedding tables are lazy: only
/// the touched rows' moments decay and move; the step count of the table advances
/// once per update call.
public struct Adam<Scalar: BLASScalar>: Optimizer {
    /// The step size `lr`.
    public var learningRate: Scalar
    /// The decay of the first moment.
    public var beta1: Scalar
    /// The decay of the second moment.
    public var beta2: Scalar
    /// Added to the bias-corrected root second moment.
    public var epsilon: Scalar
    /// Decoupled weight decay per unit learning rate; zero disables it.
    public var weightDecay: Scalar

    var slots = OptimizerSlots<Scalar>()

    /// An optimizer with the usual defaults (`lr = 0.001, β1 = 0.9, β2 = 0.999,
    /// ε = 1e-8`, no weight decay).
    public init(
        learningRate: Scalar = 0.001, beta1: Scalar = 0.9, beta2: Scalar = 0.999,
        epsilon: Scalar = 1e-8, weightDecay: Scalar = 0
    ) {
        precondition(learningRate > 0, "learning rate must be positive, got \(learningRate)")
        precondition(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got \(beta1)")
        precondition(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got \(beta2)")
        precondition(epsilon >= 0, "epsilon must not be negative, got \(epsilon)")
        precondition(weightDecay >= 0, "weight decay must not be negative, got \(weightDecay)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Updates of at least this many elements are split over the two threads of
    /// `TwoThreads` (element-wise, so the result is the same on one or two threads).
    static var parallelElements: Int { 1 << 14 }

    /// See `Optimizer.state`: `m.<name>`, `v.<name>` and the step count of every parameter.
    public var state: OptimizerState<Scalar> { slots.state(secondMoment: true) }

    /// See `Optimizer.momentNames`: the first and second moments.
    public static var momentNames: [String] { ["m", "v"] }

    /// See `Optimizer.restore`.
    public mutating func restore(_ state: OptimizerState<Scalar>) {
        slots = OptimizerSlots(state)
    }

    /// The number of updates applied so far to the parameter named `name`.
    public func stepCount(of name: String) -> Int {
        slots.index[name].map { slots.steps[$0] } ?? 0
    }

    /// The first and second moments of the parameter named `name`, if it was updated.
    public func moments(of name: String) -> (first: Matrix<Scalar>, second: Matrix<Scalar>)? {
        slots.index[name].map { (slots.first[$0], slots.second[$0]) }
    }

    /// Updates one matrix `value` along the dense gradient `gradient` of the same
    /// shape; the state is keyed by `name`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(
        _ value: inout Matrix<Scalar>, along gradient: Matrix<Scalar>, name: String
    ) {
        checkSameShape(value, gradient, name)
        let slot = slots.slot(for: name, shapedLike: value, secondMoment: true)
        slots.steps[slot] += 1
        let c = coefficients(step: slots.steps[slot])
        let n = value.count
        gradient.withUnsafePointer { g in
            value.withUnsafeMutablePointer { w in
                slots.first[slot].withUnsafeMutablePointer { m in
                    slots.second[slot].withUnsafeMutablePointer { v in
                        if n >= Self.parallelElements {
                            let h = n / 2
                            TwoThreads.run(
                                { Adam.kernel(w: w, g: g, m: m, v: v, count: h, c) },
                                {
                                    Adam.kernel(
                                        w: w + h, g: g + h, m: m + h, v: v + h, count: n - h, c)
                                })
                        } else {
                            Adam.kernel(w: w, g: g, m: m, v: v, count: n, c)
                        }
                    }
                }
            }
        }
    }

    /// See `Optimizer.step(_:names:gradients:)`. The whole step is one element-wise pass over
    /// every updated element, dense matrices and sparse rows alike, split over the two threads
    /// (`TwoThreads.forEachElement`): one hand-over per step instead of one per matrix. Each
    /// element is updated as `update(_:along:name:)` and `update(_:alongRows:name:)` update it.
    public mutating func step<N: NamedParameters>(
        _ network: inout N, names: [String], gradients: ParameterGradients<Scalar>
    ) where N.Scalar == Scalar {
        // The parameters with a gradient, moved out of the network for the pass.
        var values: [Matrix<Scalar>] = []
        var updated: [String] = []
        var positions: [Int] = []
        network.visitParameterMatrices { i, value in
            precondition(i < names.count, "more parameters than the \(names.count) names given")
            guard gradients.dense[names[i]] != nil || gradients.sparse[names[i]] != nil else {
                return
            }
            var moved = Matrix<Scalar>(rows: 0, columns: 0)
            swap(&moved, &value)
            values.append(moved)
            updated.append(names[i])
            positions.append(i)
        }
        updateInOnePass(&values, names: updated, gradients: gradients)
        var k = 0
        network.visitParameterMatrices { i, value in
            guard k < positions.count, positions[k] == i else { return }
            swap(&value, &values[k])
            k += 1
        }
    }

    /// One piece of the pass: `count` consecutive elements of a parameter, its gradient and
    /// its moments (a whole dense matrix, or one row of a table), with the coefficients of
    /// the parameter's step.
    private struct Piece {
        var w: UnsafeMutablePointer<Scalar>
        var g: UnsafePointer<Scalar>
        var m: UnsafeMutablePointer<Scalar>
        var v: UnsafeMutablePointer<Scalar>
        var count: Int
        var parameter: Int
    }

    /// The step of `step(_:names:gradients:)` over the parameters `values`, named `names`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private mutating func updateInOnePass(
        _ values: inout [Matrix<Scalar>], names: [String], gradients: ParameterGradients<Scalar>
    ) {
        // Each parameter's gradient, slot and coefficients, its step counted as `update`
        // counts it.
        var gradientRows: [Matrix<Scalar>] = []
        var rowIDs: [[Int]?] = []
        var slotOf: [Int] = []
        var coefficientsOf: [Coefficients] = []
        for (k, name) in names.enumerated() {
            if let g = gradients.dense[name] {
                checkSameShape(values[k], g, name)
                gradientRows.append(g)
                rowIDs.append(nil)
            } else {
                let s = gradients.sparse[name]!
                checkSparseShape(values[k], s, name)
                gradientRows.append(s.rows)
                rowIDs.append(s.ids)
            }
            let slot = slots.slot(for: name, shapedLike: values[k], secondMoment: true)
            slots.steps[slot] += 1
            slotOf.append(slot)
            coefficientsOf.append(coefficients(step: slots.steps[slot]))
        }
        let widths = values.map { $0.columns }
        let counts = values.map { $0.count }
        var first = slots.first
        var second = slots.second
        slots.first = []
        slots.second = []
        defer {
            slots.first = first
            slots.second = second
        }
        Matrix.withUnsafeMutablePointers(&values) { w in
            Matrix.withUnsafePointers(gradientRows) { g in
                Matrix.withUnsafeMutablePointers(&first) { m in
                    Matrix.withUnsafeMutablePointers(&second) { v in
                        var pieces: [Piece] = []
                        for k in names.indices {
                            let (slot, width) = (slotOf[k], widths[k])
                            guard let ids = rowIDs[k] else {
                                pieces.append(
                                    Piece(
                                        w: w[k], g: g[k], m: m[slot], v: v[slot],
                                        count: counts[k], parameter: k))
                                continue
                            }
                            for (row, id) in ids.enumerated() {
                                let offset = id * width
                                pieces.append(
                                    Piece(
                                        w: w[k] + offset, g: g[k] + row * width,
                                        m: m[slot] + offset, v: v[slot] + offset, count: width,
                                        parameter: k))
                            }
                        }
                        // A table row's elements cost more than a dense matrix's: its rows
                        // of w, m and v are scattered over tables of megabytes (before, the
                        // caller, whose half held the rows, spent 2.2 times as long as the
                        // helper in this pass).
                        TwoThreads.forEachElement(
                            ofSegments: pieces.map { $0.count },
                            costs: pieces.map { rowIDs[$0.parameter] == nil ? 1 : 8 },
                            minimumElements: Self.parallelElements
                        ) { p, range in
                            let piece = pieces[p]
                            let at = range.lowerBound
                            Adam.kernel(
                                w: piece.w + at, g: piece.g + at, m: piece.m + at,
                                v: piece.v + at, count: range.count,
                                coefficientsOf[piece.parameter])
                        }
                    }
                }
            }
        }
    }

    /// Updates only the rows `gradient.ids` of `value` `[rowCount, dimension]`;
    /// the state is keyed by `name`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(
        _ value: inout Matrix<Scalar>, alongRows gradient: SparseRowGradient<Scalar>, name: String
    ) {
        checkSparseShape(value, gradient, name)
        let slot = slots.slot(for: name, shapedLike: value, secondMoment: true)
        slots.steps[slot] += 1
        let c = coefficients(step: slots.steps[slot])
        let width = value.columns
        let ids = gradient.ids
        gradient.rows.withUnsafePointer { g in
            value.withUnsafeMutablePointer { w in
                slots.first[slot].withUnsafeMutablePointer { m in
                    slots.second[slot].withUnsafeMutablePointer { v in
                        func rows(_ range: Range<Int>) {
                            for k in range {
                                let offset = ids[k] * width
                                Adam.kernel(
                                    w: w + offset, g: g + k * width, m: m + offset, v: v + offset,
                                    count: width, c)
                            }
                        }
                        if ids.count * width >= Self.parallelElements {
                            let h = ids.count / 2
                            TwoThreads.run({ rows(0..<h) }, { rows(h..<ids.count) })
                        } else {
                            rows(0..<ids.count)
                        }
                    }
                }
            }
        }
    }

    struct Coefficients {
        var beta1: Scalar
        var beta2: Scalar
        /// `lr / (1 − β1ᵗ)`.
        var stepSize: Scalar
        /// `1 / √(1 − β2ᵗ)`.
        var inverseRootCorrection: Scalar
        var epsilon: Scalar
        /// `1 − lr · weightDecay`.
        var decay: Scalar
    }

    /// The bias corrections are rounded to `Scalar` before they divide: `lr / (1 − β1ᵗ)` with
    /// `β1ᵗ` taken in `Double` and the subtraction and division in `Scalar`, and
    /// `1 / √(1 − β2ᵗ)` with the root in `Double` and the division in `Scalar`.
    func coefficients(step: Int) -> Coefficients {
        let power1 = Scalar(integerPower(Double(beta1), step))
        let root2 = Scalar((1 - integerPower(Double(beta2), step)).squareRoot())
        return Coefficients(
            beta1: beta1, beta2: beta2, stepSize: learningRate / (1 - power1),
            inverseRootCorrection: 1 / root2, epsilon: epsilon,
            decay: 1 - learningRate * weightDecay)
    }

    @inline(__always)
    static func kernel(
        w: UnsafeMutablePointer<Scalar>, g: UnsafePointer<Scalar>, m: UnsafeMutablePointer<Scalar>,
        v: UnsafeMutablePointer<Scalar>, count: Int, _ c: Coefficients
    ) {
        if Scalar.self == Float.self {
            // Folded away in the specialisations. The C kernel: this package's Swift is
            // built for baseline x86-64, where the root and the division of the Swift
            // loop ran one lane at a time.
            Float.adamStep(
                count: count,
                w: UnsafeMutableRawPointer(w).assumingMemoryBound(to: Float.self),
                g: UnsafeRawPointer(g).assumingMemoryBound(to: Float.self),
                m: UnsafeMutableRawPointer(m).assumingMemoryBound(to: Float.self),
                v: UnsafeMutableRawPointer(v).assumingMemoryBound(to: Float.self),
                beta1: Float(c.beta1), beta2: Float(c.beta2), stepSize: Float(c.stepSize),
                inverseRootCorrection: Float(c.inverseRootCorrection), epsilon: Float(c.epsilon),
                decay: Float(c.decay))
            return
        }
        let (b1, b2) = (c.beta1, c.beta2)
        let (a1, a2) = (1 - b1, 1 - b2)
        let decay = c.decay
        for i in 0..<count {
            let gi = g[i]
            let mi = b1 * m[i] + a1 * gi
            let vi = b2 * v[i] + a2 * gi * gi
            m[i] = mi
            v[i] = vi
            w[i] =
                decay * w[i] - c.stepSize * mi
                / (vi.squareRoot() * c.inverseRootCorrection + c.epsilon)
        }
    }
}

/// `base` raised to a non-negative integer power, by repeated squaring.
@inline(__always)
func integerPower(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var b = base
    var e = exponent
    while e > 0 {
        if e & 1 == 1 { result *= b }
        b *= b
        e >>= 1
    }
    return result
}
