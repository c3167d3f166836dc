import LinearAlgebra

/// Stochastic gradient descent with optional momentum and (coupled, L2) weight decay.
///
/// For a parameter `w` with gradient `g`: `d = g + weightDecay · w`; without
/// momentum `w −= lr · d`; with momentum `μ` the velocity `u = μ · u + d` is kept
/// here, keyed by parameter name, and `w −= lr · u` (the PyTorch convention).
/// Sparse updates touch only the given rows (lazy momentum and decay).
public struct SGD<Scalar: BLASScalar>: Optimizer {
    /// The step size `lr`.
    public var learningRate: Scalar
    /// The momentum `μ`; zero for plain SGD.
    public var momentum: Scalar
    /// The L2 penalty coefficient added to the gradient; zero disables it.
    public var weightDecay: Scalar

    var slots = OptimizerSlots<Scalar>()

    /// An optimizer with the given learning rate, momentum and weight decay.
    public init(learningRate: Scalar, momentum: Scalar = 0, weightDecay: Scalar = 0) {
        precondition(learningRate > 0, "learning rate must be positive, got \(learningRate)")
        precondition(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got \(momentum)")
        precondition(weightDecay >= 0, "weight decay must not be negative, got \(weightDecay)")
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// See `Optimizer.state`: the velocity `m.<name>` and step count of every parameter
    /// (none without momentum).
    public var state: OptimizerState<Scalar> { slots.state(secondMoment: false) }

    /// See `Optimizer.momentNames`: the velocity.
    public static var momentNames: [String] { ["m"] }

    /// See `Optimizer.restore`.
    public mutating func restore(_ state: OptimizerState<Scalar>) {
        slots = OptimizerSlots(state)
    }

    /// The velocity of the parameter named `name`, if momentum is on and it was updated.
    public func velocity(of name: String) -> Matrix<Scalar>? {
        slots.index[name].map { slots.first[$0] }
    }

    /// Updates one matrix along a dense gradient of the same shape; state keyed by `name`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(
        _ value: inout Matrix<Scalar>, along gradient: Matrix<Scalar>, name: String
    ) {
        checkSameShape(value, gradient, name)
        let n = value.count
        if momentum == 0 {
            let (lr, decay) = (learningRate, 1 - learningRate * weightDecay)
            gradient.withUnsafePointer { g in
                value.withUnsafeMutablePointer { w in
                    if decay != 1 { Scalar.scal(count: n, alpha: decay, x: w, incX: 1) }
                    Scalar.axpy(count: n, alpha: -lr, x: g, incX: 1, y: w, incY: 1)
                }
            }
            return
        }
        let slot = slots.slot(for: name, shapedLike: value, secondMoment: false)
        slots.steps[slot] += 1
        let coefficients = (learningRate, momentum, weightDecay)
        gradient.withUnsafePointer { g in
            value.withUnsafeMutablePointer { w in
                slots.first[slot].withUnsafeMutablePointer { u in
                    SGD.kernel(w: w, g: g, u: u, count: n, coefficients)
                }
            }
        }
    }

    /// Updates only the rows `gradient.ids` of `value` `[rowCount, dimension]`; state
    /// keyed by `name`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(
        _ value: inout Matrix<Scalar>, alongRows gradient: SparseRowGradient<Scalar>, name: String
    ) {
        checkSparseShape(value, gradient, name)
        let width = value.columns
        let ids = gradient.ids
        if momentum == 0 {
            let (lr, decay) = (learningRate, 1 - learningRate * weightDecay)
            gradient.rows.withUnsafePointer { g in
                value.withUnsafeMutablePointer { w in
                    for (k, id) in ids.enumerated() {
                        if decay != 1 {
                            Scalar.scal(count: width, alpha: decay, x: w + id * width, incX: 1)
                        }
                        Scalar.axpy(
                            count: width, alpha: -lr, x: g + k * width, incX: 1, y: w + id * width,
                            incY: 1)
                    }
                }
            }
            return
        }
        let slot = slots.slot(for: name, shapedLike: value, secondMoment: false)
        slots.steps[slot] += 1
        let coefficients = (learningRate, momentum, weightDecay)
        gradient.rows.withUnsafePointer { g in
            value.withUnsafeMutablePointer { w in
                slots.first[slot].withUnsafeMutablePointer { u in
                    for (k, id) in ids.enumerated() {
                        SGD.kernel(
                            w: w + id * width, g: g + k * width, u: u + id * width, count: width,
                            coefficients)
                    }
                }
            }
        }
    }

    @inline(__always)
    static func kernel(
        w: UnsafeMutablePointer<Scalar>, g: UnsafePointer<Scalar>, u: UnsafeMutablePointer<Scalar>,
        count: Int, _ coefficients: (Scalar, Scalar, Scalar)
    ) {
        let (lr, mu, lambda) = coefficients
        for i in 0..<count {
            let velocity = mu * u[i] + g[i] + lambda * w[i]
            u[i] = velocity
            w[i] -= lr * velocity
        }
    }
}
