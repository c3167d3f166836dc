import LinearAlgebra

/// The rows of an embedding table that are read from a table shared with other models, so
/// that models fine-tuned from the same pretrained vectors hold one copy of the rows they
/// left unchanged.
///
/// Row `id` of the embedding is row `rowOfID[id]` of `table` when that is non-negative, and
/// row `-1 - rowOfID[id]` of the embedding's own rows otherwise. `owner` keeps the shared
/// table alive (a cache of shared tables holds them weakly), and tells where it came from.
public struct SharedRows<Scalar: BLASScalar>: @unchecked Sendable {
    /// How the shared table holds its rows.
    public enum Table: Sendable {
        /// Exactly, `[sharedRows, dimension]`.
        case exact(Matrix<Scalar>)
        /// In 8 bits a value; a row is expanded as it is copied out.
        case eightBit(EightBitMatrix)

        /// The number of rows.
        public var rows: Int {
            switch self {
            case .exact(let matrix): return matrix.rows
            case .eightBit(let matrix): return matrix.rows
            }
        }

        /// The length of a row.
        public var columns: Int {
            switch self {
            case .exact(let matrix): return matrix.columns
            case .eightBit(let matrix): return matrix.columns
            }
        }

        /// Writes row `row` to `output` (`columns` scalars).
        @inline(__always)
        public func copyRow(_ row: Int, into output: UnsafeMutablePointer<Scalar>) {
            switch self {
            case .exact(let matrix):
                matrix.withUnsafePointer { output.update(from: $0 + row * matrix.columns, count: matrix.columns) }
            case .eightBit(let matrix):
                matrix.copyRow(row, into: output)
            }
        }

        /// Every row, as a matrix of `Scalar`: the matrix itself for an exact table, the
        /// values the integers stand for (a new matrix) for an 8-bit one.
        public func expanded() -> Matrix<Scalar> {
            switch self {
            case .exact(let matrix):
                return matrix
            case .eightBit(let eightBit):
                return eightBit.dequantized(as: Scalar.self)
            }
        }
    }

    /// The object that holds the shared table; alive as long as an embedding uses it.
    public let owner: AnyObject
    /// The shared table.
    public let table: Table
    /// For each id: `≥ 0`, the row of `table`; `-1 - k`, the embedding's own row `k`.
    public let rowOfID: [Int32]

    /// Shared rows for an embedding with `rowOfID.count` ids. Every non-negative entry must
    /// be a row of `table`; the negative ones name own rows.
    public init(owner: AnyObject, table: Table, rowOfID: [Int32]) {
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
            withRowCopier(own: own) { copy in
                for id in rowOfID.indices { copy(id, out + id * width) }
            }
        }
    }

    /// Calls `body` with a function that writes row `id` (own rows from `own`) to a
    /// destination of `dimension` scalars; `id` is not checked.
    @inline(__always)
    public func withRowCopier<R>(
        own: Matrix<Scalar>,
        _ body: ((Int, UnsafeMutablePointer<Scalar>) -> Void) throws -> R
    ) rethrows -> R {
        let width = table.columns
        // An embedding whose rows are all shared has no own rows (and maybe no own buffer).
        return try own.scalars.withUnsafeBufferPointer { ownBuffer in
            try rowOfID.withUnsafeBufferPointer { map in
                switch table {
                case .exact(let shared):
                    return try shared.scalars.withUnsafeBufferPointer { sharedBuffer in
                        try body { id, destination in
                            let m = Int(map[id])
                            destination.update(
                                from: m >= 0
                                    ? sharedBuffer.baseAddress! + m * width
                                    : ownBuffer.baseAddress! + (-1 - m) * width,
                                count: width)
                        }
                    }
                case .eightBit(let shared):
                    return try body { id, destination in
                        let m = Int(map[id])
                        if m >= 0 {
                            shared.copyRow(m, into: destination)
                        } else {
                            destination.update(
                                from: ownBuffer.baseAddress! + (-1 - m) * width, count: width)
                        }
                    }
                }
            }
        }
    }
}
