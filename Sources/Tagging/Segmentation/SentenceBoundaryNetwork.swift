import LinearAlgebra
import NeuralNetwork

/// A token-level boundary classifier: for each token, whether a sentence ends after it.
///
/// Per token the input is `[word embedding (wordDimension) ; shape embedding
/// (shapeDimension) ; binary features (featureCount)]`, read by one bidirectional LSTM
/// (`hiddenSize` per direction), optionally followed by more bidirectional LSTM layers
/// (`upper`, each reading the `2·hiddenSize` outputs below it), whose top
/// `[time·batch, 2·hiddenSize]` output a linear layer maps to two logits (0 = no boundary,
/// 1 = boundary). Batches are time-major windows of a token
/// stream (row `t·batch + s` is step `t` of window `s`).
public struct SentenceBoundaryNetwork<Scalar: BLASScalar>: Parameterized {
    /// Case-folded word forms `[wordCount, wordDimension]`; id 0 is the unknown word.
    public var words: Embedding<Scalar>
    /// Token shapes `[shapeCount, shapeDimension]`; id 0 is the unknown shape.
    public var shapes: Embedding<Scalar>
    /// The BiLSTM over the window, `[inputSize] → [2·hiddenSize]`.
    public var encoder: Bidirectional<LSTMCell<Scalar>>
    /// Further BiLSTM layers `[2·hiddenSize] → [2·hiddenSize]` above `encoder`, bottom first
    /// (empty: one layer).
    public var upper: [Bidirectional<LSTMCell<Scalar>>]
    /// The classifier `[2·hiddenSize, 2]`.
    public var output: Linear<Scalar>

    /// A seeded network with the given sizes and `layers` BiLSTM layers.
    public init(
        wordCount: Int, wordDimension: Int, shapeCount: Int, shapeDimension: Int,
        featureCount: Int, hiddenSize: Int, layers: Int = 1, random: inout SeededRandom
    ) {
        precondition(
            wordCount > 0 && shapeCount > 0 && hiddenSize > 0,
            "sizes must be positive: words \(wordCount), shapes \(shapeCount), hidden \(hiddenSize)"
        )
        words = Embedding(vocabularySize: wordCount, dimension: wordDimension, random: &random)
        shapes = Embedding(vocabularySize: shapeCount, dimension: shapeDimension, random: &random)
        encoder = Bidirectional(
            inputSize: wordDimension + shapeDimension + featureCount, hiddenSize: hiddenSize,
            random: &random)
        upper = (1..<max(1, layers)).map { _ in
            Bidirectional(inputSize: 2 * hiddenSize, hiddenSize: hiddenSize, random: &random)
        }
        output = Linear(inputSize: 2 * hiddenSize, outputSize: 2, random: &random)
    }

    /// The number of binary features per token.
    public var featureCount: Int { encoder.inputSize - words.dimension - shapes.dimension }

    /// `words.E`, `shapes.E`, `encoder.forward.*`, `encoder.reverse.*`, `upper.0.forward.*`,
    /// …, `output.W`, `output.b`.
    public var parameters: [Parameter<Self, Scalar>] {
        nestedParameters(\Self.words, prefix: "words")
            + nestedParameters(\Self.shapes, prefix: "shapes")
            + nestedParameters(\Self.encoder, prefix: "encoder")
            + upper.indices.flatMap { nestedParameters(\Self.upper[$0], prefix: "upper.\($0)") }
            + nestedParameters(\Self.output, prefix: "output")
    }

