import LinearAlgebra

extension Parameterized {
    /// `self += alpha · other`, parameter by parameter (BLAS axpy): sums gradients of
    /// several batches or of a layer used more than once.
    public mutating func addParameters(of other: Self, scaledBy alpha: Scalar = 1) {
        let paths = parameters.map(\.keyPath)
        modifyParameters { i, matrix in matrix.add(other[keyPath: paths[i]], scaledBy: alpha) }
    }

    /// Multiplies every parameter by `alpha` (BLAS scal), e.g. to average summed gradients.
    public mutating func scaleParameters(by alpha: Scalar) {
        modifyParameters { _, matrix in matrix.scale(by: alpha) }
    }
}
