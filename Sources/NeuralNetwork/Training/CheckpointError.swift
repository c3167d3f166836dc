import Foundation
import LinearAlgebra

/// A checkpoint's saved state does not fit the run that resumes from it: an optimizer
/// moment is missing, extra or of the wrong shape, or a saved number is outside its range.
///
/// A checkpoint is a file from disk, so everything in it is checked before the optimizer or
/// the loop uses it; `path` names the file once the trainer knows it (`at(path:)`).
public struct CheckpointError: Error, LocalizedError, Equatable, Sendable {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// The optimizer needs `name` (`m.<parameter>`, `v.<parameter>`) for a parameter of
        /// `shape` that has saved state, and the checkpoint lacks it.
        case missingMoment(name: String, shape: String)
        /// The checkpoint holds `name` of `shape`, which no parameter of the network or
        /// moment of the optimizer matches.
        case unexpectedMoment(name: String, shape: String)
        /// The moment `name` is `found` but its parameter is `expected`.
        case momentShape(name: String, expected: String, found: String)
        /// A saved matrix holds NaN, an infinity, or (a second moment) a negative value.
        case invalidMoment(name: String, reason: String)
        /// A saved number is outside its valid range.
        case invalidValue(name: String, value: String, valid: String)
    }

    /// What is wrong.
    public var problem: Problem
    /// The checkpoint file, when known.
    public var path: String?

    /// An error for `problem` in the checkpoint at `path`.
    public init(_ problem: Problem, path: String? = nil) {
        self.problem = problem
        self.path = path
    }

    /// The same error naming the checkpoint file.
    public func at(path: String) -> CheckpointError { CheckpointError(problem, path: path) }

    private var reason: String {
        switch problem {
        case .missingMoment(let name, let shape):
            return "the optimizer moment \(name) (expected \(shape)) is missing"
        case .unexpectedMoment(let name, let shape):
            return "it holds the optimizer state \(name) \(shape), which matches no parameter "
                + "of the network"
        case .momentShape(let name, let expected, let found):
            return "shape mismatch for the optimizer moment \(name): expected \(expected), "
                + "found \(found)"
        case .invalidMoment(let name, let reason):
            return "the optimizer moment \(name) \(reason)"
        case .invalidValue(let name, let value, let valid):
            return "\(name) is \(value), but must be \(valid)"
        }
    }

    /// Says what is wrong and what to do.
    public var errorDescription: String? {
        let file = path.map { "The checkpoint \($0)" } ?? "The checkpoint"
        return "\(file) cannot be resumed: \(reason). It is damaged or belongs to another "
            + "run; delete it, or train from the start without --resume."
    }
}

/// Throws `CheckpointError.invalidValue` naming `name` unless `ok`.
public func checkCheckpointValue(
    _ ok: Bool, _ name: String, _ value: some CustomStringConvertible, valid: String
) throws {
    if !ok { throw CheckpointError(.invalidValue(name: name, value: "\(value)", valid: valid)) }
}

extension OptimizerState {
    /// Checks the state against `network` for an optimizer keeping the moments `moments`
    /// (`["m", "v"]` for Adam): every moment `<moment>.<name>` must belong to a parameter of
    /// `network` and have its shape, and hold finite values (a second moment `v`, none
    /// negative); a parameter with any saved state must have all of `moments`; step counts
    /// must name parameters and not be negative.
    public func validate<N: NamedParameters>(against network: N, moments: [String]) throws
    where N.Scalar == Scalar {
        var shapes: [String: (rows: Int, columns: Int)] = [:]
        var copy = network
        copy.visitParameters { name, matrix in shapes[name] = (matrix.rows, matrix.columns) }
        func describe(_ s: (rows: Int, columns: Int)) -> String { "[\(s.rows), \(s.columns)]" }
        var withState = Set<String>()
        for key in matrices.keys.sorted() {
            let matrix = matrices[key]!
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, moments.contains(parts[0]), let shape = shapes[parts[1]]
            else {
                throw CheckpointError(
                    .unexpectedMoment(name: key, shape: matrix.shapeDescription))
            }
            guard matrix.rows == shape.rows, matrix.columns == shape.columns else {
                throw CheckpointError(
                    .momentShape(
                        name: key, expected: describe(shape), found: matrix.shapeDescription))
            }
            guard NumericCheck.isFinite(matrix) else {
                throw CheckpointError(.invalidMoment(name: key, reason: "holds NaN or infinity"))
            }
            if parts[0] == "v", matrix.scalars.contains(where: { $0 < 0 }) {
                throw CheckpointError(
                    .invalidMoment(name: key, reason: "holds negative values"))
            }
            withState.insert(parts[1])
        }
        for name in steps.keys.sorted() {
            guard shapes[name] != nil else {
                throw CheckpointError(.unexpectedMoment(name: "steps." + name, shape: "[]"))
            }
            try checkCheckpointValue(
                steps[name]! >= 0, "the step count of \(name)", steps[name]!,
                valid: "at least 0")
            withState.insert(name)
        }
        for name in withState.sorted() {
            for moment in moments where matrices[moment + "." + name] == nil {
                throw CheckpointError(
                    .missingMoment(name: moment + "." + name, shape: describe(shapes[name]!)))
            }
        }
    }
}

