import LinearAlgebra
import NeuralNetwork
import XCTest

extension Linear: NamedParameters {}

/// `TrainingLoop` on a task without text: a line fitted to points by least squares, the
/// points shuffled per epoch from a generator the task checkpoints.
final class TrainingLoopTests: XCTestCase {
    /// Fits `y = 2x + 1` (plus noise) in batches of two points; `poison` makes the loss of
    /// one (epoch, batch) NaN.
    struct LineTask: TrainingTask {
        typealias Network = Linear<Double>
        var random = SeededRandom(seed: 11)
        var epochStart = SeededRandom(seed: 11)
        var pending: SeededRandom?
        var order: [Int] = []
        var epoch = 0
        var poison: (epoch: Int, batch: Int)?
        var scores: [Double] = [0.9, 0.8, 0.85, 0.7, 0.6, 0.5]
        var kept: [Int] = []
        let xs: [Double] = (0..<10).map { Double($0) / 5 }
        var ys: [Double] { xs.enumerated().map { 2 * $1 + 1 + 0.01 * Double($0 % 3) } }

        mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int) {
            self.epoch = epoch
            epochStart = random
            order = Array(xs.indices)
            random.shuffle(&order)
            if let pending {
                random = pending
                self.pending = nil
            }
            return (5, 10)
        }

        mutating func batch(_ index: Int, network: Linear<Double>) -> TrainingBatch<Double> {
            let (w, b) = (network.weight.scalars[0], network.bias.scalars[0])
            var (loss, dw, db) = (0.0, 0.0, 0.0)
            for i in order[(2 * index)..<(2 * index + 2)] {
                let r = w * xs[i] + b - ys[i] + 0.001 * random.nextUnit()
                loss += r * r / 2
                dw += r * xs[i] / 2
                db += r / 2
            }
            if let poison, poison == (epoch, index + 1) { loss = .nan }
            var gradients = ParameterGradients<Double>()
            gradients.dense["W"] = Matrix(rows: 1, columns: 1, scalars: [dw])
            gradients.dense["b"] = Matrix(rows: 1, columns: 1, scalars: [db])
            return TrainingBatch(loss: loss, gradients: gradients, units: 2)
        }

        mutating func score(_ network: Linear<Double>) throws -> Double? {
            scores[(epoch - 1) % scores.count]
        }

        mutating func keepBest(_ network: Linear<Double>, epoch: Int) throws { kept.append(epoch) }

        func checkpointState() -> TrainingTaskState<Double> {
            var state = TrainingTaskState<Double>()
            state.generators = ["epochStart": epochStart, "random": random]
            return state
        }

        mutating func restore(_ state: TrainingTaskState<Double>) throws {
            random = state.generators["epochStart"]!
            pending = state.generators["random"]
        }
    }

    static func loop(epochs: Int = 4) -> TrainingLoop<LineTask, Adam<Double>> {
        var random = SeededRandom(seed: 1)
        var options = TrainingLoopOptions(epochs: epochs, learningRate: 0.05)
        options.clip = 1
        options.learningRate.linearDecayFraction = 0.5
        return TrainingLoop(
            options: options, network: Linear(inputSize: 1, outputSize: 1, random: &random),
            optimizer: Adam(learningRate: 0.05))
    }

    func testAStopThenResumeGivesTheUninterruptedRun() throws {
        var straight = Self.loop()
        var task = LineTask()
        XCTAssertFalse(try straight.run(&task))
        XCTAssertEqual(task.kept, [1])

        var saved: TrainingCheckpointContents<Linear<Double>>?
        var first = Self.loop()
        var calls = 0
        first.shouldStop = {
            calls += 1
            return calls == 8
        }
        first.saveCheckpoint = { saved = $0 }
        var firstTask = LineTask()
        XCTAssertTrue(try first.run(&firstTask))
        let checkpoint = try XCTUnwrap(saved)
        XCTAssertEqual(checkpoint.loop.epoch, 2)
        XCTAssertEqual(checkpoint.loop.batch, 2)

        var resumed = Self.loop()
        var resumedTask = LineTask()
        try resumed.resume(from: checkpoint, task: &resumedTask)
        XCTAssertFalse(try resumed.run(&resumedTask))
        XCTAssertEqual(resumed.network.weight, straight.network.weight)
        XCTAssertEqual(resumed.network.bias, straight.network.bias)
        XCTAssertEqual(resumed.state, straight.state)
    }

    func testANonFiniteLossStopsBeforeTheUpdate() throws {
        var loop = Self.loop()
        var task = LineTask()
        task.poison = (2, 3)
        var updatesSeen = 0
        loop.onEvent = { if case .progress = $0 { updatesSeen += 1 } }
        XCTAssertThrowsError(try loop.run(&task)) { error in
            guard case .nonFiniteLoss(let value, 2, 3) = error as? TrainingError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(value.isNaN)
        }
        XCTAssertEqual(updatesSeen, 5 + 2)
        XCTAssertTrue(loop.network.weight.scalars.allSatisfy(\.isFinite))
    }

    func testPatienceStopsAfterThatManyEpochsWithoutABetterScore() throws {
        var loop = Self.loop(epochs: 6)
        loop.options.patience = 2
        var task = LineTask()
        var stopped: Int?
        loop.onEvent = { if case .stoppedEarly(let epoch) = $0 { stopped = epoch } }
        XCTAssertFalse(try loop.run(&task))
        XCTAssertEqual(stopped, 3)
        XCTAssertEqual(loop.state.bestEpoch, 1)
    }
}