    /// The upper layers in place (see `Parameterized.modifyParameters`).
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        var next = try Self.modifyParameters(of: &words, from: 0, body)
        next = try Self.modifyParameters(of: &shapes, from: next, body)
        next = try Self.modifyParameters(of: &encoder, from: next, body)
        next = try Self.modifyParameters(of: &upper, from: next, body)
        _ = try Self.modifyParameters(of: &output, from: next, body)
    }

    /// A time-major batch of token windows.
    public struct Batch {
        /// Word ids, one per row `t·batch + s` (0 on padded rows).
        public var wordIDs: [Int]
        /// Shape ids, one per row.
        public var shapeIDs: [Int]
        /// Binary features `[time·batch, featureCount]` (zero on padded rows).
        public var features: Matrix<Scalar>
        /// Valid steps of each window; `lengths.count` is the batch size.
        public var lengths: [Int]
        /// Gold class per row (1 = a sentence ends after the token); empty at inference.
        public var targets: [Int]
        /// Which rows count in the loss (padding and gaps without a space do not).
        public var mask: [Bool]

        /// A batch from its parts; every per-row array has `time·lengths.count` entries.
        public init(
            wordIDs: [Int], shapeIDs: [Int], features: Matrix<Scalar>, lengths: [Int],
            targets: [Int] = [], mask: [Bool] = []
        ) {
            let rows = (lengths.max() ?? 0) * lengths.count
            precondition(
                wordIDs.count == rows && shapeIDs.count == rows && features.rows == rows,
                "batch rows: \(wordIDs.count) words, \(shapeIDs.count) shapes, features \(features.shapeDescription), expected \(rows)"
            )
            precondition(
                targets.isEmpty || (targets.count == rows && mask.count == rows),
                "\(targets.count) targets and \(mask.count) mask entries for \(rows) rows")
            self.wordIDs = wordIDs
            self.shapeIDs = shapeIDs
            self.features = features
            self.lengths = lengths
            self.targets = targets
            self.mask = mask
        }
    }

    /// What ``backward(_:cache:)`` needs.
    public struct Cache {
        var words: Embedding<Scalar>.Cache
        var shapes: Embedding<Scalar>.Cache
        var encoder: RecurrentCache<Scalar>
        var upper: [RecurrentCache<Scalar>]
        var dropout: Matrix<Scalar>?
        var output: Linear<Scalar>.Cache
    }

    /// The gradient of the loss: sparse for the tables, dense for the rest.
    public struct Gradient {
        /// Rows of `words.E`.
        public var words: SparseRowGradient<Scalar>
        /// Rows of `shapes.E`.
        public var shapes: SparseRowGradient<Scalar>
        /// The encoder's parameters.
        public var encoder: Bidirectional<LSTMCell<Scalar>>
        /// The upper layers' parameters.
        public var upper: [Bidirectional<LSTMCell<Scalar>>]
        /// The classifier's parameters.
        public var output: Linear<Scalar>
    }

    /// The logits `[time·batch, 2]` of a batch and the cache for ``backward(_:cache:)``.
    /// `dropoutMask`, when given (training), multiplies the top encoder output
    /// `[time·batch, 2·hiddenSize]` element by element (inverted dropout: zeros and `1/(1−p)`).
    /// `keepsCache: false` (inference) keeps no per-step states; the cache is then unusable,
    /// and a window's logits are the same, to the bit, whatever other windows share its batch.
    public func forward(
        _ batch: Batch, dropoutMask: Matrix<Scalar>? = nil, keepsCache: Bool = true
    ) -> (logits: Matrix<Scalar>, cache: Cache) {
        let (w, wc) = words.forward(batch.wordIDs)
        let (s, sc) = shapes.forward(batch.shapeIDs)
        let rows = batch.wordIDs.count
        let (dw, ds, df) = (words.dimension, shapes.dimension, featureCount)
        precondition(
            batch.features.columns == df,
            "features \(batch.features.shapeDescription), expected \(df) columns")
        var input = Matrix<Scalar>(rows: rows, columns: dw + ds + df)
        input.withUnsafeMutablePointer { x in
            w.withUnsafePointer { wp in
                s.withUnsafePointer { sp in
                    batch.features.withUnsafePointer { fp in
                        let width = dw + ds + df
                        for r in 0..<rows {
                            let row = x + r * width
                            row.update(from: wp + r * dw, count: dw)
                            (row + dw).update(from: sp + r * ds, count: ds)
                            (row + dw + ds).update(from: fp + r * df, count: df)
                        }
                    }
                }
            }
        }
        let encoded = encoder.forward(input, lengths: batch.lengths, keepsCache: keepsCache)
        var hidden = encoded.output
        var upperCaches: [RecurrentCache<Scalar>] = []
        for layer in upper {
            var layer = layer
            layer.runsDirectionsConcurrently = encoder.runsDirectionsConcurrently
            let result = layer.forward(hidden, lengths: batch.lengths, keepsCache: keepsCache)
            upperCaches.append(result.cache)
            hidden = result.output
        }
        if let dropoutMask { hidden = hidden.hadamard(dropoutMask) }
        let (logits, oc) = output.forward(hidden)
        return (
            logits,
            Cache(
                words: wc, shapes: sc, encoder: encoded.cache, upper: upperCaches,
                dropout: dropoutMask, output: oc)
        )
    }

    /// The gradient of the loss given `dL/dLogits` `[time·batch, 2]`.
    public func backward(_ dLogits: Matrix<Scalar>, cache: Cache) -> Gradient {
        var (dEncoded, gOutput) = output.backward(dLogits, cache: cache.output)
        if let mask = cache.dropout { dEncoded = dEncoded.hadamard(mask) }
        var gUpper = upper
        for l in stride(from: upper.count - 1, through: 0, by: -1) {
            let result = upper[l].backward(dEncoded, cache: cache.upper[l])
            gUpper[l] = result.gradient
            dEncoded = result.dInput
        }
        let (dInput, _, gEncoder) = encoder.backward(dEncoded, cache: cache.encoder)
        let rows = dInput.rows
        let (dw, ds) = (words.dimension, shapes.dimension)
        let width = dInput.columns
        var dWords = Matrix<Scalar>(rows: rows, columns: dw)
        var dShapes = Matrix<Scalar>(rows: rows, columns: ds)
        dInput.withUnsafePointer { x in
            dWords.withUnsafeMutablePointer { wp in
                dShapes.withUnsafeMutablePointer { sp in
                    for r in 0..<rows {
                        (wp + r * dw).update(from: x + r * width, count: dw)
                        (sp + r * ds).update(from: x + r * width + dw, count: ds)
                    }
                }
            }
        }
        return Gradient(
            words: words.backward(dWords, cache: cache.words),
            shapes: shapes.backward(dShapes, cache: cache.shapes), encoder: gEncoder,
            upper: gUpper, output: gOutput)
    }

    /// The mean cross-entropy over the batch's unmasked rows and its gradient.
    /// `dropoutMask` as in ``forward(_:dropoutMask:)``.
    public func lossAndGradient(_ batch: Batch, dropoutMask: Matrix<Scalar>? = nil) -> (
        loss: Scalar, gradient: Gradient
    ) {
        precondition(!batch.targets.isEmpty, "lossAndGradient needs a batch with targets")
        let (logits, cache) = forward(batch, dropoutMask: dropoutMask)
        let result = SoftmaxCrossEntropy<Scalar>()(
            logits: logits, targets: batch.targets, mask: batch.mask)
        return (result.loss, backward(result.gradient, cache: cache))
    }

    /// The mean cross-entropy over the batch's unmasked rows (`dropoutMask` as in
    /// ``forward(_:dropoutMask:)``).
    public func loss(_ batch: Batch, dropoutMask: Matrix<Scalar>? = nil) -> Scalar {
        let (logits, _) = forward(batch, dropoutMask: dropoutMask)
        return SoftmaxCrossEntropy<Scalar>()(
            logits: logits, targets: batch.targets, mask: batch.mask
        ).loss
    }

    /// The probability of a boundary after each row's token, `time·batch` values.
    public func boundaryProbabilities(_ batch: Batch) -> [Scalar] {
        let (logits, _) = forward(batch, keepsCache: false)
        var result = [Scalar](repeating: 0, count: logits.rows)
        for r in 0..<logits.rows {
            // softmax over two classes: σ(z1 − z0)
            let z = logits[r, 1] - logits[r, 0]
            result[r] = 1 / (1 + Scalar.exp(-z))
        }
        return result
    }
}

