import Foundation
import LanguageModel
import ModelStorage
import XCTest

/// Stored character counts are bounded when a model is read, so scoring never overflows.
final class CharacterCountBoundsTests: XCTestCase {
    func testHugeStoredCountsAreRejectedWhenLoading() throws {
        let model = try CharacterLanguageModelTests.helloModel()
        for huge in [Int.max, Int.max / 2, CharacterVocabulary.maximumTotalCount] {
            var file = try model.modelFile()
            var json = try JSONSerialization.jsonObject(with: file.configuration) as! [String: Any]
            var counts = json["characterCounts"] as! [Int]
            counts[2] = huge
            json["characterCounts"] = counts
            file.configuration = try JSONSerialization.data(withJSONObject: json)
            XCTAssertThrowsError(try CharacterLanguageModel(file: file, path: "c.model"), "\(huge)") {
                error in
                guard case .invalidVocabulary("c.model", "characters", let reason)? =
                    error as? ModelError
                else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("the counts add up to more than 4503599627370496"), reason)
            }
        }
        // Counts just within the bound load and score without trapping.
        var file = try model.modelFile()
        var json = try JSONSerialization.jsonObject(with: file.configuration) as! [String: Any]
        var counts = json["characterCounts"] as! [Int]
        counts[2] = CharacterVocabulary.maximumTotalCount - counts.reduce(0, +) + counts[2]
        json["characterCounts"] = counts
        file.configuration = try JSONSerialization.data(withJSONObject: json)
        let loaded = try CharacterLanguageModel(file: file)
        XCTAssertTrue(loaded.vocabulary.unigramBitsPerCharacter(of: "hello").isFinite)
    }
}
