/// A dense row-major matrix: element `(r, c)` is at `r · columns + c`.
///
/// A value type with copy-on-write storage. Vectors are `[1, n]` or `[n, 1]`
/// matrices; a batch of sequences is usually flattened to `[batch · time, features]`.
public struct Matrix<Scalar: BLASScalar>: Equatable, Sendable {
    /// The number of rows.
    public private(set) var rows: Int
    /// The number of columns.
    public private(set) var columns: Int
    /// The elements in row-major order; `count == rows · columns`.
    public var scalars: [Scalar]

    /// A matrix with every element set to `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "negative matrix shape [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        self.scalars = Array(repeating: value, count: rows * columns)
    }

    /// A matrix whose elements `initializer` writes, every one of them: it receives the
    /// uninitialised storage (`rows · columns` elements, row-major). For results a kernel
    /// overwrites whole, such as β = 0 products, which `init(rows:columns:)` would first
    /// fill with zeros for nothing.
    public init(
        rows: Int, columns: Int,
        initializingWith initializer: (UnsafeMutablePointer<Scalar>) throws -> Void
    ) rethrows {
        precondition(rows >= 0 && columns >= 0, "negative matrix shape [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        let count = rows * columns
        self.scalars = try Array(unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { try initializer(buffer.baseAddress!) }
            initialized = count
        }
    }

    /// A matrix over existing row-major elements.
    public init(rows: Int, columns: Int, scalars: [Scalar]) {
        precondition(
            scalars.count == rows * columns,
            "\(scalars.count) scalars cannot fill a [\(rows), \(columns)] matrix")
        self.rows = rows
        self.columns = columns
        self.scalars = scalars
    }

    /// A matrix from nested rows, which must all have the same length.
    public init(_ nestedRows: [[Scalar]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(
            nestedRows.allSatisfy { $0.count == columns }, "rows of different lengths")
        self.init(rows: nestedRows.count, columns: columns, scalars: nestedRows.flatMap { $0 })
    }

    /// A zero matrix.
    public static func zeros(rows: Int, columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns)
    }

    /// The shape as `[rows, columns]`, the form used in error messages.
    public var shapeDescription: String { "[\(rows), \(columns)]" }

    /// The number of elements.
    @inlinable public var count: Int { scalars.count }

    /// The element at row `row`, column `column`.
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(
                row >= 0 && row < rows && column >= 0 && column < columns,
                "index (\(row), \(column)) outside [\(rows), \(columns)]")
            return scalars[row * columns + column]
        }
        set {
            precondition(
                row >= 0 && row < rows && column >= 0 && column < columns,
                "index (\(row), \(column)) outside [\(rows), \(columns)]")
            scalars[row * columns + column] = newValue
        }
    }

    /// A copy of one row.
    public func row(_ index: Int) -> [Scalar] {
        precondition(index >= 0 && index < rows, "row \(index) outside 0..<\(rows)")
        return Array(scalars[(index * columns)..<((index + 1) * columns)])
    }

    /// Changes the shape without moving elements; the element count must not change.
    public func reshaped(rows: Int, columns: Int) -> Matrix {
        precondition(
            rows * columns == count, "cannot reshape \(shapeDescription) to [\(rows), \(columns)]")
        return Matrix(rows: rows, columns: columns, scalars: scalars)
    }

    /// The transpose, `[columns, rows]`.
    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for r in 0..<rows {
            for c in 0..<columns {
                result.scalars[c * rows + r] = scalars[r * columns + c]
            }
        }
        return result
    }

    /// Sets every element to zero, keeping the shape and the storage.
    public mutating func zero() {
        scalars.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Calls `body` with a pointer to the contiguous elements.
    @inlinable
    public func withUnsafePointer<R>(_ body: (UnsafePointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Calls `body` with a mutable pointer to the contiguous elements.
    @inlinable
    public mutating func withUnsafeMutablePointer<R>(
        _ body: (UnsafeMutablePointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }

    /// Calls `body` with a pointer to the elements of every matrix of `matrices`, in order,
    /// all valid during the call (for one pass over several matrices, such as an optimizer's
    /// step over every parameter on two threads).
    public static func withUnsafePointers<R>(
        _ matrices: [Matrix], _ body: ([UnsafePointer<Scalar>]) throws -> R
    ) rethrows -> R {
        var pointers: [UnsafePointer<Scalar>] = []
        pointers.reserveCapacity(matrices.count)
        func nest(_ i: Int) throws -> R {
            if i == matrices.count { return try body(pointers) }
            return try matrices[i].withUnsafePointer { p in
                pointers.append(p)
                return try nest(i + 1)
            }
        }
        return try nest(0)
    }

    /// Calls `body` with a mutable pointer to the elements of every matrix of `matrices`, in
    /// order, all valid during the call. Each matrix is moved out of the array while its
    /// pointer lives, so that each is accessed on its own (and copied first if its storage
    /// is shared, as `withUnsafeMutablePointer` does).
    public static func withUnsafeMutablePointers<R>(
        _ matrices: inout [Matrix], _ body: ([UnsafeMutablePointer<Scalar>]) throws -> R
    ) rethrows -> R {
        var pointers: [UnsafeMutablePointer<Scalar>] = []
        pointers.reserveCapacity(matrices.count)
        func nest(_ i: Int) throws -> R {
            if i == matrices.count { return try body(pointers) }
            var matrix = Matrix(rows: 0, columns: 0)
            swap(&matrix, &matrices[i])
            defer { swap(&matrix, &matrices[i]) }
            return try matrix.withUnsafeMutablePointer { p in
                pointers.append(p)
                return try nest(i + 1)
            }
        }
        return try nest(0)
    }

    /// Converts every element to another scalar type.
    public func converted<Other: BLASScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
        Matrix<Other>(rows: rows, columns: columns, scalars: scalars.map { Other($0) })
    }

    /// The largest absolute element, or zero for an empty matrix.
    public var maxMagnitude: Scalar { scalars.reduce(0) { Swift.max($0, abs($1)) } }

    /// The sum of squares of the elements.
    public var squaredNorm: Scalar { scalars.reduce(0) { $0 + $1 * $1 } }
}

extension Matrix: CustomStringConvertible {
    /// The shape followed by the rows, for debugging.
    public var description: String {
        var lines = ["Matrix \(shapeDescription)"]
        for r in 0..<Swift.min(rows, 8) {
            lines.append(row(r).prefix(8).map { "\($0)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Element-wise arithmetic

extension Matrix {
    private static func checkSameShape(_ a: Matrix, _ b: Matrix, _ operation: String) {
        precondition(
            a.rows == b.rows && a.columns == b.columns,
            "\(operation) of \(a.shapeDescription) and \(b.shapeDescription)")
    }

    /// Element-wise sum.
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        var result = a
        result += b
        return result
    }

    /// Element-wise difference.
    public static func - (a: Matrix, b: Matrix) -> Matrix {
        var result = a
        result.add(b, scaledBy: -1)
        return result
    }

    /// Adds `b` element-wise.
    public static func += (a: inout Matrix, b: Matrix) {
        a.add(b, scaledBy: 1)
    }

    /// `self += alpha · other` (BLAS axpy).
    public mutating func add(_ other: Matrix, scaledBy alpha: Scalar) {
        Matrix.checkSameShape(self, other, "addition")
        let n = count
        guard n > 0 else { return }
        other.withUnsafePointer { x in
            withUnsafeMutablePointer { y in
                Scalar.axpy(count: n, alpha: alpha, x: x, incX: 1, y: y, incY: 1)
            }
        }
    }

    /// Multiplies every element by `alpha` (BLAS scal).
    public mutating func scale(by alpha: Scalar) {
        let n = count
        guard n > 0 else { return }
        withUnsafeMutablePointer { Scalar.scal(count: n, alpha: alpha, x: $0, incX: 1) }
    }

    /// A copy with every element multiplied by `alpha`.
    public static func * (alpha: Scalar, a: Matrix) -> Matrix {
        var result = a
        result.scale(by: alpha)
        return result
    }

    /// Element-wise (Hadamard) product.
    public func hadamard(_ other: Matrix) -> Matrix {
        Matrix.checkSameShape(self, other, "element-wise product")
        var result = self
        for i in 0..<count { result.scalars[i] *= other.scalars[i] }
        return result
    }

    /// Applies `transform` to every element.
    public func map(_ transform: (Scalar) throws -> Scalar) rethrows -> Matrix {
        Matrix(rows: rows, columns: columns, scalars: try scalars.map(transform))
    }

    /// Adds a `[1, columns]` row vector to every row.
    public mutating func addRowVector(_ vector: Matrix) {
        precondition(
            vector.rows == 1 && vector.columns == columns,
            "cannot broadcast \(vector.shapeDescription) over \(shapeDescription)")
        let (rows, columns) = (self.rows, self.columns)
        vector.withUnsafePointer { v in
            withUnsafeMutablePointer { m in
                for r in 0..<rows {
                    Scalar.axpy(
                        count: columns, alpha: 1, x: v, incX: 1, y: m + r * columns, incY: 1)
                }
            }
        }
    }

    /// The `[1, columns]` sum over rows, each column's rows added in order
    /// (`BLASScalar.columnSums`); the gradient of a broadcast row vector.
    public func sumOfRows() -> Matrix {
        var result = Matrix(rows: 1, columns: columns)
        guard rows > 0 else { return result }
        withUnsafePointer { m in
            result.withUnsafeMutablePointer { out in
                Scalar.columnSums(
                    rows: rows, columns: columns, a: m, lda: columns, accumulate: false, y: out)
            }
        }
        return result
    }
}
