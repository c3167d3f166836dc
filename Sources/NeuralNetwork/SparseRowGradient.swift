import LinearAlgebra

/// The gradient of a `[rowCount, dimension]` table of which only a few rows were
/// used: the ids of the touched rows (sorted, each once) and their gradient rows.
///
/// Duplicate ids are summed when the gradient is built. Optimizers update only these
/// rows, which is what makes a large embedding table cheap to train.
public struct SparseRowGradient<Scalar: BLASScalar>: Equatable, Sendable {
    /// The touched row ids, strictly increasing, each in `0..<rowCount`.
    public private(set) var ids: [Int]
    /// The gradient rows, `[ids.count, dimension]`; row `k` belongs to `ids[k]`.
    public var rows: Matrix<Scalar>
    /// The number of rows of the full table.
    public let rowCount: Int

    /// The number of columns of the table.
    public var dimension: Int { rows.columns }

    /// Sums the rows of `gradients` `[ids.count, dimension]` by id into a sparse
    /// gradient of a `[rowCount, dimension]` table.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(ids: [Int], gradients: Matrix<Scalar>, rowCount: Int) {
        precondition(
            gradients.rows == ids.count,
            "\(ids.count) ids for a gradient of \(gradients.shapeDescription)")
        for (position, id) in ids.enumerated() {
            precondition(
                id >= 0 && id < rowCount, "id \(id) at position \(position) outside 0..<\(rowCount)"
            )
        }
        let width = gradients.columns
        let order = Self.positionsByID(ids, rowCount: rowCount)
        var unique: [Int] = []
        unique.reserveCapacity(ids.count)
        for position in order where unique.last != ids[position] { unique.append(ids[position]) }
        var rows = Matrix<Scalar>(rows: unique.count, columns: width)
        if width > 0 {
            gradients.withUnsafePointer { source in
                rows.withUnsafeMutablePointer { target in
                    var slot = -1
                    var previous = -1
                    for position in order {
                        if ids[position] != previous {
                            slot += 1
                            previous = ids[position]
                        }
                        // Rows of a few hundred values: a loop, not a call into BLAS
                        // (its `y + 1·x` has the same bits).
                        let (x, y) = (source + position * width, target + slot * width)
                        for c in 0..<width { y[c] += x[c] }
                    }
                }
            }
        }
        self.ids = unique
        self.rows = rows
        self.rowCount = rowCount
    }

    /// The positions of `ids` ordered by id, so that equal ids are adjacent, each id's in
    /// order of position. Counted by id where the table is small beside the positions (a
    /// character table under thousands of character positions); otherwise sorted by one
    /// integer key per position, `id · count + position`, without a comparison closure.
    static func positionsByID(_ ids: [Int], rowCount: Int) -> [Int] {
        let count = ids.count
        if rowCount <= 4 * count + 64 {
            // Where each id's positions start, then each position in its id's next place.
            var next = [Int](repeating: 0, count: rowCount + 1)
            for id in ids { next[id + 1] += 1 }
            for id in 0..<rowCount { next[id + 1] += next[id] }
            var order = [Int](repeating: 0, count: count)
            for (position, id) in ids.enumerated() {
                order[next[id]] = position
                next[id] += 1
            }
            return order
        }
        var keys = ids.indices.map { ids[$0] * count + $0 }
        keys.sort()
        return keys.map { $0 % count }
    }

    /// The full `[rowCount, dimension]` gradient, zero outside the touched rows.
    public func dense() -> Matrix<Scalar> {
        var result = Matrix<Scalar>(rows: rowCount, columns: dimension)
        let width = dimension
        for (slot, id) in ids.enumerated() {
            for c in 0..<width { result.scalars[id * width + c] = rows.scalars[slot * width + c] }
        }
        return result
    }

    /// The sum of squares of the touched rows.
    public var squaredNorm: Scalar { GradientClipping.squaredNorm(rows) }
}
