import Foundation
import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

/// `Optimizer.step(_:names:gradients:)`, which Adam runs as one pass over every updated
/// element on two threads, and the pieces it is built from.
final class OptimizerStepTests: XCTestCase {
    /// Three parameters visited by name: two dense, one table updated by rows.
    struct Network: NamedParameters {
        var weights: Matrix<Float>
        var bias: Matrix<Float>
        var table: Matrix<Float>

        mutating func visitParameters(
            _ body: (String, inout Matrix<Float>) throws -> Void
        ) rethrows {
            try body("weights", &weights)
            try body("bias", &bias)
            try body("table", &table)
        }
    }

    /// Large enough that the pass is split over the two threads (more than
    /// `Adam.parallelElements` elements), with a table row on either side of the split.
    func testAdamStepGivesTheBitsOfUpdatingOneParameterAtATime() {
        var random = SeededRandom(seed: 12)
        let start = Network(
            weights: randomMatrix(rows: 300, columns: 130, using: &random),
            bias: randomMatrix(rows: 1, columns: 7, using: &random),
            table: randomMatrix(rows: 900, columns: 40, using: &random))
        var stepped = start
        var updated = start
        var adamStepped = Adam<Float>(learningRate: 0.01, weightDecay: 0.01)
        var adamUpdated = adamStepped
        let names = start.parameterNames
        XCTAssertEqual(names, ["weights", "bias", "table"])
        for step in 0..<4 {
            var gradients = ParameterGradients<Float>()
            gradients.dense["weights"] = randomMatrix(rows: 300, columns: 130, using: &random)
            // The bias has no gradient at the third step: it is not updated, nor counted.
            if step != 2 {
                gradients.dense["bias"] = randomMatrix(rows: 1, columns: 7, using: &random)
            }
            let ids = (0..<400).map { _ in Int(random.next() % 900) }
            gradients.sparse["table"] = SparseRowGradient(
                ids: ids, gradients: randomMatrix(rows: ids.count, columns: 40, using: &random),
                rowCount: 900)
            adamStepped.step(&stepped, names: names, gradients: gradients)
            adamUpdated.update(
                &updated.weights, along: gradients.dense["weights"]!, name: "weights")
            if let bias = gradients.dense["bias"] {
                adamUpdated.update(&updated.bias, along: bias, name: "bias")
            }
            adamUpdated.update(&updated.table, alongRows: gradients.sparse["table"]!, name: "table")
        }
        XCTAssertEqual(stepped.weights.scalars, updated.weights.scalars)
        XCTAssertEqual(stepped.bias.scalars, updated.bias.scalars)
        XCTAssertEqual(stepped.table.scalars, updated.table.scalars)
        XCTAssertNotEqual(stepped.weights.scalars, start.weights.scalars)
        for name in names {
            XCTAssertEqual(adamStepped.stepCount(of: name), adamUpdated.stepCount(of: name), name)
            XCTAssertEqual(
                adamStepped.moments(of: name)?.second.scalars,
                adamUpdated.moments(of: name)?.second.scalars, name)
        }
        XCTAssertEqual(adamStepped.stepCount(of: "bias"), 3)
    }

    /// A step leaves a copy of the network made before it untouched (storage shared with
    /// another value is copied before it is written).
    func testAdamStepDoesNotWriteThroughSharedStorage() {
        var random = SeededRandom(seed: 3)
        var network = Network(
            weights: randomMatrix(rows: 200, columns: 100, using: &random),
            bias: randomMatrix(rows: 1, columns: 3, using: &random),
            table: randomMatrix(rows: 10, columns: 4, using: &random))
        let before = network
        var gradients = ParameterGradients<Float>()
        gradients.dense["weights"] = randomMatrix(rows: 200, columns: 100, using: &random)
        var adam = Adam<Float>()
        adam.step(&network, names: network.parameterNames, gradients: gradients)
        XCTAssertNotEqual(network.weights, before.weights)
        XCTAssertEqual(network.bias, before.bias)
    }

    /// The visit by position of a `Parameterized` layer is its `modifyParameters`, in the
    /// order of its names.
    func testMatricesComeInTheOrderOfTheirNames() {
        var random = SeededRandom(seed: 5)
        var layer = Linear<Float>(inputSize: 3, outputSize: 2, random: &random)
        XCTAssertEqual(layer.parameterNames, ["W", "b"])
        XCTAssertEqual(layer.parameterMatrices, [layer.weight, layer.bias])
        var seen: [Int] = []
        layer.visitParameterMatrices { i, _ in seen.append(i) }
        XCTAssertEqual(seen, [0, 1])
    }

