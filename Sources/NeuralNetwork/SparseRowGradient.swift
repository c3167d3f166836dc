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

    /// A gradient whose `ids` are already strictly increasing.
    private init(sortedIDs ids: [Int], rows: Matrix<Scalar>, rowCount: Int) {
        self.ids = ids
        self.rows = rows
        self.rowCount = rowCount
    }

    /// `wa·a + wb·b` for two gradients of the same table: the union of their ids, each row
    /// `wa·a[id] + wb·b[id]` (`wa·a[id]` or `wb·b[id]` for an id of one side only). The
    /// same rows, to the bit, as summing the two sides' weighted rows by id with
    /// `init(ids:gradients:rowCount:)`, in one merge of the sorted ids instead of a sort.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func weightedSum(
        _ a: SparseRowGradient, _ wa: Scalar, _ b: SparseRowGradient, _ wb: Scalar
    ) -> SparseRowGradient {
        precondition(
            a.rowCount == b.rowCount && a.dimension == b.dimension,
            "sparse gradients of different tables: \(a.rowCount)×\(a.dimension) and \(b.rowCount)×\(b.dimension)"
        )
        let width = a.dimension
        var ids: [Int] = []
        ids.reserveCapacity(a.ids.count + b.ids.count)
        // Each output row's source rows in a and b (−1: none).
        var sources: [(Int, Int)] = []
        sources.reserveCapacity(a.ids.count + b.ids.count)
        var (i, j) = (0, 0)
        while i < a.ids.count || j < b.ids.count {
            let x = i < a.ids.count ? a.ids[i] : Int.max
            let y = j < b.ids.count ? b.ids[j] : Int.max
            if x == y {
                ids.append(x)
                sources.append((i, j))
                (i, j) = (i + 1, j + 1)
            } else if x < y {
                ids.append(x)
                sources.append((i, -1))
                i += 1
            } else {
                ids.append(y)
                sources.append((-1, j))
                j += 1
            }
        }
        let rows = Matrix<Scalar>(rows: ids.count, columns: width) { out in
            a.rows.withUnsafePointer { pa in
                b.rows.withUnsafePointer { pb in
                    for (k, (ra, rb)) in sources.enumerated() {
                        let target = out + k * width
                        if ra >= 0 && rb >= 0 {
                            let (x, y) = (pa + ra * width, pb + rb * width)
                            for c in 0..<width { target[c] = wa * x[c] + wb * y[c] }
                        } else if ra >= 0 {
                            let x = pa + ra * width
                            for c in 0..<width { target[c] = wa * x[c] }
                        } else {
                            let y = pb + rb * width
                            for c in 0..<width { target[c] = wb * y[c] }
                        }
                    }
                }
            }
        }
        return SparseRowGradient(sortedIDs: ids, rows: rows, rowCount: a.rowCount)
    }

    /// Every row multiplied by `factor`.
    public func scaled(by factor: Scalar) -> SparseRowGradient {
        var result = self
        result.rows.scale(by: factor)
        return result
    }
}
