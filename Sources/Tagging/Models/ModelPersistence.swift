import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// Reading and writing the parameters of a network through a `ModelFile`.
enum ModelPersistence {
    /// A JSON encoder with sorted keys, so equal configurations give equal bytes.
    static var encoder: JSONEncoder { ModelFile.configurationEncoder }

    /// The named parameters of `network` for a model file.
    static func parameters<N: TrainableNetwork>(of network: N) -> [ModelFile.NamedMatrix]
    where N.Scalar == Float {
        network.namedParameters.map { ModelFile.NamedMatrix(name: $0.name, matrix: $0.matrix) }
    }

    /// Overwrites every parameter of `network` (freshly built from the configuration) with
    /// the file's, validating each shape; rejects extra parameters.
    static func assign<N: TrainableNetwork>(_ network: inout N, from file: ModelFile, path: String)
        throws
    where N.Scalar == Float {
        var names = Set<String>()
        try network.visitParameters { name, matrix in
            matrix = try file.matrix(named: name, rows: matrix.rows, columns: matrix.columns)
            names.insert(name)
        }
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
