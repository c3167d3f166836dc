import ModelStorage
import Tagging
import XCTest

/// Every model error a user can meet reads as a plain sentence: kinds of model named as a
/// user knows them, never an architecture identifier or a Swift enum dump.
final class ModelErrorMessageTests: XCTestCase {
    func testWrongKindNamesBothKindsAndWhereTheFileBelongs() {
        XCTAssertEqual(
            ModelError.wrongKind(
                path: "models/sentence-en.model", architecture: NeuralSentenceSplitter.architecture,
                expected: ModelArchitecture.tokenClassifier
            ).localizedDescription,
            "models/sentence-en.model is a sentence-splitter model, not a POS or NER tagger; use "
                + "it with --sentence-model of `tagger tokenize` or `tagger tag` (with --split-sentences)"
        )
        XCTAssertEqual(
            ModelError.wrongKind(
                path: "s.model", architecture: ModelArchitecture.sentenceClassifier,
                expected: ModelArchitecture.tokenClassifier
            ).localizedDescription,
            "s.model is a sentiment classifier, not a POS or NER tagger; use it with "
                + "`tagger classify --model` or `tagger eval --model`")
        XCTAssertEqual(
            ModelError.wrongKind(
                path: "p.model", architecture: ModelArchitecture.tokenClassifier,
                expected: ModelArchitecture.characterLanguageModel
            ).localizedDescription,
            "p.model is a POS or NER tagger, not a character language model; use it with "
                + "`tagger tag --model` or `tagger eval --model`")
        XCTAssertEqual(
            ModelError.wrongKind(
                path: "x.model", architecture: "Other.v9", expected: Trainer.checkpointArchitecture
            ).localizedDescription,
            "x.model is a model of an architecture this build does not know (\"Other.v9\"), not a "
                + "training checkpoint; retrain it with this build, or use the build that wrote it")
        XCTAssertEqual(
            ModelFileError.wrongArchitecture(
                found: ModelArchitecture.characterLanguageModel,
                expected: NeuralSentenceSplitter.architecture
            ).localizedDescription,
            "the model is a character language model, not a sentence-splitter model; use it "
                + "with `tagger generate --model` or `tagger eval --model`")
    }

    func testEveryCaseDescribesItselfInASentence() {
        let errors: [Error] = [
            ModelError.wrongKind(path: "a", architecture: "X.v1", expected: "Y.v1"),
            ModelError.unexpectedParameter(path: "a", name: "w"),
            ModelError.invalidVocabulary(path: "a", name: "words", reason: "empty"),
            ModelFileError.cannotOpen(path: "a", reason: "no such file"),
            ModelFileError.notAModelFile(path: "a"),
            ModelFileError.unsupportedVersion(path: "a", found: 99, supported: 3),
            ModelFileError.truncated(path: "a", needed: 8, available: 2),
            ModelFileError.checksumMismatch(path: "a", stored: 1, computed: 2),
            ModelFileError.malformedHeader(reason: "bad JSON"),
            ModelFileError.wrongArchitecture(found: "X.v1", expected: "Y.v1"),
            ModelFileError.missingParameter(name: "w"),
            ModelFileError.duplicateParameter(name: "w"),
            ModelFileError.missingVocabulary(name: "words"),
            ModelFileError.shapeMismatch(name: "w", expected: "[1, 2]", found: "[2, 1]"),
            ModelFileError.implausibleConfiguration(reason: "hidden 0"),
            ModelFileError.writeFailed(path: "a", reason: "disk full"),
        ]
        for error in errors {
            let message = error.localizedDescription
            XCTAssertFalse(message.contains("(path:"), message)
            XCTAssertFalse(message.contains("The operation could not be completed"), message)
            XCTAssertFalse(message.hasSuffix("."), message)
            XCTAssertGreaterThan(message.split(separator: " ").count, 3, message)
        }
    }
}
