/// Seeded weight initialisers. With `SeededRandom.shapesOnly` each returns zeros.
public enum Initializer {
    /// Uniform Glorot (Xavier): `U(−a, a)` with `a = √(6 / (fanIn + fanOut))`.
    ///
    /// For a weight `[fanIn, fanOut]` used as `x · W`.
    public static func glorotUniform<Scalar: BLASScalar>(
        rows: Int, columns: Int, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        let limit = (6.0 / Double(max(rows + columns, 1))).squareRoot()
        return uniform(rows: rows, columns: columns, limit: limit, using: &random)
    }

    /// Uniform `U(−limit, limit)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func uniform<Scalar: BLASScalar>(
        rows: Int, columns: Int, limit: Double, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        guard random.fillsParameters else { return m }
        m.scalars.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = Scalar(random.uniform(-limit, limit)) }
        }
        return m
    }

    /// Normal `N(0, standardDeviation²)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func normal<Scalar: BLASScalar>(
        rows: Int, columns: Int, standardDeviation: Double, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        guard random.fillsParameters else { return m }
        m.scalars.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = Scalar(random.normal() * standardDeviation) }
        }
        return m
    }

    /// A zero matrix.
    public static func zeros<Scalar: BLASScalar>(rows: Int, columns: Int) -> Matrix<Scalar> {
        Matrix(rows: rows, columns: columns)
    }

    /// A (semi-)orthogonal matrix times `gain`: orthonormal rows when `rows ≤ columns`,
    /// orthonormal columns otherwise.
    ///
    /// A Gaussian matrix is orthonormalised by modified Gram–Schmidt in `Double`,
    /// which is what recurrent weights want: their singular values are all `gain`, so
    /// repeated multiplication over time neither explodes nor vanishes at the start.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func orthogonal<Scalar: BLASScalar>(
        rows: Int, columns: Int, gain: Double = 1, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        guard random.fillsParameters else { return Matrix(rows: rows, columns: columns) }
        // Orthonormalise the vectors of the shorter side, each of the longer length;
        // vector `i` is `v[i·length ..< (i+1)·length]`.
        let vectorCount = min(rows, columns)
        let length = max(rows, columns)
        var vectors = [Double](repeating: 0, count: vectorCount * length)
        for k in vectors.indices { vectors[k] = random.normal() }
        vectors.withUnsafeMutableBufferPointer { v in
            for i in 0..<vectorCount {
                let vi = i * length
                // Sums in index order, so that a seed gives the same weights as ever.
                for j in 0..<i {
                    let vj = j * length
                    var projection = 0.0
                    for t in 0..<length { projection += v[vi + t] * v[vj + t] }
                    for t in 0..<length { v[vi + t] -= projection * v[vj + t] }
                }
                var norm = 0.0
                for t in 0..<length { norm += v[vi + t] * v[vi + t] }
                norm = norm.squareRoot()
                // A Gaussian draw is degenerate with probability zero; guard anyway.
                let inverse = norm > 1e-12 ? 1 / norm : 0
                for t in 0..<length { v[vi + t] *= inverse }
            }
        }
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        m.scalars.withUnsafeMutableBufferPointer { out in
            for i in 0..<vectorCount {
                for t in 0..<length {
                    let value = Scalar(vectors[i * length + t] * gain)
                    if rows <= columns {
                        out[i * columns + t] = value
                    } else {
                        out[t * columns + i] = value
                    }
                }
            }
        }
        return m
    }
}