    func testEveryElementOfEverySegmentIsVisitedOnce() {
        for lengths in [[0, 5, 40_000, 0, 3, 17_001, 1], [16_383], [1, 0, 0], [], [70_000]] {
            let total = lengths.reduce(0, +)
            let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(total, 1))
            defer { visits.deallocate() }
            visits.initialize(repeating: 0)
            let starts = lengths.indices.map { lengths[..<$0].reduce(0, +) }
            TwoThreads.forEachElement(ofSegments: lengths) { segment, range in
                precondition(!range.isEmpty && range.upperBound <= lengths[segment])
                for i in range { visits[starts[segment] + i] += 1 }
            }
            XCTAssertEqual(visits.prefix(total).filter { $0 != 1 }.count, 0, "\(lengths)")
        }
    }

    /// With costs per element, the work is split where the elements before cost half of all,
    /// and every element is still visited once.
    func testCostsMoveTheSplitAndEveryElementIsVisitedOnce() {
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [10, 10]), 10)
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [10, 10], costs: [1, 1]), 10)
        // 40 in all: the first 7 elements cost 21, the first 6 only 18.
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [10, 10], costs: [3, 1]), 7)
        // 40 in all: the first 14 cost 22, the first 13 only 19.
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [10, 10], costs: [1, 3]), 14)
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [0, 5, 5], costs: [2, 9, 1]), 3)
        XCTAssertEqual(TwoThreads.splitPoint(ofSegments: [], costs: []), 0)
        let lengths = [3_000, 0, 40_000, 7, 20_000]
        let costs = [8, 1, 1, 8, 8]
        let total = lengths.reduce(0, +)
        let starts = lengths.indices.map { lengths[..<$0].reduce(0, +) }
        var visits = [Int](repeating: 0, count: total)
        visits.withUnsafeMutableBufferPointer { visits in
            TwoThreads.forEachElement(ofSegments: lengths, costs: costs) { segment, range in
                precondition(!range.isEmpty && range.upperBound <= lengths[segment])
                for i in range { visits[starts[segment] + i] += 1 }
            }
        }
        XCTAssertEqual(visits.filter { $0 != 1 }.count, 0)
        let split = TwoThreads.splitPoint(ofSegments: lengths, costs: costs)
        // 224,056 in all: 64,056 before the last segment, then 5,997 of its elements at 8.
        XCTAssertEqual(split, 3_000 + 40_000 + 7 + 5_997)
    }

    func testFewElementsStayOnTheCallingThread() {
        let caller = pthread_self()
        var threads: [pthread_t] = []
        TwoThreads.forEachElement(ofSegments: [10, 20], minimumElements: 100) { _, _ in
            threads.append(pthread_self())
        }
        XCTAssertEqual(threads.count, 2)
        XCTAssertTrue(threads.allSatisfy { pthread_equal($0, caller) != 0 })
    }

    func testMutablePointersWriteEachMatrixAndCopySharedStorage() {
        var matrices = [Matrix<Float>(rows: 2, columns: 2), Matrix<Float>(rows: 1, columns: 3)]
        let shared = matrices[1]
        Matrix.withUnsafeMutablePointers(&matrices) { pointers in
            XCTAssertEqual(pointers.count, 2)
            pointers[0][3] = 4
            pointers[1][0] = 7
        }
        XCTAssertEqual(matrices[0].scalars, [0, 0, 0, 4])
        XCTAssertEqual(matrices[1].scalars, [7, 0, 0])
        XCTAssertEqual(shared.scalars, [0, 0, 0])
        let sums = Matrix.withUnsafePointers(matrices) { pointers in
            zip(pointers, matrices).map { p, m in (0..<m.count).reduce(Float(0)) { $0 + p[$1] } }
        }
        XCTAssertEqual(sums, [4, 7])
    }

    /// The combination of two halves' gradients, large enough to be split over the two
    /// threads, element by element `wa·a + wb·b`, and `w·x` for a parameter on one side only.
    func testWeightedSumCombinesEveryElement() {
        var random = SeededRandom(seed: 9)
        var a = ParameterGradients<Float>()
        var b = ParameterGradients<Float>()
        a.dense["both"] = randomMatrix(rows: 300, columns: 120, using: &random)
        b.dense["both"] = randomMatrix(rows: 300, columns: 120, using: &random)
        a.dense["first"] = randomMatrix(rows: 2, columns: 5, using: &random)
        b.dense["second"] = randomMatrix(rows: 200, columns: 90, using: &random)
        let (wa, wb): (Float, Float) = (0.375, 0.625)
        let sum = ParameterGradients.weightedSum(a, wa, b, wb)
        XCTAssertEqual(Set(sum.dense.keys), ["both", "first", "second"])
        let (x, y) = (a.dense["both"]!.scalars, b.dense["both"]!.scalars)
        XCTAssertEqual(sum.dense["both"]!.scalars, zip(x, y).map { wa * $0 + wb * $1 })
        XCTAssertEqual(sum.dense["first"]!.scalars, a.dense["first"]!.scalars.map { wa * $0 })
        XCTAssertEqual(sum.dense["second"]!.scalars, b.dense["second"]!.scalars.map { wb * $0 })
        XCTAssertEqual(sum.dense["second"]!.rows, 200)
    }

    /// Sparse rows of two halves: the union of their ids, each row `wa·a + wb·b` (or one
    /// side's weighted row), as summing both sides' weighted rows by id gives them.
    func testWeightedSumMergesSparseRowsByID() {
        var random = SeededRandom(seed: 10)
        func sparse(_ ids: [Int]) -> SparseRowGradient<Float> {
            SparseRowGradient(
                ids: ids, gradients: randomMatrix(rows: ids.count, columns: 4, using: &random),
                rowCount: 50)
        }
        let (wa, wb): (Float, Float) = (0.4, 0.6)
        let cases: [([Int], [Int])] = [
            ([3, 7, 7, 12, 40], [0, 7, 12, 13, 49]), ([1, 2], [30, 31]), ([5], [5]), ([], [8, 9]),
        ]
        for (first, second) in cases {
            var a = ParameterGradients<Float>()
            var b = ParameterGradients<Float>()
            a.sparse["E"] = sparse(first)
            b.sparse["E"] = sparse(second)
            let (x, y) = (a.sparse["E"]!, b.sparse["E"]!)
            let expected = SparseRowGradient(
                ids: x.ids + y.ids,
                gradients: Matrix(
                    rows: x.ids.count + y.ids.count, columns: 4,
                    scalars: x.rows.scalars.map { wa * $0 } + y.rows.scalars.map { wb * $0 }),
                rowCount: 50)
            let sum = ParameterGradients.weightedSum(a, wa, b, wb).sparse["E"]!
            XCTAssertEqual(sum.ids, expected.ids, "\(first) and \(second)")
            XCTAssertEqual(sum.rows.scalars, expected.rows.scalars, "\(first) and \(second)")
            XCTAssertEqual(sum.rowCount, 50)
        }
        var one = ParameterGradients<Float>()
        one.sparse["E"] = sparse([4, 9])
        let alone = ParameterGradients.weightedSum(ParameterGradients(), wa, one, wb).sparse["E"]!
        XCTAssertEqual(alone.ids, [4, 9])
        XCTAssertEqual(alone.rows.scalars, one.sparse["E"]!.rows.scalars.map { wb * $0 })
    }
}

