import LinearAlgebra
import NeuralNetwork

/// The optimizers the trainer offers.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam with bias correction.
    case adam
    /// Plain stochastic gradient descent.
    case sgd
}

/// Adam or SGD over a network's named parameters, with state (moments and step counts)
/// that can be saved in a checkpoint and restored exactly. Embedding tables are updated
/// lazily: only the rows in a sparse gradient move.
public struct TrainingOptimizer {
    /// Which update rule.
    public var kind: OptimizerKind
    /// The step size.
    public var learningRate: Float
    /// Adam's first-moment decay.
    public var beta1: Float = 0.9
    /// Adam's second-moment decay.
    public var beta2: Float = 0.999
    /// Adam's ε.
    public var epsilon: Float = 1e-8
    /// First moments by parameter name.
    public internal(set) var first: [String: Matrix<Float>] = [:]
    /// Second moments by parameter name.
    public internal(set) var second: [String: Matrix<Float>] = [:]
    /// Updates applied so far, by parameter name.
    public internal(set) var steps: [String: Int] = [:]

    /// Updates of at least this many elements are split over the two threads of
    /// `TwoThreads` (when its helper is free): the optimizer step otherwise runs on one core
    /// while the other idles between the data-parallel halves of training batches.
    static let parallelElements = 1 << 14

    /// An optimizer without state.
    public init(kind: OptimizerKind, learningRate: Float) {
        self.kind = kind
        self.learningRate = learningRate
    }

    /// Applies one update to every parameter of `network` that has a gradient.
    public mutating func step<N: TrainableNetwork>(
        _ network: inout N, gradients: ParameterGradients<Float>
    )
    where N.Scalar == Float {
        network.visitParameters { name, value in
            if let g = gradients.dense[name] {
                update(&value, name: name, rows: nil, gradient: g)
            } else if let s = gradients.sparse[name] {
                update(&value, name: name, rows: s.ids, gradient: s.rows)
            }
        }
    }

    /// Updates `value` (all rows, or only `rows`, whose gradients are the rows of `gradient`).
    mutating func update(
        _ value: inout Matrix<Float>, name: String, rows: [Int]?, gradient: Matrix<Float>
    ) {
        let width = value.columns
        let total = value.count
        if kind == .sgd {
            let lr = learningRate
            value.withUnsafeMutablePointer { w in
                gradient.withUnsafePointer { g in
                    if let rows {
                        for (k, r) in rows.enumerated() {
                            for j in 0..<width { w[r * width + j] -= lr * g[k * width + j] }
                        }
                    } else {
                        for i in 0..<total { w[i] -= lr * g[i] }
                    }
                }
            }
            return
        }
        if first[name] == nil {
            first[name] = Matrix(rows: value.rows, columns: value.columns)
            second[name] = Matrix(rows: value.rows, columns: value.columns)
        }
        let t = (steps[name] ?? 0) + 1
        steps[name] = t
        let c1 = learningRate / (1 - Float(Double(beta1).power(t)))
        let c2 = 1 / Float((1 - Double(beta2).power(t)).squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        func kernel(
            _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
            _ m: UnsafeMutablePointer<Float>,
            _ v: UnsafeMutablePointer<Float>, _ n: Int
        ) {
            for i in 0..<n {
                let gi = g[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi
                v[i] = vi
                w[i] -= c1 * mi / (vi.squareRoot() * c2 + eps)
            }
        }
        value.withUnsafeMutablePointer { w in
            gradient.withUnsafePointer { g in
                first[name]!.withUnsafeMutablePointer { m in
                    second[name]!.withUnsafeMutablePointer { v in
                        if let rows {
                            func updateRows(_ range: Range<Int>) {
                                for k in range {
                                    let r = rows[k]
                                    kernel(
                                        w + r * width, g + k * width, m + r * width, v + r * width,
                                        width)
                                }
                            }
                            if rows.count * width >= Self.parallelElements {
                                // Large sparse updates: the rows in two halves on two threads.
                                let half = rows.count / 2
                                TwoThreads.run(
                                    { updateRows(0..<half) }, { updateRows(half..<rows.count) })
                            } else {
                                updateRows(0..<rows.count)
                            }
                        } else if total >= Self.parallelElements {
                            // Element-wise, so the halves are independent: the same result on
                            // one or two threads.
                            let half = total / 2
                            TwoThreads.run(
                                { kernel(w, g, m, v, half) },
                                { kernel(w + half, g + half, m + half, v + half, total - half) })
                        } else {
                            kernel(w, g, m, v, total)
                        }
                    }
                }
            }
        }
    }

    /// The state as named matrices (`m.<name>`, `v.<name>`) for a checkpoint.
    public var stateMatrices: [(name: String, matrix: Matrix<Float>)] {
        first.keys.sorted().flatMap { name in
            [("m." + name, first[name]!), ("v." + name, second[name]!)]
        }
    }

    /// Restores state saved by `stateMatrices` and `steps`.
    public mutating func restore(matrices: [String: Matrix<Float>], steps: [String: Int]) {
        for (key, matrix) in matrices {
            if key.hasPrefix("m.") { first[String(key.dropFirst(2))] = matrix }
            if key.hasPrefix("v.") { second[String(key.dropFirst(2))] = matrix }
        }
        self.steps = steps
    }
}

extension Double {
    /// `self` raised to a non-negative integer power.
    fileprivate func power(_ n: Int) -> Double {
        var result = 1.0
        var base = self
        var e = n
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
