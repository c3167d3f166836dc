import CKernels

// Sums whose order is fixed by the code (see `BLASScalar.columnSums`): the training
// arithmetic does not depend on the core OpenBLAS runs.

extension Float {
    /// See `BLASScalar.columnSums`: the C kernel `sqt_column_sums`.
    public static func columnSums(
        rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int, accumulate: Bool,
        y: UnsafeMutablePointer<Float>
    ) {
        guard columns > 0 else { return }
        sqt_column_sums(rows, columns, a, lda, accumulate ? 1 : 0, y)
    }

    /// See `BLASScalar.sumOfSquares`: the C kernel `sqt_sum_of_squares` (sixteen lanes).
    public static func sumOfSquares(count: Int, x: UnsafePointer<Float>) -> Float {
        guard count > 0 else { return 0 }
        return sqt_sum_of_squares(count, x)
    }
}

extension Double {
    /// See `BLASScalar.columnSums`: a plain loop (`Double` serves gradient checks).
    public static func columnSums(
        rows: Int, columns: Int, a: UnsafePointer<Double>, lda: Int, accumulate: Bool,
        y: UnsafeMutablePointer<Double>
    ) {
        guard columns > 0 else { return }
        if !accumulate { y.update(repeating: 0, count: columns) }
        for r in 0..<rows {
            let row = a + r * lda
            for j in 0..<columns { y[j] += row[j] }
        }
    }

    /// See `BLASScalar.sumOfSquares`: a plain loop, in order.
    public static func sumOfSquares(count: Int, x: UnsafePointer<Double>) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += x[i] * x[i] }
        return sum
    }
}
