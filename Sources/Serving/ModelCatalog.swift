import Foundation
import Pipeline
import Text

/// What `GET /models` lists: each loaded model's name, task, tags or labels, file checksum
/// and recorded test score.
public struct ModelCatalog: Sendable {
    /// One loaded model.
    public struct Entry: Sendable, Equatable {
        /// The model file's name without `.model` (`pos-en`).
        public var name: String
        /// The task: `pos`, `ner`, `sentiment` or `sentences`.
        public var task: String
        /// The tags (taggers) or labels (classifier); empty for the sentence splitter.
        public var labels: [String]
        /// The checksum stored at the end of the model file: `xxh64:` and 16 hex digits
        /// (format version 2 and later), `fnv1a64:` for version 1.
        public var checksum: String
        /// The test score recorded in the model file; nil, since model files record none yet.
        public var testScore: Double?
    }

    /// The models, in the pipeline's order, then the sentence splitter.
    public var entries: [Entry]

    /// A catalog of the given entries.
    public init(entries: [Entry]) { self.entries = entries }

    /// The catalog of `pipeline`, whose model files are at `paths` (by task).
    /// - Throws: ``ServiceError/modelFile(path:reason:)`` when a file cannot be read.
    public init(pipeline: Pipeline, paths: [String: String]) throws {
        var entries: [Entry] = []
        func add(_ task: String, _ labels: [String]) throws {
            guard let path = paths[task] else { return }
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            entries.append(
                Entry(
                    name: name, task: task, labels: labels, checksum: try Self.checksum(path),
                    testScore: nil))
        }
        if let pos = pipeline.pos { try add("pos", pos.tags) }
        if let ner = pipeline.ner { try add("ner", ner.tags) }
        if let sentiment = pipeline.sentiment { try add("sentiment", sentiment.labelNames) }
        try add("sentences", [])
        self.entries = entries
    }

    /// The checksum a model file stores in its last eight bytes, named by its algorithm.
    static func checksum(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ServiceError.modelFile(path: path, reason: "it cannot be opened")
        }
        defer { try? handle.close() }
        do {
            let head = try handle.read(upToCount: 12) ?? Data()
            let end = try handle.seekToEnd()
            guard head.count == 12, end >= 20 else {
                throw ServiceError.modelFile(
                    path: path, reason: "it is too short to be a model file")
            }
            try handle.seek(toOffset: end - 8)
            let tail = try handle.read(upToCount: 8) ?? Data()
            var value: UInt64 = 0
            for (i, byte) in tail.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
            let version = head[8..<12].enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (8 * UInt32($1.offset))
            }
            let hex = String(value, radix: 16)
            return (version == 1 ? "fnv1a64:" : "xxh64:")
                + String(repeating: "0", count: 16 - hex.count) + hex
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.modelFile(path: path, reason: error.localizedDescription)
        }
    }

    /// `{"models": [{"name", "task", "labels", "checksum", "testScore"}]}`.
    public var json: String {
        let items = entries.map { entry in
            "{\"name\":" + JSONText.quoted(entry.name) + ",\"task\":" + JSONText.quoted(entry.task)
                + ",\"labels\":[" + entry.labels.map { JSONText.quoted($0) }.joined(separator: ",")
                + "],\"checksum\":" + JSONText.quoted(entry.checksum) + ",\"testScore\":"
                + (entry.testScore.map { "\($0)" } ?? "null") + "}"
        }
        return "{\"models\":[" + items.joined(separator: ",") + "]}"
    }
}
