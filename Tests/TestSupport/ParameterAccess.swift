import LinearAlgebra
import NeuralNetwork
import XCTest

/// Asserts that `orderedParameterNames` of `layer` are the names of its `parameters`, that
/// `modifyParameters` visits the matrices of `parameters` in their order, that its changes
/// land in `layer`, and that it changes them in place: the storage
/// of a matrix written through it keeps its address (a key-path write through an array
/// subscript would copy it).
public func assertModifiesParametersInPlace<L: Parameterized>(
    _ layer: L, file: StaticString = #filePath, line: UInt = #line
) {
    let parameters = layer.parameters
    XCTAssertFalse(parameters.isEmpty, "no parameters to check", file: file, line: line)
    XCTAssertEqual(
        layer.orderedParameterNames, parameters.map(\.name), "names out of order", file: file,
        line: line)
    let expected = parameters.map { layer[keyPath: $0.keyPath] }
    var changed = layer
    var visited: [Int] = []
    changed.modifyParameters { i, matrix in
        visited.append(i)
        XCTAssertEqual(
            matrix, expected[i], "matrix \(i) is not \(parameters[i].name)", file: file,
            line: line)
    }
    XCTAssertEqual(visited, Array(parameters.indices), file: file, line: line)

    // Now with every storage referenced once, so that an in-place write keeps its address.
    var unique = layer
    unique.modifyParameters { _, matrix in
        matrix = Matrix(
            rows: matrix.rows, columns: matrix.columns, scalars: matrix.scalars.map { $0 })
    }
    let firsts = expected.map { $0.scalars[0] }
    let addresses = parameters.map { p in
        unique[keyPath: p.keyPath].scalars.withUnsafeBufferPointer {
            Int(bitPattern: $0.baseAddress)
        }
    }
    var moved: [String] = []
    unique.modifyParameters { i, matrix in
        matrix.withUnsafeMutablePointer { $0[0] += 1 }
        let address = matrix.scalars.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        if address != addresses[i] { moved.append(parameters[i].name) }
    }
    XCTAssertEqual(moved, [], "copied instead of changed in place", file: file, line: line)
    for (i, p) in parameters.enumerated() {
        XCTAssertEqual(
            unique[keyPath: p.keyPath].scalars[0], firsts[i] + 1, "\(p.name) unchanged",
            file: file, line: line)
    }
}
