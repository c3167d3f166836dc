import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// Reading and writing the parameters of a network through a `ModelFile`.
enum ModelPersistence {
    /// A JSON encoder with sorted keys, so equal configurations give equal bytes.
    static var encoder: JSONEncoder { ModelFile.configurationEncoder }

    /// The name of the word table, the one parameter whose rows may be shared.
    static let wordTableName = "embedder.words.E"

    /// A model file of `network` with the given header: its parameters, and the reference
    /// to the shared table when its word table reads rows from one. The rows are written
    /// out whole instead when they are shared with something other than a table file, or
    /// when `destination` is given and the table is not found beside it.
    static func file<N: TrainableNetwork>(
        architecture: String, configuration: Data, vocabularies: [String: [String]], network: N,
        destination: String? = nil
    ) -> ModelFile where N.Scalar == Float {
        var network = network
        var sharedRows: [String: ModelFile.SharedRowsReference] = [:]
        if let shared = network.embedder.words.shared {
            if let table = shared.owner as? SharedVectorTable,
                destination.map({ table.isBeside(modelPath: $0) }) ?? true
            {
                sharedRows[wordTableName] = ModelFile.SharedRowsReference(
                    tableName: table.fileName, tableChecksum: table.checksum,
                    rows: shared.rowOfID.map { $0 >= 0 ? UInt32($0) : nil })
            } else {
                network.embedder.words.materialise()
            }
        }
        return ModelFile(
            architecture: architecture, configuration: configuration, vocabularies: vocabularies,
            parameters: network.namedParameters.map {
                ModelFile.NamedMatrix(name: $0.name, matrix: $0.matrix)
            },
            sharedRows: sharedRows)
    }

    /// The number of word rows to build a network with before `assign`: one placeholder row
    /// when the file's word table reads rows from a shared table (`assign` puts in the
    /// model's own rows), so that no table of the whole vocabulary is allocated only to be
    /// replaced; `wordCount` otherwise.
    static func wordRowsToBuild(_ file: ModelFile, wordCount: Int) -> Int {
        file.sharedRows[wordTableName] == nil ? wordCount : 1
    }

    /// Overwrites every parameter of `network` (freshly built from the configuration, with
    /// `wordRowsToBuild` word rows) with the file's, validating each shape against the
    /// configuration and the vocabulary of `wordCount` words; rejects extra parameters.
    /// Shared rows of the word table are read from their table beside `path` (through the
    /// process-wide cache).
    static func assign<N: TrainableNetwork>(
        _ network: inout N, from file: ModelFile, path: String, wordCount: Int
    ) throws
    where N.Scalar == Float {
        for name in file.sharedRows.keys where name != wordTableName {
            throw SharedVectorsError.unexpectedSharedRows(model: path, parameter: name)
        }
        let words = try SharedVectorTable.rows(of: wordTableName, in: file, modelPath: path)
        var names = Set<String>()
        try network.visitParameters { name, matrix in
            if name == wordTableName, let words {
                guard words.shared.rowOfID.count == wordCount,
                    words.own.columns == matrix.columns
                else {
                    throw ModelFileError.shapeMismatch(
                        name: name, expected: "[\(wordCount), \(matrix.columns)]",
                        found: "[\(words.shared.rowOfID.count), \(words.own.columns)]")
                }
                matrix = words.own
            } else {
                matrix = try file.matrix(named: name, rows: matrix.rows, columns: matrix.columns)
            }
            names.insert(name)
        }
        network.embedder.words.shared = words?.shared
        for p in file.parameters where !names.contains(p.name) {
            throw ModelError.unexpectedParameter(path: path, name: p.name)
        }
    }

    /// The model's input vocabularies.
    static func inputEncoder(
        from file: ModelFile, configuration: EmbedderConfiguration, path: String
    ) throws
        -> InputEncoder
    {
        let words = try file.vocabulary(named: "words")
        let characters = try file.vocabulary(named: "characters")
        var vocabularies: [Vocabulary] = []
        for (name, table) in [("words", words), ("characters", characters)] {
            guard table.count >= 2, table[0] == Vocabulary.padding, table[1] == Vocabulary.unknown,
                let vocabulary = Vocabulary(validating: table, unknown: Vocabulary.unknown)
            else {
                throw ModelError.invalidVocabulary(
                    path: path, name: name,
                    reason: "it must start with <pad>, <unk> and hold distinct strings")
            }
            vocabularies.append(vocabulary)
        }
        return InputEncoder(
            words: vocabularies[0], characters: vocabularies[1], configuration: configuration)
    }

    /// A label or tag table: non-empty and distinct.
    static func labels(from file: ModelFile, name: String, path: String) throws -> [String] {
        let table = try file.vocabulary(named: name)
        guard !table.isEmpty, Set(table).count == table.count else {
            throw ModelError.invalidVocabulary(
                path: path, name: name, reason: "it must be non-empty and distinct")
        }
        for (index, tag) in table.enumerated() {
            if let problem = TagValidation.problem(with: tag) {
                throw ModelError.invalidVocabulary(
                    path: path, name: name,
                    reason: "entry \(index + 1), \(tag.quotedForMessage): \(problem); \(TagValidation.rule)")
            }
        }
        return table
    }
}
