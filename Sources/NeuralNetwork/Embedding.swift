import LinearAlgebra

/// A lookup table of `vocabularySize` vectors of `dimension` scalars.
///
/// `forward(ids)` gathers rows: the output `[ids.count, dimension]` has row `k` equal
/// to row `ids[k]` of the table `[vocabularySize, dimension]`. The gradient is sparse
/// (`SparseRowGradient`): only the rows of the ids seen, with duplicate ids summed;
/// `SGD` and `Adam` update only those rows. Parameter name: `E`.
///
/// With `shared` set, rows are read from a table shared with other models and `table`
/// holds only the embedding's own rows (see `SharedRows`); such an embedding is for
/// inference: `materialise()` makes it dense before training.
public struct Embedding<Scalar: BLASScalar>: Parameterized {
    /// The table, `[vocabularySize, dimension]`; parameter name `E`. With `shared` set, only
    /// the own rows (those the negative entries of `shared.rowOfID` name), in order.
    public var table: Matrix<Scalar>
    /// Where the rows not in `table` come from, when they are shared with other models.
    public var shared: SharedRows<Scalar>?

    /// The number of rows (ids).
    public var vocabularySize: Int { shared?.rowOfID.count ?? table.rows }
    /// The length of each vector.
    public var dimension: Int { table.columns }

    /// `E`.
    public var parameters: [Parameter<Embedding, Scalar>] { [Parameter("E", \.table)] }

    /// `E`.
    public var orderedParameterNames: [String] { ["E"] }

    /// `E`, in place.
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try body(0, &table)
    }

    /// A table with entries uniform in `±√(3 / dimension)` (unit-length vectors on
    /// average), drawn from `random`.
    public init(vocabularySize: Int, dimension: Int, random: inout SeededRandom) {
        precondition(
            vocabularySize > 0 && dimension > 0,
            "Embedding needs positive sizes, got vocabulary \(vocabularySize), dimension \(dimension)"
        )
        table = Initializer.uniform(
            rows: vocabularySize, columns: dimension, limit: (3.0 / Double(dimension)).squareRoot(),
            using: &random)
    }

    /// A layer over an existing table `[vocabularySize, dimension]`, such as pretrained
    /// vectors.
    public init(table: Matrix<Scalar>) {
        self.table = table
    }

    /// What backward needs: the ids of the forward pass.
    public struct Cache {
        /// The looked-up ids, one per output row.
        public var ids: [Int]
    }

    /// The rows of the table for `ids`, `[ids.count, dimension]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ ids: [Int]) -> Matrix<Scalar> {
        let (width, vocabulary) = (dimension, vocabularySize)
        return Matrix(rows: ids.count, columns: width) { y in
            withRowCopier { copy in
                for (row, id) in ids.enumerated() {
                    precondition(
                        id >= 0 && id < vocabulary,
                        "Embedding id \(id) at position \(row) outside 0..<\(vocabulary)")
                    copy(id, y + row * width)
                }
            }
        }
    }

    /// Calls `body` with a function that writes row `id` (of `table`, or of the shared
    /// table or the own rows when `shared` is set) to a destination of `dimension` scalars;
    /// `id` is not checked.
    @inline(__always)
    public func withRowCopier<R>(
        _ body: ((Int, UnsafeMutablePointer<Scalar>) -> Void) throws -> R
    ) rethrows -> R {
        if let shared { return try shared.withRowCopier(own: table, body) }
        let width = dimension
        return try table.withUnsafePointer { e in
            try body { id, destination in destination.update(from: e + id * width, count: width) }
        }
    }

    /// Makes the table dense, `[vocabularySize, dimension]`, copying the shared rows, so
    /// that the embedding can be trained; does nothing when no rows are shared.
    public mutating func materialise() {
        guard let shared else { return }
        table = shared.dense(own: table)
        self.shared = nil
    }

    /// The rows for `ids`, `[ids.count, dimension]`, and the cache for `backward`.
    public func forward(_ ids: [Int]) -> (output: Matrix<Scalar>, cache: Cache) {
        (callAsFunction(ids), Cache(ids: ids))
    }

    /// The sparse gradient of the table given `dL/dOutput` `[ids.count, dimension]`.
    public func backward(_ dOutput: Matrix<Scalar>, cache: Cache) -> SparseRowGradient<Scalar> {
        precondition(shared == nil, "a shared-row embedding is trained only after materialise()")
        precondition(
            dOutput.rows == cache.ids.count && dOutput.columns == dimension,
            "Embedding dOutput \(dOutput.shapeDescription), expected [\(cache.ids.count), \(dimension)]"
        )
        return SparseRowGradient(ids: cache.ids, gradients: dOutput, rowCount: vocabularySize)
    }

    /// The dense gradient as a layer value (`gradient: Self`), for gradient checks and
    /// for code that wants every parameter in one place.
    public func denseGradient(_ gradient: SparseRowGradient<Scalar>) -> Embedding {
        precondition(
            gradient.rowCount == vocabularySize && gradient.dimension == dimension,
            "sparse gradient [\(gradient.rowCount), \(gradient.dimension)] for a table \(table.shapeDescription)"
        )
        return Embedding(table: gradient.dense())
    }
}

extension SGD {
    /// Updates only the rows of `embedding` touched by `gradient`; state keyed by
    /// `prefix.E`.
    public mutating func update(
        _ embedding: inout Embedding<Scalar>, along gradient: SparseRowGradient<Scalar>,
        prefix: String = ""
    ) {
        precondition(
            embedding.shared == nil, "a shared-row embedding is trained only after materialise()")
        update(&embedding.table, alongRows: gradient, name: qualifiedName("E", prefix: prefix))
    }
}

extension Adam {
    /// Updates only the rows of `embedding` touched by `gradient` (lazy Adam); state
    /// keyed by `prefix.E`.
    public mutating func update(
        _ embedding: inout Embedding<Scalar>, along gradient: SparseRowGradient<Scalar>,
        prefix: String = ""
    ) {
        precondition(
            embedding.shared == nil, "a shared-row embedding is trained only after materialise()")
        update(&embedding.table, alongRows: gradient, name: qualifiedName("E", prefix: prefix))
    }
}
