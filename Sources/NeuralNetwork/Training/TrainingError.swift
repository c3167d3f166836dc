import Foundation
import LinearAlgebra

/// Something went wrong numerically while training.
///
/// The numeric checks throw these without context; a training loop catches them and
/// rethrows `error.at(epoch:batch:)` so that the message says where it happened.
public enum TrainingError: Error, LocalizedError, Equatable, Sendable {
    /// The loss was NaN or infinite.
    case nonFiniteLoss(value: Double, epoch: Int? = nil, batch: Int? = nil)
    /// A gradient of the named parameter held NaN or an infinity.
    case nonFiniteGradient(parameter: String, epoch: Int? = nil, batch: Int? = nil)

    /// The same error with the epoch and batch (counted from 1 by convention of the
    /// caller) filled in.
    public func at(epoch: Int?, batch: Int?) -> TrainingError {
        switch self {
        case .nonFiniteLoss(let value, _, _):
            return .nonFiniteLoss(value: value, epoch: epoch, batch: batch)
        case .nonFiniteGradient(let parameter, _, _):
            return .nonFiniteGradient(parameter: parameter, epoch: epoch, batch: batch)
        }
    }

    /// The epoch in which the error happened, if the caller said.
    public var epoch: Int? {
        switch self {
        case .nonFiniteLoss(_, let epoch, _), .nonFiniteGradient(_, let epoch, _): return epoch
        }
    }

    /// The batch in which the error happened, if the caller said.
    public var batch: Int? {
        switch self {
        case .nonFiniteLoss(_, _, let batch), .nonFiniteGradient(_, _, let batch): return batch
        }
    }

    private var location: String {
        switch (epoch, batch) {
        case (let e?, let b?): return " in epoch \(e), batch \(b)"
        case (let e?, nil): return " in epoch \(e)"
        case (nil, let b?): return " in batch \(b)"
        case (nil, nil): return ""
        }
    }

    /// A message that says what happened, where, and what to try.
    public var errorDescription: String? {
        switch self {
        case .nonFiniteLoss(let value, _, _):
            return "The training loss became \(value)\(location). "
                + "Lower the learning rate or clip gradients by global norm."
        case .nonFiniteGradient(let parameter, _, _):
            return "The gradient of \(parameter) is not finite\(location). "
                + "Lower the learning rate or clip gradients by global norm."
        }
    }
}

/// Checks that losses and gradients are finite before an optimizer step.
public enum NumericCheck {
    /// Throws `TrainingError.nonFiniteLoss` unless `loss` is finite.
    public static func ensureFinite<Scalar: BLASScalar>(loss: Scalar) throws {
        if !loss.isFinite { throw TrainingError.nonFiniteLoss(value: Double(loss)) }
    }

    /// Throws `TrainingError.nonFiniteGradient` naming the first parameter of
    /// `gradient` (prefixed with `prefix.` if given) that holds NaN or an infinity.
    public static func ensureFinite<Layer: Parameterized>(gradient: Layer, prefix: String = "")
        throws
    {
        for parameter in gradient.parameters
        where !isFinite(gradient[keyPath: parameter.keyPath]) {
            throw TrainingError.nonFiniteGradient(
                parameter: prefix.isEmpty ? parameter.name : prefix + "." + parameter.name)
        }
    }

    /// Throws `TrainingError.nonFiniteGradient(parameter: name)` unless every touched
    /// row of `gradient` is finite.
    public static func ensureFinite<Scalar: BLASScalar>(
        gradient: SparseRowGradient<Scalar>, name: String
    ) throws {
        if !isFinite(gradient.rows) { throw TrainingError.nonFiniteGradient(parameter: name) }
    }

    /// Whether every element of `matrix` is finite.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func isFinite<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) -> Bool {
        matrix.scalars.withUnsafeBufferPointer { buffer in
            // x − x is 0 for finite x and NaN otherwise; summing keeps the NaN, and
            // the loop has no branch, so it vectorises.
            var sum: Scalar = 0
            for x in buffer { sum += x - x }
            return sum == 0
        }
    }
}
