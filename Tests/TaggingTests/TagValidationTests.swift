import Foundation
import Tagging
import XCTest

/// Tags that no output format could write are refused when training data is read.
final class TagValidationTests: XCTestCase {
    private func write(_ text: String, _ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "tag-validation-\(getpid())-\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testAUPOSWithASpaceIsRefusedNamingFileAndLine() throws {
        let text = "# text = A cat\n1\tA\t_\tDET\t_\t_\t0\troot\t_\t_\n\n"
            + "# text = The dog\n1\tThe\t_\tDET\t_\t_\t0\troot\t_\t_\n2\tdog\t_\tNO UN\t_\t_\t1\tdep\t_\t_\n\n"
        let path = try write(text, "space.conllu")
        XCTAssertThrowsError(try TrainingData.readTagged(path: path, format: .conllu)) { error in
            guard case .unwritableTag(path, let line, "NO UN", _)? = error as? TrainingDataError
            else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 4)
            XCTAssertEqual(
                error.localizedDescription,
                "\(path):4: the tag or label \"NO UN\" cannot be used: it holds white space (U+20); "
                    + TagValidation.rule)
        }
    }

    func testLabelsAndColumnTagsAreCheckedToo() throws {
        let labels = try write("positive fine\nneg|ative bad\n", "labels.txt")
        XCTAssertThrowsError(try TrainingData.readLabelled(path: labels)) { error in
            guard case .unwritableTag(labels, 2, "neg|ative", _)? = error as? TrainingDataError
            else { return XCTFail("\(error)") }
        }
        let columns = try write("EU B-ORG\nrejects O\u{1B}\n\n", "columns.conll")
        XCTAssertThrowsError(try TrainingData.readTagged(path: columns, format: .conll)) { error in
            XCTAssertTrue(
                error.localizedDescription.contains(#""O\u{1B}" cannot be used"#),
                error.localizedDescription)
        }
    }

    func testTagSchemeErrorsAreInWords() throws {
        let sentence = TrainingSentence(words: ["a", "b"], tags: ["O", "Q-PER"], line: 7)
        XCTAssertThrowsError(try TrainingData.validate([sentence], scheme: .iob2, path: "f")) {
            error in
            XCTAssertEqual(
                error.localizedDescription,
                "f:7: word 2 of the sentence has the tag \"Q-PER\", which is not O or one of B-TYPE, I-TYPE as IOB2 requires; check --tag-scheme"
            )
        }
    }

    func testOrdinaryTagsPass() {
        for tag in ["NOUN", "B-PER", "S-LOC", "positive", "PRON=x", "Ä", "$", "-LRB-"] {
            XCTAssertNil(TagValidation.problem(with: tag), tag)
        }
    }
}
