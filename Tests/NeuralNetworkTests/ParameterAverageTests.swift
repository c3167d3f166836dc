import LinearAlgebra
import NeuralNetwork
import XCTest

/// `ParameterAverage` and the averaging of `TrainingLoop`: the average is the arithmetic
/// mean of the snapshots it was given, the loop averages the parameters after exactly the
/// updates of the last `averageFraction` of the run, scores and keeps that average (and
/// scores the current parameters beside it), and a resumed run ends with the average of
/// the uninterrupted one.
final class ParameterAverageTests: XCTestCase {
    func testTheAverageIsTheMeanOfTheSnapshots() {
        var random = SeededRandom(seed: 5)
        let snapshots = (0..<7).map { _ in
            Linear<Double>(inputSize: 3, outputSize: 2, random: &random)
        }
        var average = ParameterAverage<Linear<Double>>()
        XCTAssertNil(average.network)
        for (n, snapshot) in snapshots.enumerated() {
            average.add(snapshot)
            XCTAssertEqual(average.count, n + 1)
            let seen = snapshots[0...n]
            let mean = average.network!
            for i in 0..<6 {
                let expected = seen.map { $0.weight.scalars[i] }.reduce(0, +) / Double(n + 1)
                XCTAssertEqual(mean.weight.scalars[i], expected, accuracy: 1e-12)
            }
            for i in 0..<2 {
                let expected = seen.map { $0.bias.scalars[i] }.reduce(0, +) / Double(n + 1)
                XCTAssertEqual(mean.bias.scalars[i], expected, accuracy: 1e-12)
            }
        }
        // The snapshots were not changed by averaging (the first is shared, copy on write).
        var again = SeededRandom(seed: 5)
        XCTAssertEqual(
            snapshots[0].weight, Linear<Double>(inputSize: 3, outputSize: 2, random: &again).weight)
    }

    /// `LineTask`, recording the parameters every batch starts from and the networks it
    /// scores and keeps.
    struct RecordingTask: TrainingTask {
        var line = TrainingLoopTests.LineTask()
        var starts: [Linear<Double>] = []
        var scored: [Linear<Double>] = []
        var keptNetworks: [Int: Linear<Double>] = [:]

        mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int) {
            line.startEpoch(epoch)
        }
        mutating func batch(_ index: Int, network: Linear<Double>) -> TrainingBatch<Double> {
            starts.append(network)
            return line.batch(index, network: network)
        }
        mutating func score(_ network: Linear<Double>) throws -> Double? {
            scored.append(network)
            return try line.score(network)
        }
        mutating func keepBest(_ network: Linear<Double>, epoch: Int) throws {
            keptNetworks[epoch] = network
            try line.keepBest(network, epoch: epoch)
        }
        func checkpointState() -> TrainingTaskState<Double> { line.checkpointState() }
        mutating func restore(_ state: TrainingTaskState<Double>) throws {
            XCTAssertTrue(state.matrices.isEmpty, "the loop's average reached the task")
            try line.restore(state)
        }
    }

    /// The line's loop (4 epochs, clip 1, linear decay over the last half), averaging over
    /// the last half of the run, a lower score counting as better.
    static func loop() -> TrainingLoop<RecordingTask, Adam<Double>> {
        var random = SeededRandom(seed: 1)
        var options = TrainingLoopOptions(epochs: 4, learningRate: 0.05)
        options.clip = 1
        options.learningRate.linearDecayFraction = 0.5
        options.averageFraction = 0.5
        options.higherScoreIsBetter = false
        return TrainingLoop(
            options: options, network: Linear(inputSize: 1, outputSize: 1, random: &random),
            optimizer: Adam(learningRate: 0.05))
    }

    func testTheLoopScoresAndKeepsTheMeanOfTheLastUpdates() throws {
        var loop = Self.loop()
        var task = RecordingTask()
        var averaged: [Int] = []
        var unaveraged: [Double?] = []
        loop.onEvent = {
            guard case .epochFinished(let e) = $0 else { return }
            averaged.append(e.averagedUpdates)
            unaveraged.append(e.unaveragedScore)
        }
        XCTAssertFalse(try loop.run(&task))
        // 4 epochs of 5 updates; the last half of the run is epochs 3 and 4.
        XCTAssertEqual(task.starts.count, 20)
        XCTAssertEqual(averaged, [0, 0, 5, 10])
        XCTAssertEqual(unaveraged, [nil, nil, 0.85, 0.7])
        // The parameters after update k are those batch k + 1 started from.
        let after = Array(task.starts.dropFirst()) + [loop.network]
        // Epochs 1 and 2 score their parameters; epochs 3 and 4 their parameters, then the
        // average.
        XCTAssertEqual(task.scored.count, 6)
        XCTAssertEqual(task.scored[1].weight, after[9].weight)
        XCTAssertEqual(task.scored[2].weight, after[14].weight)
        XCTAssertEqual(task.scored[4].weight, loop.network.weight)
        XCTAssertEqual(loop.average.count, 10)
        for (scored, updates) in [(3, after[10..<15]), (5, after[10..<20])] {
            let mean = updates.map { $0.weight.scalars[0] }.reduce(0, +) / Double(updates.count)
            let bias = updates.map { $0.bias.scalars[0] }.reduce(0, +) / Double(updates.count)
            XCTAssertEqual(task.scored[scored].weight.scalars[0], mean, accuracy: 1e-12)
            XCTAssertEqual(task.scored[scored].bias.scalars[0], bias, accuracy: 1e-12)
        }
        // Scores 0.9, 0.8, 0.85, 0.7 (lower is better): epochs 1, 2 and 4 are kept, the
        // last as the average, which differs from the parameters training ended with.
        XCTAssertEqual(task.line.kept, [1, 2, 4])
        let kept = try XCTUnwrap(task.keptNetworks[4])
        XCTAssertEqual(kept.weight, task.scored[5].weight)
        XCTAssertNotEqual(kept.weight, loop.network.weight)
    }

    func testAResumedRunEndsWithTheSameAverage() throws {
        var straight = Self.loop()
        var straightTask = RecordingTask()
        XCTAssertFalse(try straight.run(&straightTask))

        // Stopped in the middle of epoch 4, with 2 updates of it averaged.
        var first = Self.loop()
        var calls = 0
        first.shouldStop = {
            calls += 1
            return calls == 18
        }
        var saved: TrainingCheckpointContents<Linear<Double>>?
        first.saveCheckpoint = { saved = $0 }
        var firstTask = RecordingTask()
        XCTAssertTrue(try first.run(&firstTask))
        let checkpoint = try XCTUnwrap(saved)
        XCTAssertEqual(checkpoint.task.numbers["loop.averagedUpdates"], 7)

        var resumed = Self.loop()
        var resumedTask = RecordingTask()
        try resumed.resume(from: checkpoint, task: &resumedTask)
        XCTAssertEqual(resumed.average.count, 7)
        XCTAssertFalse(try resumed.run(&resumedTask))
        XCTAssertEqual(resumed.average.count, 10)
        XCTAssertEqual(resumed.average.network?.weight, straight.average.network?.weight)
        XCTAssertEqual(resumed.average.network?.bias, straight.average.network?.bias)
        XCTAssertEqual(resumedTask.keptNetworks[4]?.weight, straightTask.keptNetworks[4]?.weight)
    }
}
