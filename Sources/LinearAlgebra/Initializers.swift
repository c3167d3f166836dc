/// Seeded weight initialisers.
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
    public static func uniform<Scalar: BLASScalar>(
        rows: Int, columns: Int, limit: Double, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        for i in 0..<m.count { m.scalars[i] = Scalar(random.uniform(-limit, limit)) }
        return m
    }

    /// Normal `N(0, standardDeviation²)`.
    public static func normal<Scalar: BLASScalar>(
        rows: Int, columns: Int, standardDeviation: Double, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        for i in 0..<m.count { m.scalars[i] = Scalar(random.normal() * standardDeviation) }
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
    public static func orthogonal<Scalar: BLASScalar>(
        rows: Int, columns: Int, gain: Double = 1, using random: inout SeededRandom
    ) -> Matrix<Scalar> {
        // Orthonormalise the vectors of the shorter side, each of the longer length.
        let vectorCount = min(rows, columns)
        let length = max(rows, columns)
        var vectors = (0..<vectorCount).map { _ in (0..<length).map { _ in random.normal() } }
        for i in 0..<vectorCount {
            for j in 0..<i {
                var projection = 0.0
                for t in 0..<length { projection += vectors[i][t] * vectors[j][t] }
                for t in 0..<length { vectors[i][t] -= projection * vectors[j][t] }
            }
            var norm = 0.0
            for t in 0..<length { norm += vectors[i][t] * vectors[i][t] }
            norm = norm.squareRoot()
            // A Gaussian draw is degenerate with probability zero; guard anyway.
            let inverse = norm > 1e-12 ? 1 / norm : 0
            for t in 0..<length { vectors[i][t] *= inverse }
        }
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        for i in 0..<vectorCount {
            for t in 0..<length {
                let value = Scalar(vectors[i][t] * gain)
                if rows <= columns { m[i, t] = value } else { m[t, i] = value }
            }
        }
        return m
    }
}
