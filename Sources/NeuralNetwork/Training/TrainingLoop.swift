import Foundation
import LinearAlgebra

/// One batch's contribution, as a `TrainingTask` computes it.
public struct TrainingBatch<Scalar: BLASScalar> {
    /// The batch loss (a mean over what the task averages over).
    public var loss: Scalar
    /// The gradient of `loss` for every parameter that has one.
    public var gradients: ParameterGradients<Scalar>
    /// The weight of `loss` in the epoch's running loss (1 for a mean over batches, the
    /// number of predictions for a mean over predictions).
    public var lossWeight: Double
    /// The work this batch did in the task's unit (sentences, characters, …), for progress.
    public var units: Int

    /// A batch result from its parts.
    public init(
        loss: Scalar, gradients: ParameterGradients<Scalar>, lossWeight: Double = 1, units: Int
    ) {
        self.loss = loss
        self.gradients = gradients
        self.lossWeight = lossWeight
        self.units = units
    }
}

/// What a task saves in a checkpoint besides the network and the optimizer: a few numbers
/// (random generators, counters) and matrices (carried states, a best network).
public struct TrainingTaskState<Scalar: BLASScalar> {
    /// Random generators by name.
    public var generators: [String: SeededRandom] = [:]
    /// Numbers by name.
    public var numbers: [String: Double] = [:]
    /// Matrices by name.
    public var matrices: [String: Matrix<Scalar>] = [:]

    /// An empty state.
    public init() {}
}

/// The model-specific half of training, driven by `TrainingLoop`: it knows the data, the
/// batches of each epoch, the loss and its gradient, and how to score and keep a model.
public protocol TrainingTask {
    /// The network trained.
    associatedtype Network: NamedParameters
    /// Prepares epoch `epoch` (from 1) and returns its number of batches and of work units.
    /// After `restore`, the loop calls it again for the epoch it resumes in.
    mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int)
    /// The loss and gradients of batch `index` (from 0) of the current epoch.
    mutating func batch(_ index: Int, network: Network) -> TrainingBatch<Network.Scalar>
    /// The dev score of `network` after an epoch (`nil`: no dev data; every epoch counts as
    /// an improvement).
    mutating func score(_ network: Network) throws -> Double?
    /// `network` is the best so far (it came from `epoch`): keep it, and write it if asked.
    mutating func keepBest(_ network: Network, epoch: Int) throws
    /// What to save in a checkpoint besides the network and the optimizer.
    func checkpointState() -> TrainingTaskState<Network.Scalar>
    /// Continues from a state saved by `checkpointState`.
    mutating func restore(_ state: TrainingTaskState<Network.Scalar>) throws
}

/// The learning rate over a run: `base`, lowered linearly towards zero over the last
/// `linearDecayFraction` of the planned work, multiplied by `epochDecay` after every epoch,
/// and, once an epoch improves the dev score by less than `plateauThreshold` (relative),
/// also by `plateauDecay` after that epoch and every later one.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// The rate at the start.
    public var base: Double
    /// The fraction of the planned epochs over which the rate falls to zero (0: never).
    public var linearDecayFraction = 0.0
    /// The factor applied after every epoch (1: none).
    public var epochDecay = 1.0
    /// The factor applied after every epoch once the dev score plateaus (1: none).
    public var plateauDecay = 1.0
    /// The relative dev improvement below which the score counts as a plateau.
    public var plateauThreshold = 0.0

    /// A constant rate.
    public init(base: Double) { self.base = base }

    /// The factor of the linear decay at `progress` (0 to 1) through the planned work.
    public func linearFactor(progress: Double) -> Double {
        let f = linearDecayFraction
        return f > 0 && progress > 1 - f ? max(0, (1 - progress) / f) : 1
    }
}

/// Settings of `TrainingLoop`.
public struct TrainingLoopOptions: Codable, Equatable, Sendable {
    /// Epochs at most.
    public var epochs: Int
    /// Stop after this many epochs in a row without a better dev score.
    public var patience = Int.max
    /// The global gradient norm is clipped to this; `0` disables clipping.
    public var clip = 0.0
    /// Whether a larger dev score is better (accuracy, F1) or a smaller one (bits per
    /// character).
    public var higherScoreIsBetter = true
    /// The learning rate over the run.
    public var learningRate: LearningRateSchedule
    /// Over the last this fraction of the planned training (`epochs` passes), the
    /// parameters after every update are averaged (`ParameterAverage`); once the average
    /// has begun, it is what each epoch scores, keeps and reports instead of the current
    /// parameters, which training goes on updating (they are scored too, for comparison:
    /// `TrainingEpochSummary.unaveragedScore`). `0`: no averaging.
    public var averageFraction = 0.0