extension TrainingLoopOptions {
    /// Checks every setting against its range (as read from a checkpoint).
    public func validate() throws {
        try checkCheckpointValue(epochs >= 1, "epochs", epochs, valid: "at least 1")
        try checkCheckpointValue(patience >= 1, "patience", patience, valid: "at least 1")
        try checkCheckpointValue(
            (0...1).contains(averageFraction), "the average fraction", averageFraction,
            valid: "in [0, 1]")
        try checkCheckpointValue(
            clip >= 0 && clip.isFinite, "clip", clip, valid: "finite and at least 0")
        let rate = learningRate
        try checkCheckpointValue(
            rate.base > 0 && rate.base.isFinite, "the learning rate", rate.base,
            valid: "finite and positive")
        try checkCheckpointValue(
            (0...1).contains(rate.linearDecayFraction), "the linear decay fraction",
            rate.linearDecayFraction, valid: "in [0, 1]")
        try checkCheckpointValue(
            rate.epochDecay > 0 && rate.epochDecay.isFinite, "the epoch decay", rate.epochDecay,
            valid: "finite and positive")
        try checkCheckpointValue(
            rate.plateauDecay > 0 && rate.plateauDecay.isFinite, "the plateau decay",
            rate.plateauDecay, valid: "finite and positive")
        try checkCheckpointValue(
            rate.plateauThreshold.isFinite, "the plateau threshold", rate.plateauThreshold,
            valid: "finite")
    }
}

extension TrainingLoopState {
    /// Checks every number against its range for a run of `epochs` epochs (the batch and
    /// unit counts are checked against the epoch's plan when it starts).
    public func validate(epochs: Int) throws {
        try checkCheckpointValue(
            epoch >= 1 && epoch <= epochs + 1, "state.epoch", epoch,
            valid: "in 1...\(epochs + 1) for a run of \(epochs) epochs")
        try checkCheckpointValue(batch >= 0, "state.batch", batch, valid: "at least 0")
        try checkCheckpointValue(
            bestEpoch >= 0 && bestEpoch < epoch, "state.bestEpoch", bestEpoch,
            valid: "in 0..<\(epoch) (before the current epoch)")
        try checkCheckpointValue(
            badEpochs >= 0 && badEpochs < epoch, "state.badEpochs", badEpochs,
            valid: "in 0..<\(epoch)")
        try checkCheckpointValue(
            rateFactor > 0 && rateFactor.isFinite, "state.rateFactor", rateFactor,
            valid: "finite and positive")
        if let bestScore {
            try checkCheckpointValue(
                bestScore.isFinite, "state.bestScore", bestScore, valid: "finite")
        }
        try checkCheckpointValue(lossSum.isFinite, "state.lossSum", lossSum, valid: "finite")
        try checkCheckpointValue(
            lossWeight >= 0 && lossWeight.isFinite, "state.lossWeight", lossWeight,
            valid: "finite and at least 0")
        try checkCheckpointValue(unitsDone >= 0, "state.unitsDone", unitsDone, valid: "at least 0")
    }

    /// Checks the place within an epoch against the epoch's plan.
    func validate(plan: (batches: Int, units: Int)) throws {
        try checkCheckpointValue(
            batch <= plan.batches, "state.batch", batch,
            valid: "at most \(plan.batches), the batches of epoch \(epoch) (was the training "
                + "data changed?)")
        try checkCheckpointValue(
            unitsDone <= plan.units, "state.unitsDone", unitsDone,
            valid: "at most \(plan.units), the work of epoch \(epoch) (was the training data "
                + "changed?)")
    }
}

extension TrainingTaskState {
    /// Checks that every matrix `<prefix><name>` (a kept copy of the network, such as
    /// `best.`) has the shape of the parameter `name` of `network`.
    public func validateMatrices<N: NamedParameters>(prefix: String, against network: N) throws
    where N.Scalar == Scalar {
        var shapes: [String: String] = [:]
        var copy = network
        copy.visitParameters { name, matrix in shapes[name] = matrix.shapeDescription }
        for key in matrices.keys.sorted() where key.hasPrefix(prefix) {
            let found = matrices[key]!.shapeDescription
            guard let expected = shapes[String(key.dropFirst(prefix.count))] else {
                throw CheckpointError(.unexpectedMoment(name: "task." + key, shape: found))
            }
            guard expected == found else {
                throw CheckpointError(
                    .momentShape(name: "task." + key, expected: expected, found: found))
            }
        }
    }
}
