import Foundation
import LinearAlgebra
import NeuralNetwork

/// The checkpoint file of every trainer: a model file of architecture
/// `TrainingCheckpoint.v1` whose header keeps the model's own architecture and
/// configuration, the training options, the loop's place and the task's numbers and random
/// generators, and whose parameters are the model's, then the optimizer's state
/// (`optimizer.m.<name>`, `optimizer.v.<name>`), then the task's matrices (`task.<name>`).
public struct TrainingCheckpoint<Options: Codable> {
    /// The architecture name of checkpoint files.
    public static var architecture: String { ModelArchitecture.trainingCheckpoint }

    struct Header: Codable {
        var modelArchitecture: String
        var modelConfiguration: String
        var options: Options
        var state: TrainingLoopState
        var steps: [String: Int]
        var generators: [String: SeededRandom]
        var numbers: [String: Double]
    }

    /// The model file of the network being trained.
    public var model: ModelFile
    /// The options of the run.
    public var options: Options
    /// The loop's state, the optimizer's and the task's.
    public var loop: TrainingLoopState
    public var optimizer: OptimizerState<Float>
    public var task: TrainingTaskState<Float>

    /// A checkpoint of `contents`, whose network is in `model`.
    public init<N>(model: ModelFile, options: Options, contents: TrainingCheckpointContents<N>)
    where N.Scalar == Float {
        self.init(
            model: model, options: options, loop: contents.loop, optimizer: contents.optimizer,
            task: contents.task)
    }

    public init(
        model: ModelFile, options: Options, loop: TrainingLoopState,
        optimizer: OptimizerState<Float>, task: TrainingTaskState<Float>
    ) {
        self.model = model
        self.options = options
        self.loop = loop
        self.optimizer = optimizer
        self.task = task
    }

    /// Writes the checkpoint (through a temporary file and a rename).
    public func write(to path: String) throws {
        var file = model
        let header = Header(
            modelArchitecture: model.architecture,
            modelConfiguration: String(decoding: model.configuration, as: UTF8.self),
            options: options, state: loop, steps: optimizer.steps,
            generators: task.generators, numbers: task.numbers)
        file.architecture = Self.architecture
        file.configuration = try ModelFile.configurationEncoder.encode(header)
        file.parameters += optimizer.matrices.keys.sorted().map {
            ModelFile.NamedMatrix(name: "optimizer." + $0, matrix: optimizer.matrices[$0]!)
        }
        file.parameters += task.matrices.keys.sorted().map {
            ModelFile.NamedMatrix(name: "task." + $0, matrix: task.matrices[$0]!)
        }
        try file.write(to: path)
    }

    /// Reads a checkpoint written by `write(to:)`.
    ///
    /// Only the file's format is checked here; the trainer checks the options, the loop's
    /// numbers and the optimizer's moments against its network (`TrainingLoop.resume`)
    /// before using any of them.
    public static func read(from path: String) throws -> TrainingCheckpoint {
        try TrainingCheckpoint(file: ModelFile.read(from: path), path: path)
    }

    /// The checkpoint held in `file` (read from `path`, for messages).
    public init(file: ModelFile, path: String = "<memory>") throws {
        guard file.architecture == Self.architecture else {
            throw ModelError.wrongKind(
                path: path, architecture: file.architecture, expected: Self.architecture)
        }
        let header = try file.decodeConfiguration(Header.self)
        var model = file
        model.architecture = header.modelArchitecture
        model.configuration = Data(header.modelConfiguration.utf8)
        model.parameters = []
        var optimizer = OptimizerState<Float>(steps: header.steps)
        var task = TrainingTaskState<Float>()
        task.generators = header.generators
        task.numbers = header.numbers
        for p in file.parameters {
            if p.name.hasPrefix("optimizer.") {
                optimizer.matrices[String(p.name.dropFirst("optimizer.".count))] = p.matrix
            } else if p.name.hasPrefix("task.") {
                task.matrices[String(p.name.dropFirst("task.".count))] = p.matrix
            } else {
                model.parameters.append(p)
            }
        }
        self.init(
            model: model, options: header.options, loop: header.state, optimizer: optimizer,
            task: task)
    }

    /// The checkpoint's state around `network` (read from `model` by the caller).
    public func contents<N: NamedParameters>(network: N) -> TrainingCheckpointContents<N>
    where N.Scalar == Float {
        TrainingCheckpointContents(network: network, optimizer: optimizer, loop: loop, task: task)
    }

    /// Removes the checkpoint at `path` after a finished run (nothing if there is none).
    public static func remove(_ path: String?) {
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
