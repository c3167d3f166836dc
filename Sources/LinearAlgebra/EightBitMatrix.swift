/// A matrix stored in 8 bits a value: row `r` as integers `q` in `-127...127` and one scale
/// `s`, standing for the values `Float(q) * s`. A quarter of the memory of `Matrix<Float>`;
/// each value within half a step (`s / 2`) of the one it was made from.
///
/// The scale of a row is its largest magnitude over 127, nudged to a fixed point of the
/// round trip: quantizing the values a matrix stands for gives the same integers and scales
/// again, so a file written from them keeps its bytes.
public struct EightBitMatrix: Equatable, Sendable {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// One scale per row.
    public let scales: [Float]
    /// The integers, row-major; `rows · columns` of them.
    public let values: [Int8]

    /// A matrix from its parts; `scales` has one entry per row, `values` one per element.
    public init(rows: Int, columns: Int, scales: [Float], values: [Int8]) {
        precondition(
            rows >= 0 && columns >= 0 && scales.count == rows && values.count == rows * columns,
            "\(scales.count) scales and \(values.count) values for an 8-bit [\(rows), \(columns)] matrix"
        )
        self.rows = rows
        self.columns = columns
        self.scales = scales
        self.values = values
    }

    /// `matrix` in 8 bits. Every value must be finite.
    public init(quantizing matrix: Matrix<Float>) {
        let (rows, columns) = (matrix.rows, matrix.columns)
        var scales = [Float](repeating: 0, count: rows)
        let values = [Int8](unsafeUninitializedCapacity: rows * columns) { out, initialized in
            matrix.scalars.withUnsafeBufferPointer { all in
                for row in 0..<rows {
                    let x = all.baseAddress! + row * columns
                    var largest: Float = 0
                    for c in 0..<columns {
                        precondition(x[c].isFinite, "a non-finite value cannot be stored in 8 bits")
                        largest = max(largest, abs(x[c]))
                    }
                    let scale = largest > 0 ? Self.fixedPointScale(largest: largest) : 0
                    scales[row] = scale
                    for c in 0..<columns {
                        let q = scale > 0 ? (x[c] / scale).rounded(.toNearestOrEven) : 0
                        out[row * columns + c] = Int8(max(-127, min(127, q)))
                    }
                }
            }
            initialized = rows * columns
        }
        self.init(rows: rows, columns: columns, scales: scales, values: values)
    }

    /// `largest / 127`, or a float next to it, such that values read back (whose largest
    /// magnitude is `127 * scale`) give the same scale again.
    static func fixedPointScale(largest: Float) -> Float {
        var scale = largest / 127
        for _ in 0..<4 {
            let again = (127 * scale) / 127
            if again == scale { return scale }
            scale = again
        }
        return scale
    }

    /// Writes the values row `row` stands for to `output` (`columns` of them).
    @inline(__always)
    public func copyRow<Scalar: BinaryFloatingPoint>(
        _ row: Int, into output: UnsafeMutablePointer<Scalar>
    ) {
        let scale = scales[row]
        values.withUnsafeBufferPointer { q in
            let start = q.baseAddress! + row * columns
            for c in 0..<columns { output[c] = Scalar(Float(start[c]) * scale) }
        }
    }

    /// The values the matrix stands for, as 32-bit floats.
    public func dequantized() -> Matrix<Float> { dequantized(as: Float.self) }

    /// The values the matrix stands for, as `Scalar`s (each `Float(q) * s` converted).
    public func dequantized<Scalar: BLASScalar>(as _: Scalar.Type) -> Matrix<Scalar> {
        Matrix(rows: rows, columns: columns) { out in
            for row in 0..<rows { copyRow(row, into: out + row * columns) }
        }
    }
}
