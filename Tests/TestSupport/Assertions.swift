import LinearAlgebra
import XCTest

/// Asserts that two matrices have the same shape and agree element-wise within
/// `tolerance`, measured relative to `max(1, |expected|)`.
///
/// Failures point at the caller's `file:line` and name the first offending element.
public func assertClose<Scalar: BLASScalar>(
    _ actual: Matrix<Scalar>, _ expected: Matrix<Scalar>, tolerance: Double,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.rows == expected.rows, actual.columns == expected.columns else {
        XCTFail(
            "shape \(actual.shapeDescription) differs from expected \(expected.shapeDescription) \(message())",
            file: file, line: line)
        return
    }
    assertClose(
        actual.scalars, expected.scalars, tolerance: tolerance, message(), file: file, line: line)
}

/// Asserts that two arrays have the same length and agree element-wise within
/// `tolerance`, relative to `max(1, |expected|)`.
public func assertClose<Scalar: BinaryFloatingPoint>(
    _ actual: [Scalar], _ expected: [Scalar], tolerance: Double,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail(
            "\(actual.count) elements, expected \(expected.count) \(message())", file: file,
            line: line)
        return
    }
    for i in actual.indices {
        let a = Double(actual[i])
        let e = Double(expected[i])
        let error = abs(a - e) / max(1, abs(e))
        if !(error <= tolerance) {
            XCTFail(
                "element \(i): \(a) differs from expected \(e) (error \(error) > \(tolerance)) \(message())",
                file: file, line: line)
            return
        }
    }
}

/// A seeded random matrix with entries uniform in `[-1, 1)`.
public func randomMatrix<Scalar: BLASScalar>(
    rows: Int, columns: Int, using random: inout SeededRandom, as _: Scalar.Type = Scalar.self
) -> Matrix<Scalar> {
    Initializer.uniform(rows: rows, columns: columns, limit: 1, using: &random)
}
