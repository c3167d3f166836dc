import LinearAlgebra

/// The rows of an embedding table that are read from a table shared with other models, so
/// that models fine-tuned from the same pretrained vectors hold one copy of the rows they
/// left unchanged.
///
/// Row `id` of the embedding is row `rowOfID[id]` of `table` when that is non-negative, and
/// row `-1 - rowOfID[id]` of the embedding's own rows otherwise. `owner` keeps the shared
/// table alive (a cache of shared tables holds them weakly), and tells where it came from.
public struct SharedRows<Scalar: BLASScalar>: @unchecked Sendable {
    /// The object that holds the shared table; alive as long as an embedding uses it.
    public let owner: AnyObject
    /// The shared table `[sharedRows, dimension]`.
    public let table: Matrix<Scalar>
    /// For each id: `≥ 0`, the row of `table`; `-1 - k`, the embedding's own row `k`.
    public let rowOfID: [Int32]

    /// Shared rows for an embedding with `rowOfID.count` ids. Every non-negative entry must
    /// be a row of `table`; the negative ones name own rows.
    public init(owner: AnyObject, table: Matrix<Scalar>, rowOfID: [Int32]) {
        precondition(
            rowOfID.allSatisfy { $0 < table.rows },
            "a shared row outside the shared table of \(table.rows) rows")
        self.owner = owner
        self.table = table
        self.rowOfID = rowOfID
    }

    /// The dense table `[rowOfID.count, dimension]`, taking own rows from `own`.
    public func dense(own: Matrix<Scalar>) -> Matrix<Scalar> {
        let width = table.columns
        precondition(own.columns == width, "own rows \(own.shapeDescription) for width \(width)")
        return Matrix(rows: rowOfID.count, columns: width) { out in
            withRowLookup(own: own) { row in
                for id in rowOfID.indices { (out + id * width).update(from: row(id), count: width) }
            }
        }
    }

    /// Calls `body` with a function that gives the first scalar of row `id` (own rows from
    /// `own`); the pointers are valid only inside `body`.
    @inline(__always)
    public func withRowLookup<R>(
        own: Matrix<Scalar>, _ body: ((Int) -> UnsafePointer<Scalar>) throws -> R
    ) rethrows -> R {
        let width = table.columns
        // An embedding whose rows are all shared has no own rows (and maybe no own buffer).
        return try table.scalars.withUnsafeBufferPointer { sharedBuffer in
            try own.scalars.withUnsafeBufferPointer { ownBuffer in
                try rowOfID.withUnsafeBufferPointer { map in
                    try body { id in
                        let m = Int(map[id])
                        return m >= 0
                            ? sharedBuffer.baseAddress! + m * width
                            : ownBuffer.baseAddress! + (-1 - m) * width
                    }
                }
            }
        }
    }
}
