import LinearAlgebra

/// Per-parameter optimizer state (moments and step counts), keyed by parameter name.
///
/// The state lives in the optimizer, never in the layer: inference weights stay
/// free of training state, and one optimizer can drive a whole model whose
/// parameters are named `prefix.name` by `nestedParameters`.
struct OptimizerSlots<Scalar: BLASScalar> {
    /// Slot number of each parameter name.
    var index: [String: Int] = [:]
    /// First moments (Adam) or velocities (SGD), shaped like their parameters.
    var first: [Matrix<Scalar>] = []
    /// Second moments (Adam); empty matrices for SGD.
    var second: [Matrix<Scalar>] = []
    /// The number of updates applied to each parameter.
    var steps: [Int] = []

    /// The slot of `name`, created with zero moments shaped like `value` on first use.
    mutating func slot(for name: String, shapedLike value: Matrix<Scalar>, secondMoment: Bool)
        -> Int
    {
        if let existing = index[name] {
            precondition(
                first[existing].rows == value.rows && first[existing].columns == value.columns,
                "optimizer state for \(name) is \(first[existing].shapeDescription) but the "
                    + "parameter is \(value.shapeDescription); two parameters share a name "
                    + "(pass a distinct prefix)")
            return existing
        }
        let slot = first.count
        index[name] = slot
        first.append(Matrix(rows: value.rows, columns: value.columns))
        second.append(
            secondMoment
                ? Matrix(rows: value.rows, columns: value.columns) : Matrix(rows: 0, columns: 0))
        steps.append(0)
        return slot
    }
}

/// The optimizer key of a parameter: `prefix.name`, or `name` without a prefix.
@inline(__always)
func qualifiedName(_ name: String, prefix: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

func checkSameShape<Scalar: BLASScalar>(
    _ value: Matrix<Scalar>, _ gradient: Matrix<Scalar>, _ name: String
) {
    precondition(
        value.rows == gradient.rows && value.columns == gradient.columns,
        "gradient of \(name) is \(gradient.shapeDescription), parameter is \(value.shapeDescription)"
    )
}

func checkSparseShape<Scalar: BLASScalar>(
    _ value: Matrix<Scalar>, _ gradient: SparseRowGradient<Scalar>, _ name: String
) {
    precondition(
        value.rows == gradient.rowCount && value.columns == gradient.dimension,
        "sparse gradient of \(name) is [\(gradient.rowCount), \(gradient.dimension)], "
            + "parameter is \(value.shapeDescription)")
}
