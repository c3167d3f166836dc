import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class EmbeddingTests: XCTestCase {
    func testForwardGathersRows() {
        let embedding = Embedding<Float>(table: Matrix([[1, 2], [3, 4], [5, 6]]))
        let (output, cache) = embedding.forward([2, 0, 2])
        XCTAssertEqual(output, Matrix([[5, 6], [1, 2], [5, 6]]))
        XCTAssertEqual(cache.ids, [2, 0, 2])
        XCTAssertEqual(embedding([]).rows, 0)
    }

    func testSparseGradientSumsDuplicatesAndEqualsDense() {
        var random = SeededRandom(seed: 61)
        let embedding = Embedding<Double>(vocabularySize: 8, dimension: 4, random: &random)
        let ids = [5, 1, 5, 7, 1, 5]
        let r: Matrix<Double> = randomMatrix(rows: ids.count, columns: 4, using: &random)
        let sparse = embedding.backward(r, cache: embedding.forward(ids).cache)
        XCTAssertEqual(sparse.ids, [1, 5, 7])
        XCTAssertEqual(sparse.rows.rows, 3)
        assertClose(
            sparse.rows.row(1), (0..<4).map { r[0, $0] + r[2, $0] + r[5, $0] }, tolerance: 1e-14)
        // Dense reference: the gradient of one-hot(ids) · E is one-hot(ids)ᵀ · r.
        let oneHot: Matrix<Double> = OneHot.encode(ids, vocabularySize: 8)
        let dense = Matrix.matmul(oneHot, r, transposeA: .transposed)
        assertClose(sparse.dense(), dense, tolerance: 1e-14)
        GradientCheck().assertParameterGradients(
            of: embedding, gradient: embedding.denseGradient(sparse)
        ) {
            dotLoss($0(ids), r)
        }
    }

    func testOptimizersUpdateOnlyTouchedRows() {
        var random = SeededRandom(seed: 62)
        let original = Embedding<Float>(vocabularySize: 6, dimension: 3, random: &random)
        let ids = [4, 2, 4]
        let r: Matrix<Float> = randomMatrix(rows: 3, columns: 3, using: &random)
        let sparse = original.backward(r, cache: original.forward(ids).cache)
        var bySGD = original
        var sgd = SGD<Float>(learningRate: 0.5)
        sgd.update(&bySGD, along: sparse)
        var reference = original.table
        reference.add(sparse.dense(), scaledBy: -0.5)
        assertClose(bySGD.table, reference, tolerance: 1e-6)
        var byAdam = original
        var adam = Adam<Float>(learningRate: 0.01)
        adam.update(&byAdam, along: sparse, prefix: "words")
        XCTAssertEqual(adam.stepCount(of: "words.E"), 1)
        for row in [0, 1, 3, 5] {
            XCTAssertEqual(bySGD.table.row(row), original.table.row(row))
            XCTAssertEqual(byAdam.table.row(row), original.table.row(row))
        }
        XCTAssertNotEqual(byAdam.table.row(2), original.table.row(2))
    }

    func testSameSeedGivesIdenticalTables() {
        var a = SeededRandom(seed: 5)
        var b = SeededRandom(seed: 5)
        let first = Embedding<Float>(vocabularySize: 20, dimension: 8, random: &a)
        XCTAssertEqual(
            first.table, Embedding<Float>(vocabularySize: 20, dimension: 8, random: &b).table)
        XCTAssertLessThanOrEqual(first.table.maxMagnitude, Float((3.0 / 8).squareRoot()))
        XCTAssertEqual(first.parameters.map(\.name), ["E"])
    }
}
