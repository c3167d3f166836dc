import Foundation
import LinearAlgebra
import NeuralNetwork
import Tagging
import XCTest

/// Training gives, for a seed, the very model (byte for byte) and the very losses that the
/// training code gave before the loop and the optimizers were shared by every model. The
/// expected figures were taken from that code on this corpus; a change to the arithmetic of
/// the optimizer, the clipping or the batching shows here first. The figures were taken
/// again when the weight gradients moved from OpenBLAS to the `Aᵀ · B` kernel
/// (`sqt_gemm_tn`) and the input gradient to the packed product, whose sums round
/// differently (the losses moved in their last bits only), and again when the backward pass
/// of a batch sorted longest first, where padding is more than a quarter of the rows, began
/// to sum the weight gradients over its tokens' rows only (the same: last bits of the
/// losses), and again when the last products and sums that went through OpenBLAS (the
/// output layer's products, the bias gradients' column sums, the gradient norm's dot) moved
/// to the project's kernels: before, the figures held only for the OpenBLAS core they were
/// taken with (Haswell), and any other core (Cooperlake, chosen by OpenBLAS on a Zen 4 CPU)
/// trained a model that differed in its last bits. They now hold whatever core OpenBLAS
/// runs (checked with `OPENBLAS_CORETYPE` set to Prescott, Haswell, SkylakeX and
/// Cooperlake), for the AVX-512 versions of the C kernels, which sum in other orders than
/// the AVX2 and baseline versions. They were taken again when the character BiLSTM began
/// to read its input as rows of the batch's distinct characters (`TableRows`), whose
/// weight and embedding gradients sum each character's deltas first (the losses moved in
/// their last bits). The two-thread figures were taken again when a batch's halves became
/// pairs dealt in turn (`Trainer.balancedHalves`) instead of every other sentence: other
/// halves, other dropout masks, another model.
final class TrainingRegressionTests: XCTestCase {
    /// A deterministic corpus of `count` sentences drawn from a small tagged lexicon.
    static func corpus(_ count: Int, seed: UInt64) -> [TrainingSentence] {
        let words: [(String, String)] = [
            ("the", "DET"), ("a", "DET"), ("cat", "NOUN"), ("dog", "NOUN"), ("house", "NOUN"),
            ("runs", "VERB"), ("sleeps", "VERB"), ("sees", "VERB"), ("big", "ADJ"),
            ("small", "ADJ"), ("quickly", "ADV"), ("she", "PRON"), ("in", "ADP"), (".", "PUNCT"),
        ]
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        return (0..<count).map { _ in
            let length = 3 + Int(next() >> 60)
            let drawn = (0..<length).map { _ in words[Int(next() >> 33) % words.count] }
            return TrainingSentence(words: drawn.map(\.0), tags: drawn.map(\.1))
        }
    }

    /// FNV-1a over `bytes`, as 16 hex digits.
    static func fingerprint(_ bytes: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(hash, radix: 16)
    }

    /// Trains a POS tagger on the corpus with `threads` and returns the model file's
    /// fingerprint and the losses of its epochs.
    private func train(threads: Int) throws -> (fingerprint: String, losses: [Double]) {
        try XCTSkipUnless(
            Float.kernelLevel == "AVX-512",
            "the expected figures are those of the AVX-512 kernels; this CPU runs \(Float.kernelLevel)"
        )
        var options = TrainingOptions()
        options.epochs = 3
        options.batchSize = 4
        options.patience = 100
        options.threads = threads
        options.seed = 7
        var network = NetworkConfiguration()
        network.hidden = 16
        network.embedder.wordDimension = 16
        network.embedder.characterDimension = 8
        network.embedder.characterHidden = 8
        let output =
            NSTemporaryDirectory() + "training-regression-\(getpid())-\(threads).model"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var trainer = Trainer(options: options)
        trainer.outputPath = output
        var losses: [Double] = []
        trainer.onEvent = { if case .epochFinished(let e) = $0 { losses.append(e.loss) } }
        let train = Self.corpus(120, seed: 99)
        let dev = Self.corpus(30, seed: 7)
        _ = try trainer.trainTagger(task: .pos, network: network, train: train, dev: dev)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        return (Self.fingerprint(bytes), losses)
    }

    func testOneThreadGivesTheModelOfThePreviousTrainingCode() throws {
        let run = try train(threads: 1)
        XCTAssertEqual(
            run.losses.map { String($0.bitPattern, radix: 16) },
            ["40004e6109111111", "3fff61ad65555555", "3ffe01e9a4444444"])
        XCTAssertEqual(run.fingerprint, "8827b5c7fa6e3bf4")
    }

    func testTwoThreadsGiveTheModelOfThePreviousTrainingCode() throws {
        let run = try train(threads: 2)
        XCTAssertEqual(
            run.losses.map { String($0.bitPattern, radix: 16) },
            ["40004538baaaaaab", "3fff39df53333333", "3ffde941beeeeeef"])
        XCTAssertEqual(run.fingerprint, "9b88111d4e07864f")
    }
}
