import LinearAlgebra
import NeuralNetwork
import XCTest

final class TrainingErrorTests: XCTestCase {
    func testNonFiniteLossThrows() {
        XCTAssertNoThrow(try NumericCheck.ensureFinite(loss: Float(1.5)))
        for bad in [Double.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try NumericCheck.ensureFinite(loss: bad)) { error in
                guard case TrainingError.nonFiniteLoss(let value, nil, nil) = error else {
                    return XCTFail("unexpected \(error)")
                }
                XCTAssertEqual(value.isNaN, bad.isNaN)
            }
        }
    }

    func testNonFiniteGradientNamesTheParameter() {
        var gradient = Linear<Float>(weight: Matrix([[1, 2]]), bias: Matrix([[0, 0]]))
        XCTAssertNoThrow(try NumericCheck.ensureFinite(gradient: gradient))
        gradient.bias[0, 1] = .nan
        XCTAssertThrowsError(try NumericCheck.ensureFinite(gradient: gradient, prefix: "head")) {
            XCTAssertEqual($0 as? TrainingError, .nonFiniteGradient(parameter: "head.b"))
        }
        gradient.bias[0, 1] = 0
        gradient.weight[0, 0] = -.infinity
        XCTAssertThrowsError(try NumericCheck.ensureFinite(gradient: gradient)) {
            XCTAssertEqual($0 as? TrainingError, .nonFiniteGradient(parameter: "W"))
        }
        let sparse = SparseRowGradient(ids: [0], gradients: Matrix<Double>([[.nan]]), rowCount: 1)
        XCTAssertThrowsError(try NumericCheck.ensureFinite(gradient: sparse, name: "E")) {
            XCTAssertEqual($0 as? TrainingError, .nonFiniteGradient(parameter: "E"))
        }
    }

    func testContextIsAddedByTheCaller() {
        let error = TrainingError.nonFiniteGradient(parameter: "encoder.Wx").at(epoch: 3, batch: 17)
        XCTAssertEqual(error.epoch, 3)
        XCTAssertEqual(error.batch, 17)
        XCTAssertEqual(error, .nonFiniteGradient(parameter: "encoder.Wx", epoch: 3, batch: 17))
        let message = error.localizedDescription
        XCTAssertTrue(message.contains("encoder.Wx"), message)
        XCTAssertTrue(message.contains("epoch 3, batch 17"), message)
        let loss = TrainingError.nonFiniteLoss(value: .infinity).at(epoch: 1, batch: nil)
        XCTAssertTrue(
            loss.localizedDescription.contains("inf in epoch 1"), loss.localizedDescription)
    }
}