    /// Options for `epochs` epochs at a constant `learningRate`.
    public init(epochs: Int, learningRate: Double) {
        self.epochs = epochs
        self.learningRate = LearningRateSchedule(base: learningRate)
    }
}

/// Where a run is: saved in checkpoints, so that a resumed run continues exactly.
public struct TrainingLoopState: Codable, Equatable, Sendable {
    /// The epoch being trained, from 1.
    public var epoch = 1
    /// The next batch of that epoch, from 0.
    public var batch = 0
    /// The best dev score so far and its epoch (0: none yet).
    public var bestScore: Double? = nil
    /// The epoch of the best model (0: none yet).
    public var bestEpoch = 0
    /// Epochs in a row without a better dev score.
    public var badEpochs = 0
    /// The product of the per-epoch factors applied so far: the learning rate before the
    /// linear decay is the schedule's base times this.
    public var rateFactor = 1.0
    /// Whether the dev score has plateaued (the plateau decay applies).
    public var plateaued = false
    /// The weighted loss sum, its weight and the units done in the current epoch.
    public var lossSum = 0.0, lossWeight = 0.0, unitsDone = 0

    /// The state at the start of a run.
    public init() {}
}

/// What the training loop reports while it runs.
public enum TrainingLoopEvent: Sendable {
    /// After each batch: the epoch, its batches done and planned, the units done and planned,
    /// units per second, the running loss, and the estimated seconds left in the epoch.
    case progress(
        epoch: Int, batch: Int, batches: Int, units: Int, unitsPerEpoch: Int,
        unitsPerSecond: Double, runningLoss: Double, secondsRemaining: Double)
    /// After each epoch's dev scoring.
    case epochFinished(TrainingEpochSummary)
    /// A checkpoint was written.
    case checkpointSaved
    /// Training stopped: no better dev score for the patience window, after `epoch`.
    case stoppedEarly(epoch: Int)
}

/// The result of one epoch.
public struct TrainingEpochSummary: Sendable {
    /// The updates averaged into the network that was scored (0: the current parameters
    /// were scored; see `TrainingLoopOptions.averageFraction`).
    public var averagedUpdates = 0
    /// With an average, the dev score of the current parameters (the last update's), scored
    /// as well for comparison; `nil` otherwise.
    public var unaveragedScore: Double? = nil
    /// The epoch, from 1.
    public var epoch: Int
    /// The epoch's weighted mean loss.
    public var loss: Double
    /// The dev score, if there is dev data.
    public var score: Double?
    /// Whether the model improved (and was kept).
    public var improved: Bool
    /// The best dev score so far and its epoch.
    public var bestScore: Double?, bestEpoch: Int
    /// The learning rate of the epoch's last update.
    public var learningRate: Double
    /// Seconds of training (without dev scoring), and units per second.
    public var seconds: Double, unitsPerSecond: Double
    /// Units trained on in the epoch.
    public var units: Int
}

/// A checkpoint: the network, the optimizer, the loop's place and the task's state.
public struct TrainingCheckpointContents<Network: NamedParameters> {
    /// The network as it is.
    public var network: Network
    /// The optimizer's state.
    public var optimizer: OptimizerState<Network.Scalar>
    /// The loop's place and history.
    public var loop: TrainingLoopState
    /// The task's state.
    public var task: TrainingTaskState<Network.Scalar>

    /// A checkpoint from its parts.
    public init(
        network: Network, optimizer: OptimizerState<Network.Scalar>, loop: TrainingLoopState,
        task: TrainingTaskState<Network.Scalar>
    ) {
        self.network = network
        self.optimizer = optimizer
        self.loop = loop
        self.task = task
    }
}