/// The two ways a sparse row gradient orders its positions agree, and rows sum by id.
final class SparseRowOrderTests: XCTestCase {
    /// Ids below a small bound, gathered once into a table of that many rows (counted by id)
    /// and once into a table far larger (sorted): the same ids and the same bits.
    func testCountingAndSortingGiveTheSameRows() {
        var random = SeededRandom(seed: 21)
        for (count, bound) in [(1, 1), (50, 7), (2_000, 110), (700, 3)] {
            let ids = (0..<count).map { _ in Int(random.next() % UInt64(bound)) }
            let rows: Matrix<Float> = randomMatrix(rows: count, columns: 5, using: &random)
            let counted = SparseRowGradient(ids: ids, gradients: rows, rowCount: bound)
            let sorted = SparseRowGradient(ids: ids, gradients: rows, rowCount: 1_000_000)
            XCTAssertEqual(counted.ids, sorted.ids, "\(count) positions, ids below \(bound)")
            XCTAssertEqual(counted.rows.scalars, sorted.rows.scalars)
            XCTAssertEqual(counted.ids, Array(Set(ids)).sorted())
        }
    }

    func testRowsOfEqualIDsAreSummedInPositionOrder() {
        let ids = [3, 1, 3, 0, 3]
        let rows = Matrix<Float>([[1e8], [2], [1], [4], [-1e8]])
        let sparse = SparseRowGradient(ids: ids, gradients: rows, rowCount: 5)
        XCTAssertEqual(sparse.ids, [0, 1, 3])
        // (1e8 + 1) − 1e8 in Float: the 1 is lost, as summing in position order loses it.
        XCTAssertEqual(sparse.rows.scalars, [4, 2, (Float(1e8) + 1) - Float(1e8)])
    }
}
