import LinearAlgebra
import NeuralNetwork

/// `Σ y ⊙ weights`, a scalar loss whose gradient with respect to `y` is `weights`.
func dotLoss<Scalar: BLASScalar>(_ y: Matrix<Scalar>, _ weights: Matrix<Scalar>) -> Double {
    precondition(y.count == weights.count)
    var sum = 0.0
    for i in 0..<y.count { sum += Double(y.scalars[i]) * Double(weights.scalars[i]) }
    return sum
}

extension Parameterized {
    /// Every parameter of `self` converted to `Double`, by name.
    func parameterDictionary() -> [String: Matrix<Double>] {
        var result: [String: Matrix<Double>] = [:]
        for p in parameters { result[p.name] = self[keyPath: p.keyPath].converted(to: Double.self) }
        return result
    }
}