/// The training loop of every neural model: epochs of batches from a `TrainingTask`, a stop
/// on a non-finite loss or gradient (naming the epoch and batch, before the update, so the
/// model and files written so far stay the last good ones), gradient clipping by global
/// norm, the learning-rate schedule, dev scoring after each epoch with the best model kept
/// and early stopping, optional averaging of the parameters over the last part of the run
/// (`TrainingLoopOptions.averageFraction`: the average is then scored and kept), progress
/// through `onEvent`, and checkpoints (the average included): after each epoch, and
/// when `shouldStop` (polled before each batch) says so, from which `resume` continues to
/// the model the uninterrupted run gives.
public struct TrainingLoop<Task: TrainingTask, Rule: Optimizer>
where Rule.Scalar == Task.Network.Scalar {
    /// The settings.
    public var options: TrainingLoopOptions
    /// Receives progress; called on the training thread.
    public var onEvent: ((TrainingLoopEvent) -> Void)?
    /// Polled before each batch; returning true writes a checkpoint and stops.
    public var shouldStop: (() -> Bool)?
    /// Writes a checkpoint (after each epoch and on a stop); `nil`: no checkpoints.
    public var saveCheckpoint: ((TrainingCheckpointContents<Task.Network>) throws -> Void)?

    /// The network, optimizer and place the loop continues from.
    public private(set) var network: Task.Network
    /// The optimizer.
    public private(set) var optimizer: Rule
    /// The place in the run.
    public private(set) var state: TrainingLoopState
    /// The average of the parameters over the updates of the last
    /// `options.averageFraction` of the run so far (empty before it begins).
    public private(set) var average = ParameterAverage<Task.Network>()

    /// The prefix of the average's matrices, and the name of its count, in the task state
    /// of checkpoints.
    static var averagePrefix: String { "loop.average." }
    static var averageCountName: String { "loop.averagedUpdates" }

    /// A loop at the start of a run of `network` with `optimizer`.
    public init(options: TrainingLoopOptions, network: Task.Network, optimizer: Rule) {
        self.options = options
        self.network = network
        self.optimizer = optimizer
        self.state = TrainingLoopState()
    }

    /// Continues from `checkpoint` (its network, optimizer state and place; the task's
    /// state is restored into `task`). The options, the optimizer's moments (against the
    /// network's parameters) and the loop's numbers are checked first: a checkpoint is a
    /// file from disk, so a damaged one throws `CheckpointError` instead of being used.
    public mutating func resume(
        from checkpoint: TrainingCheckpointContents<Task.Network>, task: inout Task
    ) throws {
        try options.validate()
        try checkpoint.optimizer.validate(
            against: checkpoint.network, moments: Rule.momentNames)
        try checkpoint.loop.validate(epochs: options.epochs)
        var taskState = checkpoint.task
        average = ParameterAverage()
        if let count = taskState.numbers.removeValue(forKey: Self.averageCountName) {
            try checkCheckpointValue(
                count >= 1 && count == count.rounded() && count < 1e15,
                "task." + Self.averageCountName, count, valid: "a whole number, at least 1")
            try taskState.validateMatrices(prefix: Self.averagePrefix, against: checkpoint.network)
            var mean = checkpoint.network
            try mean.visitParameters { name, matrix in
                guard let saved = taskState.matrices[Self.averagePrefix + name] else {
                    throw CheckpointError(
                        .missingMoment(
                            name: "task." + Self.averagePrefix + name,
                            shape: matrix.shapeDescription))
                }
                matrix = saved
            }
            average = ParameterAverage(network: mean, count: Int(count))
        }
        taskState.matrices = taskState.matrices.filter { !$0.key.hasPrefix(Self.averagePrefix) }
        network = checkpoint.network
        optimizer.restore(checkpoint.optimizer)
        state = checkpoint.loop
        try task.restore(taskState)
    }

    private func checkpoint(_ task: Task) throws {
        guard let saveCheckpoint else { return }
        var taskState = task.checkpointState()
        if var mean = average.network {
            taskState.numbers[Self.averageCountName] = Double(average.count)
            mean.visitParameters { name, matrix in
                taskState.matrices[Self.averagePrefix + name] = matrix
            }
        }
        try saveCheckpoint(
            TrainingCheckpointContents(
                network: network, optimizer: optimizer.state, loop: state, task: taskState))
        onEvent?(.checkpointSaved)
    }

    /// Runs the remaining epochs; returns whether `shouldStop` interrupted the run.
    public mutating func run(_ task: inout Task) throws -> Bool {
        typealias Scalar = Task.Network.Scalar
        let epochs = options.epochs
        // Read once: building the names costs more than some updates.
        let names = network.parameterNames
        while state.epoch <= epochs {
            let epoch = state.epoch
            let plan = task.startEpoch(epoch)
            try state.validate(plan: plan)
            let started = Date()
            let unitsBefore = state.unitsDone
            var learningRate = options.learningRate.base * state.rateFactor
            for b in state.batch..<plan.batches {
                if shouldStop?() == true {
                    state.batch = b
                    try checkpoint(task)
                    return true
                }
                var result = task.batch(b, network: network)
                guard result.loss.isFinite else {
                    throw TrainingError.nonFiniteLoss(value: Double(result.loss))
                        .at(epoch: epoch, batch: b + 1)
                }
                var norm = result.gradients.squaredNorm.squareRoot()
                if !norm.isFinite, result.gradients.firstNonFinite() == nil {
                    // Finite elements whose squares overflow the scalar type.
                    norm = result.gradients.squaredNormInDouble.squareRoot()
                }
                guard norm.isFinite else {
                    throw TrainingError.nonFiniteGradient(
                        parameter: result.gradients.firstNonFinite() ?? "?"
                    ).at(epoch: epoch, batch: b + 1)
                }
                if options.clip > 0, norm > options.clip {
                    result.gradients.scale(by: Scalar(options.clip / norm))
                }
                // Where this update falls in the planned training, from 0 to 1.
                let progress =
                    (Double(epoch - 1) + Double(state.unitsDone) / Double(max(plan.units, 1)))
                    / Double(epochs)
                learningRate =
                    options.learningRate.base * state.rateFactor
                    * options.learningRate.linearFactor(progress: progress)
                optimizer.learningRate = Scalar(learningRate)
                optimizer.step(&network, names: names, gradients: result.gradients)
                if options.averageFraction > 0, progress >= 1 - options.averageFraction {
                    average.add(network)
                }
                state.lossSum += Double(result.loss) * result.lossWeight
                state.lossWeight += result.lossWeight
                state.unitsDone += result.units
                state.batch = b + 1
                if let onEvent {
                    let elapsed = max(1e-9, -started.timeIntervalSinceNow)
                    let rate = Double(state.unitsDone - unitsBefore) / elapsed
                    onEvent(
                        .progress(
                            epoch: epoch, batch: b + 1, batches: plan.batches,
                            units: state.unitsDone, unitsPerEpoch: plan.units,
                            unitsPerSecond: rate,
                            runningLoss: state.lossSum / max(state.lossWeight, 1e-300),
                            secondsRemaining: Double(plan.units - state.unitsDone)
                                / max(rate, 1e-9)))
                }
            }
            let seconds = -started.timeIntervalSinceNow
            // Once averaging has begun, the average stands for the run; the current
            // parameters are scored first, for comparison only.
            let unaveragedScore = average.network == nil ? nil : try task.score(network)
            let scored = average.network ?? network
            let score = try task.score(scored)
            // Scoring ran inference, which keeps its packed weights; training changes the
            // weights from here on, so those copies would only hold memory.
            PackedWeights.shared.removeAll()
            let improved: Bool
            if let score, let best = state.bestScore {
                let higher = options.higherScoreIsBetter
                improved = higher ? score > best : score < best
                let gain = higher ? score / best - 1 : 1 - score / best
                if gain < options.learningRate.plateauThreshold { state.plateaued = true }
            } else {
                improved = true
            }
            if improved {
                state.bestScore = score
                state.bestEpoch = epoch
                state.badEpochs = 0
                try task.keepBest(scored, epoch: epoch)
            } else {
                state.badEpochs += 1
            }
            var summary = TrainingEpochSummary(
                epoch: epoch, loss: state.lossWeight > 0 ? state.lossSum / state.lossWeight : 0,
                score: score, improved: improved, bestScore: state.bestScore,
                bestEpoch: state.bestEpoch, learningRate: learningRate, seconds: seconds,
                unitsPerSecond: Double(state.unitsDone - unitsBefore) / max(seconds, 1e-9),
                units: state.unitsDone)
            summary.averagedUpdates = average.network == nil ? 0 : average.count
            summary.unaveragedScore = unaveragedScore
            state.epoch += 1
            state.batch = 0
            (state.lossSum, state.lossWeight, state.unitsDone) = (0, 0, 0)
            state.rateFactor *= options.learningRate.epochDecay
            if state.plateaued { state.rateFactor *= options.learningRate.plateauDecay }
            onEvent?(.epochFinished(summary))
            let stopping = state.badEpochs >= options.patience
            if stopping { state.epoch = epochs + 1 }
            try checkpoint(task)
            if stopping {
                if epoch < epochs { onEvent?(.stoppedEarly(epoch: epoch)) }
                break
            }
        }
        return false
    }
}
