import LinearAlgebra
import NeuralNetwork
import XCTest

/// Central-difference gradient checking in `Double`.
///
/// The relative error of an element is `|analytic − numeric| / max(|analytic|,
/// |numeric|, floor)`; the floor keeps elements whose true gradient is zero from
/// dividing rounding noise by nothing.
public struct GradientCheck {
    /// The finite-difference step.
    public var step: Double
    /// The largest relative error accepted.
    public var tolerance: Double
    /// The smallest denominator of a relative error.
    public var floor: Double

    /// A checker with the given step, tolerance and denominator floor.
    public init(step: Double = 1e-5, tolerance: Double = 1e-6, floor: Double = 1e-4) {
        self.step = step
        self.tolerance = tolerance
        self.floor = floor
    }

    /// Whether every assertion prints its largest relative error to stdout; set the
    /// environment variable `GRADIENT_CHECK_REPORT=1` to see how close the checks are.
    public static var reportsErrors: Bool {
        ProcessInfo.processInfo.environment["GRADIENT_CHECK_REPORT"] != nil
    }

    /// The largest relative error between `analytic` and the central difference of
    /// `loss` over every element of `value`.
    public func maxRelativeError(
        of value: Matrix<Double>, analytic: Matrix<Double>, loss: (Matrix<Double>) -> Double
    ) -> (error: Double, index: Int) {
        precondition(
            value.rows == analytic.rows && value.columns == analytic.columns,
            "gradient \(analytic.shapeDescription) for a value \(value.shapeDescription)")
        var worst = (error: 0.0, index: -1)
        var probe = value
        for i in 0..<value.count {
            let original = probe.scalars[i]
            probe.scalars[i] = original + step
            let plus = loss(probe)
            probe.scalars[i] = original - step
            let minus = loss(probe)
            probe.scalars[i] = original
            let numeric = (plus - minus) / (2 * step)
            let a = analytic.scalars[i]
            let error = abs(a - numeric) / max(abs(a), abs(numeric), floor)
            if !(error <= worst.error) { worst = (error, i) }
        }
        return worst
    }

    /// Asserts that `analytic` is the gradient of `loss` at `value`.
    public func assertGradient(
        of value: Matrix<Double>, analytic: Matrix<Double>, named name: String,
        loss: (Matrix<Double>) -> Double, file: StaticString = #filePath, line: UInt = #line
    ) {
        let (error, index) = maxRelativeError(of: value, analytic: analytic, loss: loss)
        if GradientCheck.reportsErrors {
            print("gradient check \(name) \(value.shapeDescription): max relative error \(error)")
        }
        XCTAssertLessThanOrEqual(
            error, tolerance,
            "gradient of \(name) \(value.shapeDescription): relative error \(error) at element \(index)",
            file: file, line: line)
    }

    /// The looser check for `Float` layers: central differences taken in the layer's own
    /// scalar type (use a larger step, tolerance and floor, e.g. `1e-2` each), the loss
    /// reported as `Double`.
    public func assertGradient<Scalar: BLASScalar>(
        of value: Matrix<Scalar>, analytic: Matrix<Scalar>, named name: String,
        loss: (Matrix<Scalar>) -> Double, file: StaticString = #filePath, line: UInt = #line
    ) {
        let (error, index) = maxRelativeError(
            of: value.converted(to: Double.self), analytic: analytic.converted(to: Double.self),
            loss: { loss($0.converted(to: Scalar.self)) })
        if GradientCheck.reportsErrors {
            print(
                "gradient check \(name) \(value.shapeDescription) in \(Scalar.self): max relative error \(error)"
            )
        }
        XCTAssertLessThanOrEqual(
            error, tolerance,
            "gradient of \(name) \(value.shapeDescription) in \(Scalar.self): relative error \(error) at element \(index)",
            file: file, line: line)
    }

    /// Asserts that `gradient` holds the gradient of `loss` for every parameter of `layer`.
    public func assertParameterGradients<Layer: Parameterized>(
        of layer: Layer, gradient: Layer, loss: (Layer) -> Double,
        file: StaticString = #filePath, line: UInt = #line
    ) where Layer.Scalar == Double {
        for parameter in layer.parameters {
            assertGradient(
                of: layer[keyPath: parameter.keyPath],
                analytic: gradient[keyPath: parameter.keyPath],
                named: parameter.name,
                loss: { value in
                    var probe = layer
                    probe[keyPath: parameter.keyPath] = value
                    return loss(probe)
                }, file: file, line: line)
        }
    }
}
