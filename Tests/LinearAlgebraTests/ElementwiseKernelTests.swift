import CKernels
import LinearAlgebra
import TestSupport
import XCTest

/// The element-wise C kernels of training, in every instruction-set version this CPU runs:
/// Adam's step against the Swift loop it replaced and the dropout mask against the
/// baseline version, the same bits, for lengths that are not whole vectors.
final class ElementwiseKernelTests: XCTestCase {
    private let counts = [0, 1, 2, 7, 15, 16, 17, 31, 33, 100, 513]

    /// The Swift loop `sqt_adam_step` replaced, one element at a time.
    private func adamReference(
        w: inout [Float], g: [Float], m: inout [Float], v: inout [Float],
        _ k: sqt_adam_coefficients
    ) {
        for i in w.indices {
            let mi = k.beta1 * m[i] + k.oneMinusBeta1 * g[i]
            let vi = k.beta2 * v[i] + k.oneMinusBeta2 * g[i] * g[i]
            m[i] = mi
            v[i] = vi
            w[i] =
                k.decay * w[i] - k.stepSize * mi
                / (vi.squareRoot() * k.inverseRootCorrection + k.epsilon)
        }
    }

    func testAdamStepGivesTheBitsOfTheSwiftLoopAtEveryLevel() {
        var random = SeededRandom(seed: 5)
        var k = sqt_adam_coefficients(
            beta1: 0.9, oneMinusBeta1: 1 - 0.9, beta2: 0.999, oneMinusBeta2: 1 - 0.999,
            stepSize: 0.001 / (1 - 0.9 * 0.9), inverseRootCorrection: 1 / (1 - 0.998_001).squareRoot(),
            epsilon: 1e-8, decay: 1 - 0.001 * 0.01)
        for count in counts {
            let draw = { (scale: Float) in
                (0..<count).map { _ in scale * Float(random.nextUnit() * 2 - 1) }
            }
            let (w0, g, m0) = (draw(1), draw(3), draw(0.1))
            let v0 = draw(0.01).map { $0 * $0 }
            var (w, m, v) = (w0, m0, v0)
            adamReference(w: &w, g: g, m: &m, v: &v, k)
            for level in 0..<Int(sqt_kernel_level_count()) {
                var (w1, m1, v1) = (w0, m0, v0)
                sqt_adam_step_at_level(Int32(level), count, &w1, g, &m1, &v1, &k)
                XCTAssertEqual(w1.map(\.bitPattern), w.map(\.bitPattern), "w, \(count), level \(level)")
                XCTAssertEqual(m1.map(\.bitPattern), m.map(\.bitPattern), "m, \(count), level \(level)")
                XCTAssertEqual(v1.map(\.bitPattern), v.map(\.bitPattern), "v, \(count), level \(level)")
            }
        }
    }

    /// Every level gives the baseline's mask (`DropoutTests` checks the mask against the
    /// Swift loop of `Dropout<Double>`); pairs follow the SplitMix64 stream.
    func testDropoutMaskIsTheSameAtEveryLevel() {
        for count in counts {
            for (keep, state) in [(0.5, UInt64(7)), (0.8, UInt64.max - 3), (0.95, 0x1234_5678_9ABC)] {
                let threshold = UInt64((keep * 4_294_967_296).rounded(.down))
                let scale = Float(1 / keep)
                var baseline = [Float](repeating: .nan, count: count)
                sqt_dropout_mask_at_level(0, count, state, threshold, scale, &baseline)
                XCTAssertTrue(baseline.allSatisfy { $0 == 0 || $0 == scale })
                if count >= 2 {
                    // The first pair is the low and high half of the stream's first output.
                    var z = state &+ 0x9E37_79B9_7F4A_7C15
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    z ^= z >> 31
                    XCTAssertEqual(baseline[0], (z & 0xFFFF_FFFF) < threshold ? scale : 0)
                    XCTAssertEqual(baseline[1], (z >> 32) < threshold ? scale : 0)
                }
                for level in 1..<Int(sqt_kernel_level_count()) {
                    var mask = [Float](repeating: .nan, count: count)
                    sqt_dropout_mask_at_level(Int32(level), count, state, threshold, scale, &mask)
                    XCTAssertEqual(
                        mask.map(\.bitPattern), baseline.map(\.bitPattern),
                        "count \(count), keep \(keep), level \(level)")
                }
                if count >= 500 {
                    let kept = Double(baseline.filter { $0 != 0 }.count) / Double(count)
                    XCTAssertEqual(kept, keep, accuracy: 0.08)
                }
            }
        }
    }

    /// Column sums (bias gradients) at every level: each column's rows added in order, the
    /// bits of the plain loop, also when added to what the output held.
    func testColumnSumsGiveTheBitsOfTheInOrderLoopAtEveryLevel() {
        var random = SeededRandom(seed: 6)
        for (rows, columns) in [(0, 5), (1, 1), (3, 17), (40, 33), (129, 512)] {
            let lda = columns + 3
            let a = (0..<(rows * lda)).map { _ in Float(random.nextUnit() * 2 - 1) }
            let start = (0..<columns).map { _ in Float(random.nextUnit()) }
            for accumulate in [false, true] {
                var expected = accumulate ? start : [Float](repeating: 0, count: columns)
                for r in 0..<rows {
                    for j in 0..<columns { expected[j] += a[r * lda + j] }
                }
                for level in 0..<Int(sqt_kernel_level_count()) {
                    var y = start
                    sqt_column_sums_at_level(
                        Int32(level), rows, columns, a, lda, accumulate ? 1 : 0, &y)
                    XCTAssertEqual(
                        y.map(\.bitPattern), expected.map(\.bitPattern),
                        "\(rows)×\(columns), accumulate \(accumulate), level \(level)")
                }
            }
        }
    }

    /// The sum of squares (the gradient norm) at every level: element i in lane i mod 16,
    /// the lanes added in a fixed tree, the bits of that order written in Swift.
    func testSumOfSquaresGivesTheBitsOfItsFixedOrderAtEveryLevel() {
        var random = SeededRandom(seed: 7)
        for count in counts + [4096, 100_003] {
            let x = (0..<count).map { _ in Float(random.nextUnit() * 4 - 2) }
            var lanes = [Float](repeating: 0, count: 16)
            for i in 0..<count { lanes[i % 16] += x[i] * x[i] }
            var width = 8
            while width > 0 {
                for l in 0..<width { lanes[l] += lanes[l + width] }
                width /= 2
            }
            let exact = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(Double(lanes[0]), exact, accuracy: 1e-5 * max(1, exact))
            for level in 0..<Int(sqt_kernel_level_count()) {
                XCTAssertEqual(
                    sqt_sum_of_squares_at_level(Int32(level), count, x).bitPattern,
                    lanes[0].bitPattern, "\(count) elements, level \(level)")
            }
        }
    }
}
