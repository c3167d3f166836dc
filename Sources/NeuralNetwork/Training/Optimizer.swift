import LinearAlgebra

/// The update rules the training loop offers.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam with bias correction.
    case adam
    /// Plain stochastic gradient descent.
    case sgd
}

/// A gradient-descent rule over named parameters, whose state (moments, velocities and
/// step counts, keyed by parameter name) can be saved in a checkpoint and restored exactly.
public protocol Optimizer<Scalar> {
    /// The element type of the parameters.
    associatedtype Scalar: BLASScalar
    /// The step size of the next update.
    var learningRate: Scalar { get set }
    /// Updates `value` along the dense gradient of the same shape; state keyed by `name`.
    mutating func update(
        _ value: inout Matrix<Scalar>, along gradient: Matrix<Scalar>, name: String)
    /// Updates only the rows `gradient.ids` of `value`; state keyed by `name`.
    mutating func update(
        _ value: inout Matrix<Scalar>, alongRows gradient: SparseRowGradient<Scalar>, name: String)
    /// Everything the optimizer has learned so far, for a checkpoint.
    var state: OptimizerState<Scalar> { get }
    /// Continues from a state saved by `state` (checked by `OptimizerState.validate`).
    mutating func restore(_ state: OptimizerState<Scalar>)
    /// The moments the state keeps per updated parameter (`["m", "v"]` for Adam).
    static var momentNames: [String] { get }
    /// Applies one update to every parameter of `network` that has a gradient in
    /// `gradients` (dense, or the touched rows of a sparse one); `names` are the network's
    /// `parameterNames`, read once by a caller that steps the same network many times.
    mutating func step<N: NamedParameters>(
        _ network: inout N, names: [String], gradients: ParameterGradients<Scalar>
    ) where N.Scalar == Scalar
}

extension Optimizer {
    /// Updates every parameter of `layer` along `gradient` (the gradient of the loss,
    /// which is descended). State is keyed by `prefix.name`.
    public mutating func update<L: Parameterized>(
        _ layer: inout L, along gradient: L, prefix: String = ""
    ) where L.Scalar == Scalar {
        let parameters = layer.parameters
        layer.modifyParameters { i, matrix in
            let name = qualifiedName(parameters[i].name, prefix: prefix)
            update(&matrix, along: gradient[keyPath: parameters[i].keyPath], name: name)
        }
    }

    /// Updates only the touched rows of the table `parameter` of `layer` along a sparse
    /// row gradient; state is keyed by `prefix.name`.
    public mutating func update<L: Parameterized>(
        _ layer: inout L, _ parameter: Parameter<L, Scalar>,
        alongRows gradient: SparseRowGradient<Scalar>, prefix: String = ""
    ) where L.Scalar == Scalar {
        update(
            &layer[keyPath: parameter.keyPath], alongRows: gradient,
            name: qualifiedName(parameter.name, prefix: prefix))
    }

    /// Applies one update to every parameter of `network` that has a gradient in
    /// `gradients` (dense, or the touched rows of a sparse one).
    public mutating func step<N: NamedParameters>(
        _ network: inout N, gradients: ParameterGradients<Scalar>
    ) where N.Scalar == Scalar {
        step(&network, names: network.parameterNames, gradients: gradients)
    }

    /// One parameter at a time, through `update`.
    public mutating func step<N: NamedParameters>(
        _ network: inout N, names: [String], gradients: ParameterGradients<Scalar>
    ) where N.Scalar == Scalar {
        network.visitParameterMatrices { i, value in
            let name = names[i]
            if let g = gradients.dense[name] {
                update(&value, along: g, name: name)
            } else if let s = gradients.sparse[name] {
                update(&value, alongRows: s, name: name)
            }
        }
    }
}

/// An optimizer's state: per parameter name, its step count and its moment matrices
/// (`m.<name>` and `v.<name>` for Adam, `m.<name>` for SGD with momentum).
public struct OptimizerState<Scalar: BLASScalar> {
    /// The updates applied to each parameter.
    public var steps: [String: Int]
    /// The moment matrices, by `m.<name>` / `v.<name>`.
    public var matrices: [String: Matrix<Scalar>]

    /// A state from its parts.
    public init(steps: [String: Int] = [:], matrices: [String: Matrix<Scalar>] = [:]) {
        self.steps = steps
        self.matrices = matrices
    }
}

extension OptimizerSlots {
    /// The slots as an `OptimizerState` (second moments only when `secondMoment`).
    func state(secondMoment: Bool) -> OptimizerState<Scalar> {
        var result = OptimizerState<Scalar>()
        for (name, slot) in index {
            result.steps[name] = steps[slot]
            result.matrices["m." + name] = first[slot]
            if secondMoment { result.matrices["v." + name] = second[slot] }
        }
        return result
    }

    /// Slots holding `state`, in name order.
    init(_ state: OptimizerState<Scalar>) {
        self.init()
        for key in state.matrices.keys.sorted() where key.hasPrefix("m.") {
            let name = String(key.dropFirst(2))
            index[name] = first.count
            first.append(state.matrices[key]!)
            second.append(state.matrices["v." + name] ?? Matrix(rows: 0, columns: 0))
            steps.append(state.steps[name] ?? 0)
        }
    }
}
