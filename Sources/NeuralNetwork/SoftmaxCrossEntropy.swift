import LinearAlgebra

/// How a loss over many rows or sequences is reduced to one number.
public enum LossReduction: Sendable {
    /// The mean over the counted (unmasked) rows or sequences; zero when none counts.
    case mean
    /// The sum over the counted rows or sequences.
    case sum
}

/// Softmax followed by the negative log-likelihood of integer targets, fused so that
/// the gradient with respect to the logits is simply `p − onehot(target)`.
///
/// Logits are `[n, classes]`, one row per token (for sequences, the rows of a
/// flattened `[batch·time, classes]` matrix). A mask marks which rows count; masked
/// rows (padding) contribute zero loss and get a zero gradient, and their targets
/// are ignored. With `.mean` the loss is divided by the number of unmasked rows.
public struct SoftmaxCrossEntropy<Scalar: BLASScalar>: Sendable {
    /// Whether the loss is the mean or the sum over unmasked rows.
    public var reduction: LossReduction

    /// A loss with the given reduction (the mean by default).
    public init(reduction: LossReduction = .mean) {
        self.reduction = reduction
    }

    /// The loss, its gradient, and the probabilities of one call.
    public struct Output {
        /// The reduced loss over unmasked rows.
        public var loss: Scalar
        /// `dLoss/dLogits`, `[n, classes]`; zero on masked rows.
        public var gradient: Matrix<Scalar>
        /// The softmax of every row, `[n, classes]` (masked rows included).
        public var probabilities: Matrix<Scalar>
        /// The number of unmasked rows the loss was taken over.
        public var count: Int
    }

    /// Loss, gradient and probabilities for `logits` `[n, classes]` and `targets`
    /// (`n` class indices); `mask`, if given, has `n` entries and `false` marks a
    /// padded row.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(logits: Matrix<Scalar>, targets: [Int], mask: [Bool]? = nil)
        -> Output
    {
        let (n, classes) = (logits.rows, logits.columns)
        precondition(classes > 0, "logits \(logits.shapeDescription) have no classes")
        precondition(
            targets.count == n, "\(targets.count) targets for logits \(logits.shapeDescription)")
        if let mask {
            precondition(
                mask.count == n, "mask of \(mask.count) for logits \(logits.shapeDescription)")
        }
        var probabilities = logits
        var gradient = Matrix<Scalar>(rows: n, columns: classes)
        var total: Scalar = 0
        var count = 0
        probabilities.withUnsafeMutablePointer { p in
            logits.withUnsafePointer { z in
                for r in 0..<n {
                    let row = p + r * classes
                    // One exponential per element: p = exp(z − max) / Σ, and the loss
                    // from log Σ exp(z) = max + log Σ, so it never takes log(0).
                    var maximum = row[0]
                    for c in 1..<classes where row[c] > maximum { maximum = row[c] }
                    var sum: Scalar = 0
                    for c in 0..<classes {
                        let e = Scalar.exp(row[c] - maximum)
                        row[c] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for c in 0..<classes { row[c] *= inverse }
                    let normalizer = maximum + Scalar.log(sum)
                    if let mask, !mask[r] { continue }
                    let target = targets[r]
                    precondition(
                        target >= 0 && target < classes,
                        "target \(target) at row \(r) outside 0..<\(classes)")
                    total += normalizer - z[r * classes + target]
                    count += 1
                }
            }
        }
        let scale: Scalar = reduction == .mean ? (count > 0 ? 1 / Scalar(count) : 0) : 1
        probabilities.withUnsafePointer { p in
            gradient.withUnsafeMutablePointer { g in
                for r in 0..<n {
                    if let mask, !mask[r] { continue }
                    let (source, target) = (p + r * classes, g + r * classes)
                    for c in 0..<classes { target[c] = scale * source[c] }
                    target[targets[r]] -= scale
                }
            }
        }
        return Output(
            loss: total * scale, gradient: gradient, probabilities: probabilities, count: count)
    }
}
