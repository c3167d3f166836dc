import LinearAlgebra

/// A recurrent layer's input given as rows of a table, such as an embedding looked up: row
/// `r` of the time-major input `[time·batch, table.columns]` is row `rows[r]` of `table`.
///
/// A layer reading it projects each table row once (`table · Wx`) rather than each token,
/// which for a batch of words' characters, a few dozen distinct characters for thousands of
/// tokens, removes most of the input products. The outputs are those of the same rows
/// given densely, to the bit; the backward pass sums each table row's deltas first and
/// returns the gradient of the table's rows.
public struct TableRows<Scalar: BLASScalar> {
    /// The rows the input is made of, `[rows, features]`.
    public var table: Matrix<Scalar>
    /// For each input row (time-major, `[time·batch]`), its row of `table`. Padding rows'
    /// entries are not read.
    public var rows: [Int]

    /// An input whose row `r` is row `rows[r]` of `table`.
    public init(table: Matrix<Scalar>, rows: [Int]) {
        self.table = table
        self.rows = rows
    }
}
