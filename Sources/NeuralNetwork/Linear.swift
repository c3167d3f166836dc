import LinearAlgebra

/// A fully connected layer: `y = x · W + b` over a batch of row vectors.
///
/// Shapes: input `x` is `[batch, inputSize]`, `W` is `[inputSize, outputSize]`,
/// `b` is `[1, outputSize]` (broadcast over the rows), output `y` is
/// `[batch, outputSize]`. Parameter names: `W`, `b`.
///
/// A second entry point, `forward(ids:)`, takes integer ids instead of a matrix and
/// is exactly `oneHot(ids) · W + b` without building the one-hot matrix: it gathers
/// rows of `W`. Character language models use it for their input layer.
public struct Linear<Scalar: BLASScalar>: Parameterized {
    /// The weight, `[inputSize, outputSize]`; parameter name `W`.
    public var weight: Matrix<Scalar>
    /// The bias, `[1, outputSize]`; parameter name `b`.
    public var bias: Matrix<Scalar>

    /// The number of input features (rows of `W`).
    public var inputSize: Int { weight.rows }
    /// The number of output features (columns of `W`).
    public var outputSize: Int { weight.columns }

    /// `W` and `b`, in that order.
    public var parameters: [Parameter<Linear, Scalar>] {
        [Parameter("W", \.weight), Parameter("b", \.bias)]
    }

    /// `W`, `b`.
    public var orderedParameterNames: [String] { ["W", "b"] }

