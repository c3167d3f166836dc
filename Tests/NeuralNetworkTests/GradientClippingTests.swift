import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class GradientClippingTests: XCTestCase {
    func testGlobalNormAndClippingAcrossParameters() {
        var gradient = Linear<Double>(weight: Matrix([[3, 0], [0, 4]]), bias: Matrix([[12, 0]]))
        XCTAssertEqual(GradientClipping.globalNorm(gradient), 13, accuracy: 1e-12)
        let norm = GradientClipping.clipByGlobalNorm(&gradient, maxNorm: 6.5)
        XCTAssertEqual(norm, 13, accuracy: 1e-12)
        XCTAssertEqual(GradientClipping.globalNorm(gradient), 6.5, accuracy: 1e-12)
        assertClose(gradient.weight, Matrix([[1.5, 0], [0, 2]]), tolerance: 1e-12)
        assertClose(gradient.bias, Matrix([[6, 0]]), tolerance: 1e-12)
        // Below the threshold nothing changes.
        let before = gradient
        XCTAssertEqual(
            GradientClipping.clipByGlobalNorm(&gradient, maxNorm: 100), 6.5, accuracy: 1e-12)
        XCTAssertEqual(gradient.weight, before.weight)
    }

    func testGlobalNormIncludesSparseGradients() {
        var gradient = Linear<Float>(weight: Matrix([[3]]), bias: Matrix([[0]]))
        var sparse = [
            SparseRowGradient(ids: [1, 1], gradients: Matrix<Float>([[2], [2]]), rowCount: 3)
        ]
        XCTAssertEqual(sparse[0].rows, Matrix([[4]]))
        let norm = GradientClipping.clipByGlobalNorm(&gradient, sparse: &sparse, maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(gradient.weight[0, 0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(sparse[0].rows[0, 0], 0.8, accuracy: 1e-6)
    }

    func testLargeFloatGradientsDoNotOverflowTheNorm() {
        var gradient = Linear<Float>(weight: Matrix([[3e30, 4e30]]), bias: Matrix([[0, 0]]))
        let norm = GradientClipping.clipByGlobalNorm(&gradient, maxNorm: 1)
        XCTAssertEqual(norm / 5e30, 1, accuracy: 1e-5)
        XCTAssertEqual(gradient.weight[0, 1], 0.8, accuracy: 1e-5)
    }

    func testClipByValue() {
        var gradient = Linear<Double>(
            weight: Matrix([[-5, 0.5], [2, -0.1]]), bias: Matrix([[1.5, -1.5]]))
        GradientClipping.clipByValue(&gradient, limit: 1)
        XCTAssertEqual(gradient.weight, Matrix([[-1, 0.5], [1, -0.1]]))
        XCTAssertEqual(gradient.bias, Matrix([[1, -1]]))
        var sparse = SparseRowGradient(ids: [0], gradients: Matrix<Double>([[3, -3]]), rowCount: 2)
        GradientClipping.clipByValue(&sparse, limit: 2)
        XCTAssertEqual(sparse.rows, Matrix([[2, -2]]))
    }
}
