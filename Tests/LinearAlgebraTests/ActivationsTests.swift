import Foundation
import LinearAlgebra
import TestSupport
import XCTest

final class ActivationsTests: XCTestCase {
    /// Inputs across the whole useful range, with a length that leaves a partial
    /// SIMD block at the end.
    private var inputs: [Float] {
        stride(from: -95.0, through: 95.0, by: 0.0371).map { Float($0) } + [0, -0.0, 1e-8, -1e-8]
    }

    func testVectorSigmoidMatchesLibm() {
        var m = Matrix<Float>(rows: 1, columns: inputs.count, scalars: inputs)
        m.applySigmoid()
        for (x, y) in zip(inputs, m.scalars) {
            let expected = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertEqual(
                Double(y), expected, accuracy: 3e-7 * max(expected, 1e-30) + 1e-38, "x=\(x)")
        }
    }

    func testVectorTanhMatchesLibm() {
        var m = Matrix<Float>(rows: 1, columns: inputs.count, scalars: inputs)
        m.applyTanh()
        for (x, y) in zip(inputs, m.scalars) {
            XCTAssertEqual(Double(y), Foundation.tanh(Double(x)), accuracy: 2e-7, "x=\(x)")
            XCTAssertTrue(abs(y) <= 1, "tanh(\(x)) = \(y) outside [-1, 1]")
        }
    }

    func testDoubleActivationsAreExact() {
        var m = Matrix<Double>([[-3, 0, 0.5, 40]])
        var t = m
        m.applySigmoid()
        t.applyTanh()
        assertClose(
            m.scalars, [-3, 0, 0.5, 40].map { 1 / (1 + Foundation.exp(-$0)) }, tolerance: 1e-15)
        assertClose(t.scalars, [-3, 0, 0.5, 40].map { Foundation.tanh($0) }, tolerance: 1e-15)
    }

    func testSoftmaxIsStableAndNormalised() {
        let m = Matrix<Double>([[1000, 1001, 1002], [-1000, -1000, -1000], [0, 0, 0]])
        let s = m.softmaxRows()
        let e = [1.0, Foundation.exp(1), Foundation.exp(2)]
        let z = e.reduce(0, +)
        assertClose(s.row(0), e.map { $0 / z }, tolerance: 1e-14)
        assertClose(s.row(1), [1.0 / 3, 1.0 / 3, 1.0 / 3], tolerance: 1e-14)
        let logS = m.logSoftmaxRows()
        assertClose(logS.row(0), e.map { Foundation.log($0 / z) }, tolerance: 1e-12)
        XCTAssertTrue(logS.scalars.allSatisfy { $0.isFinite })
    }

    func testLogSumExpOfNegativeInfinitiesIsNegativeInfinity() {
        let x: [Double] = [-.infinity, -.infinity]
        XCTAssertEqual(Softmax.logSumExp(x, count: 2), -.infinity)
    }
}