    /// `W`, then `b`, in place.
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try body(0, &weight)
        try body(1, &bias)
    }

    /// A layer with Glorot-uniform weights and a zero bias, drawn from `random`.
    public init(inputSize: Int, outputSize: Int, random: inout SeededRandom) {
        precondition(
            inputSize > 0 && outputSize > 0,
            "Linear needs positive sizes, got input \(inputSize), output \(outputSize)")
        weight = Initializer.glorotUniform(rows: inputSize, columns: outputSize, using: &random)
        bias = Matrix(rows: 1, columns: outputSize)
    }

    /// A layer with the given weight `[inputSize, outputSize]` and bias `[1, outputSize]`.
    public init(weight: Matrix<Scalar>, bias: Matrix<Scalar>) {
        precondition(
            bias.rows == 1 && bias.columns == weight.columns,
            "bias \(bias.shapeDescription) does not fit weight \(weight.shapeDescription)")
        self.weight = weight
        self.bias = bias
    }

    /// What backward needs from a matrix forward pass: the input `[batch, inputSize]`.
    public struct Cache {
        /// The input of the forward pass, `[batch, inputSize]`.
        public var input: Matrix<Scalar>
    }

    /// What backward needs from an id forward pass: the ids, one per output row.
    public struct IDCache {
        /// The input ids, each in `0..<inputSize`.
        public var ids: [Int]
    }

    /// `x · W + b` for `x` `[batch, inputSize]`; returns `[batch, outputSize]`.
    ///
    /// Each `Float` output row is computed from its input row alone by the same operations
    /// whatever the other rows (on `W` packed, `StepProduct`, as `backward` multiplies by
    /// `Wᵀ`), so that a sentence's scores are the same in every batch, and whatever core
    /// OpenBLAS runs, so that a trained model's bits are too.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(
            input.columns == inputSize,
            "Linear input \(input.shapeDescription) does not match W \(weight.shapeDescription)")
        var output = Matrix<Scalar>(rows: input.rows, columns: outputSize)
        Linear.broadcastBias(bias, into: &output)
        guard input.rows > 0, inputSize > 0, outputSize > 0 else { return output }
        let product = StepProduct(weights: weight)
        input.withUnsafePointer { x in
            output.withUnsafeMutablePointer { y in
                product.multiply(
                    rows: input.rows, a: x, lda: inputSize, accumulate: true, c: y,
                    ldc: outputSize)
            }
        }
        return output
    }

    /// The output `[batch, outputSize]` for `x` `[batch, inputSize]`, and the cache for
    /// `backward`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Matrix<Scalar>) -> (output: Matrix<Scalar>, cache: Cache) {
        (callAsFunction(input), Cache(input: input))
    }

    /// Given `dL/dy` `[batch, outputSize]`, returns `dL/dx` `[batch, inputSize]` and
    /// the parameter gradient: `dW = xᵀ · dy` (one GEMM), `db = Σ_rows dy`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dOutput: Matrix<Scalar>, cache: Cache)
        -> (dInput: Matrix<Scalar>, gradient: Linear)
    {
        var gradient = Linear(
            weight: Matrix(rows: inputSize, columns: outputSize),
            bias: Matrix(rows: 1, columns: outputSize))
        let dInput = backward(dOutput, cache: cache, accumulatingInto: &gradient)
        return (dInput, gradient)
    }

    /// Like `backward(_:cache:)`, but adds the parameter gradient to `gradient`
    /// (for layers applied several times per batch) and returns `dL/dx`
    /// `[batch, inputSize]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ dOutput: Matrix<Scalar>, cache: Cache, accumulatingInto gradient: inout Linear
    ) -> Matrix<Scalar> {
        let input = cache.input
        precondition(
            dOutput.rows == input.rows && dOutput.columns == outputSize,
            "Linear dOutput \(dOutput.shapeDescription), expected [\(input.rows), \(outputSize)]")
        checkGradientShape(gradient)
        // dW [inputSize, outputSize] += xᵀ [inputSize, batch] · dy [batch, outputSize]
        if input.rows > 0 {
            input.withUnsafePointer { x in
                dOutput.withUnsafePointer { dy in
                    gradient.weight.withUnsafeMutablePointer { dw in
                        Scalar.gemmTransposedA(
                            m: inputSize, n: outputSize, k: input.rows, a: x, lda: inputSize,
                            b: dy, ldb: outputSize, accumulate: true, c: dw, ldc: outputSize)
                    }
                }
            }
        }
        gradient.bias.add(dOutput.sumOfRows(), scaledBy: 1)
        // dx [batch, inputSize] = dy [batch, outputSize] · Wᵀ [outputSize, inputSize], on
        // Wᵀ packed, like the forward product.
        let product = StepProduct(weights: weight, transposed: true)
        return Matrix(rows: input.rows, columns: inputSize) { dx in
            guard input.rows > 0 else { return }
            dOutput.withUnsafePointer { dy in
                product.multiply(
                    rows: input.rows, a: dy, lda: outputSize, accumulate: false, c: dx,
                    ldc: inputSize)
            }
        }
    }

    // MARK: - One-hot input by ids

    /// `oneHot(ids) · W + b`, `[ids.count, outputSize]`, computed by gathering rows of
    /// `W`; every id must be in `0..<inputSize`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(ids: [Int]) -> (output: Matrix<Scalar>, cache: IDCache) {
        let (n, width, vocabulary) = (ids.count, outputSize, inputSize)
        var output = Matrix<Scalar>(rows: n, columns: width)
        weight.withUnsafePointer { w in
            bias.withUnsafePointer { b in
                output.withUnsafeMutablePointer { y in
                    for (row, id) in ids.enumerated() {
                        precondition(
                            id >= 0 && id < vocabulary,
                            "Linear id \(id) at position \(row) outside 0..<\(vocabulary)")
                        let target = y + row * width
                        let source = w + id * width
                        for c in 0..<width { target[c] = source[c] + b[c] }
                    }
                }
            }
        }
        return (output, IDCache(ids: ids))
    }

    /// The parameter gradient of `forward(ids:)` given `dL/dy` `[ids.count, outputSize]`:
    /// row `id` of `dW` is the sum of the `dy` rows of that id, `db = Σ_rows dy`.
    /// There is no input gradient: ids are not differentiable.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ dOutput: Matrix<Scalar>, cache: IDCache) -> Linear {
        var gradient = zeroed()
        backward(dOutput, cache: cache, accumulatingInto: &gradient)
        return gradient
    }

    /// Adds the parameter gradient of `forward(ids:)` to `gradient`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ dOutput: Matrix<Scalar>, cache: IDCache, accumulatingInto gradient: inout Linear
    ) {
        let width = outputSize
        precondition(
            dOutput.rows == cache.ids.count && dOutput.columns == width,
            "Linear dOutput \(dOutput.shapeDescription), expected [\(cache.ids.count), \(width)]")
        checkGradientShape(gradient)
        dOutput.withUnsafePointer { dy in
            gradient.weight.withUnsafeMutablePointer { dw in
                for (row, id) in cache.ids.enumerated() {
                    Scalar.axpy(
                        count: width, alpha: 1, x: dy + row * width, incX: 1, y: dw + id * width,
                        incY: 1)
                }
            }
        }
        gradient.bias.add(dOutput.sumOfRows(), scaledBy: 1)
    }

    private func checkGradientShape(_ gradient: Linear) {
        precondition(
            gradient.weight.rows == inputSize && gradient.weight.columns == outputSize
                && gradient.bias.columns == outputSize,
            "gradient W \(gradient.weight.shapeDescription) does not match \(weight.shapeDescription)"
        )
    }

    /// Copies the `[1, columns]` bias into every row of `output`.
    static func broadcastBias(_ bias: Matrix<Scalar>, into output: inout Matrix<Scalar>) {
        let (rows, columns) = (output.rows, output.columns)
        bias.withUnsafePointer { b in
            output.withUnsafeMutablePointer { y in
                for r in 0..<rows { (y + r * columns).update(from: b, count: columns) }
            }
        }
    }
}

/// One-hot encoding of integer ids.
public enum OneHot {
    /// The `[ids.count, vocabularySize]` matrix with a one in column `ids[r]` of row `r`.
    public static func encode<Scalar: BLASScalar>(
        _ ids: [Int], vocabularySize: Int, as _: Scalar.Type = Scalar.self
    ) -> Matrix<Scalar> {
        var result = Matrix<Scalar>(rows: ids.count, columns: vocabularySize)
        for (row, id) in ids.enumerated() {
            precondition(
                id >= 0 && id < vocabularySize,
                "one-hot id \(id) at position \(row) outside 0..<\(vocabularySize)")
            result.scalars[row * vocabularySize + id] = 1
        }
        return result
    }
}
