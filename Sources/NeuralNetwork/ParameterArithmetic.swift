import LinearAlgebra

extension Parameterized {
    /// `self += alpha · other`, parameter by parameter (BLAS axpy): sums gradients of
    /// several batches or of a layer used more than once.
    public mutating func addParameters(of other: Self, scaledBy alpha: Scalar = 1) {
        for parameter in parameters {
            self[keyPath: parameter.keyPath].add(other[keyPath: parameter.keyPath], scaledBy: alpha)
        }
    }

    /// Multiplies every parameter by `alpha` (BLAS scal), e.g. to average summed gradients.
    public mutating func scaleParameters(by alpha: Scalar) {
        for parameter in parameters { self[keyPath: parameter.keyPath].scale(by: alpha) }
    }
}