extension SentenceBoundaryNetwork.Gradient {
    /// The gradient as a network value with dense tables (for gradient checks).
    public func dense() -> SentenceBoundaryNetwork<Scalar> {
        var result = SentenceBoundaryNetwork<Scalar>.zeroShaped(
            words: words.rowCount, wordDimension: words.dimension, shapes: shapes.rowCount,
            shapeDimension: shapes.dimension, encoder: encoder, upper: upper, output: output)
        result.words.table = words.dense()
        result.shapes.table = shapes.dense()
        return result
    }

    /// The global L2 norm of every part of the gradient.
    public var norm: Scalar {
        var squared = Double(words.squaredNorm) + Double(shapes.squaredNorm)
        squared += Double(GradientClipping.globalNorm(encoder)).squared
        for layer in upper { squared += Double(GradientClipping.globalNorm(layer)).squared }
        squared += Double(GradientClipping.globalNorm(output)).squared
        return Scalar(squared.squareRoot())
    }

    /// Multiplies every part by `factor`.
    public mutating func scale(by factor: Scalar) {
        words.rows.scale(by: factor)
        shapes.rows.scale(by: factor)
        for p in encoder.parameters { encoder[keyPath: p.keyPath].scale(by: factor) }
        for l in upper.indices {
            for p in upper[l].parameters { upper[l][keyPath: p.keyPath].scale(by: factor) }
        }
        for p in output.parameters { output[keyPath: p.keyPath].scale(by: factor) }
    }
}

extension Double {
    fileprivate var squared: Double { self * self }
}

extension SentenceBoundaryNetwork {
    static func zeroShaped(
        words: Int, wordDimension: Int, shapes: Int, shapeDimension: Int,
        encoder: Bidirectional<LSTMCell<Scalar>>, upper: [Bidirectional<LSTMCell<Scalar>>],
        output: Linear<Scalar>
    ) -> Self {
        var random = SeededRandom(seed: 0)
        var result = Self(
            wordCount: 1, wordDimension: wordDimension, shapeCount: 1,
            shapeDimension: shapeDimension,
            featureCount: encoder.inputSize - wordDimension - shapeDimension,
            hiddenSize: encoder.hiddenSize, random: &random)
        result.words = Embedding(table: Matrix(rows: words, columns: wordDimension))
        result.shapes = Embedding(table: Matrix(rows: shapes, columns: shapeDimension))
        result.encoder = encoder
        result.upper = upper
        result.output = output
        return result
    }
}
