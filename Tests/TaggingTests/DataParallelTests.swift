import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import XCTest

/// Data-parallel training splits a batch in two and combines the halves' losses and
/// gradients by their loss weights; the result must be the whole batch's.
final class DataParallelTests: XCTestCase {
    static let sentences = [
        ["The", "cat", "sat", "on", "the", "mat", "."], ["Dogs", "bark"],
        ["A", "cat", "naps", "here", "."], ["Birds", "sing", "."],
    ]

    func check(crf: Bool, file: StaticString = #filePath, line: UInt = #line) {
        var configuration = TokenClassifierNetworkTests.tinyConfiguration(cell: .lstm, crf: crf)
        configuration.embedder.wordDropout = 0
        let encoder = InputEncoder(training: Self.sentences, configuration: configuration.embedder)
        var random = SeededRandom(seed: 4)
        let network = TokenClassifierNetwork<Double>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count, tagCount: 3, random: &random)
        let targets = Self.sentences.map { $0.indices.map { $0 % 3 } }
        func run(_ indices: [Int]) -> (Double, ParameterGradients<Double>, Int) {
            let input = encoder.encode(indices.map { Self.sentences[$0] })
            var r = SeededRandom(seed: 1)
            let (loss, gradients) = network.lossAndGradients(
                input, targets: indices.map { targets[$0] }, training: false, random: &r)
            return (loss, gradients, network.lossWeight(input))
        }
        let (wholeLoss, whole, _) = run([0, 1, 2, 3])
        let a = run([0, 2])
        let b = run([1, 3])
        let total = Double(a.2 + b.2)
        let combinedLoss = (Double(a.2) * a.0 + Double(b.2) * b.0) / total
        let combined = ParameterGradients.weightedSum(
            a.1, Double(a.2) / total, b.1, Double(b.2) / total)
        XCTAssertEqual(combinedLoss, wholeLoss, accuracy: 1e-12, file: file, line: line)
        XCTAssertEqual(
            Set(combined.dense.keys), Set(whole.dense.keys), file: file, line: line)
        XCTAssertEqual(
            Set(combined.sparse.keys), Set(whole.sparse.keys), file: file, line: line)
        for (name, value) in network.namedParameters {
            assertClose(
                combined.denseGradient(of: name, rows: value.rows, columns: value.columns),
                whole.denseGradient(of: name, rows: value.rows, columns: value.columns),
                tolerance: 1e-10, file: file, line: line)
        }
    }

    /// A batch sorted longest first splits into halves that hold every sentence once, each
    /// sorted, whose token counts are nearer than those of every other sentence.
    func testBalancedHalvesSplitASortedBatchEvenly() {
        let lengths = [40, 31, 30, 22, 21, 20, 12, 11, 10, 3, 1]
        let halves = Trainer.balancedHalves(Array(lengths.indices))
        XCTAssertEqual(halves, [[0, 3, 4, 7, 8], [1, 2, 5, 6, 9, 10]])
        XCTAssertEqual(Trainer.balancedHalves([5]), [[5], []])
        XCTAssertEqual(Trainer.balancedHalves([]), [[], []])
        func tokens(_ half: [Int]) -> Int { half.reduce(0) { $0 + lengths[$1] } }
        let alternate = [0, 1].map { h in stride(from: h, to: lengths.count, by: 2).map { $0 } }
        XCTAssertEqual(abs(tokens(halves[0]) - tokens(halves[1])), 7)
        XCTAssertEqual(abs(tokens(alternate[0]) - tokens(alternate[1])), 27)
    }

    func testSoftmaxHalvesCombineToTheWholeBatch() { check(crf: false) }

    func testCRFHalvesCombineToTheWholeBatch() { check(crf: true) }

    /// Tagging on two threads gives what one thread gives, at every batch size.
    func testTaggingOnTwoThreadsMatchesOneThread() {
        var configuration = TokenClassifierNetworkTests.tinyConfiguration(cell: .lstm, crf: false)
        configuration.hidden = 8
        let encoder = InputEncoder(training: Self.sentences, configuration: configuration.embedder)
        var random = SeededRandom(seed: 5)
        let network = TokenClassifierNetwork<Float>(
            configuration: configuration, wordCount: encoder.words.count,
            characterCount: encoder.characters.count, tagCount: 3, random: &random)
        let model = TaggerModel(
            configuration: ModelConfiguration(task: .pos, network: configuration),
            inputEncoder: encoder, tags: ["A", "B", "C"], network: network)
        let sentences =
            (0..<40).map { Self.sentences[$0 % 4] + (0..<($0 % 5)).map { _ in "x" } }
            + [[]]
        let reference = model.tag(sentences, batchSize: 32, threads: 1)
        for batch in [1, 3, 32] {
            for threads in [1, 2] {
                let result = model.tag(sentences, batchSize: batch, threads: threads)
                XCTAssertEqual(result.map { $0.map(\.tag) }, reference.map { $0.map(\.tag) })
                XCTAssertEqual(
                    result.joined().map(\.probability.bitPattern),
                    reference.joined().map(\.probability.bitPattern),
                    "batch \(batch), \(threads) threads")
            }
        }
        XCTAssertEqual(reference.last, [])
    }
}
