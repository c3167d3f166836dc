import LinearAlgebra

extension Parameterized {
    /// `self += alpha · other`, parameter by parameter (BLAS axpy): sums gradients of
    /// several batches or of a layer used more than once.
    public mutating func addParameters(of other: Self, scaledBy alpha: Scalar = 1) {
        // By position, without the key paths of `parameters` (which the runtime builds at
        // every call; a data-parallel training step calls this).
        let others = other.orderedParameterMatrices
        modifyParameters { i, matrix in matrix.add(others[i], scaledBy: alpha) }
    }

    /// Multiplies every parameter by `alpha` (BLAS scal), e.g. to average summed gradients.
    public mutating func scaleParameters(by alpha: Scalar) {
        modifyParameters { _, matrix in matrix.scale(by: alpha) }
    }
}
