import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import XCTest

/// The networks' visit by position (`visitParameterMatrices`, each training step's) reaches
/// the same matrices in the same order as their visit by name.
final class ParameterVisitTests: XCTestCase {
    func check<N: NamedParameters>(
        _ network: N, file: StaticString = #filePath, line: UInt = #line
    ) where N.Scalar == Float {
        var copy = network
        var byName: [Matrix<Float>] = []
        copy.visitParameters { _, matrix in byName.append(matrix) }
        XCTAssertGreaterThan(byName.count, 5, file: file, line: line)
        XCTAssertEqual(network.parameterMatrices, byName, file: file, line: line)
        // Writes by position land on the parameter of that position's name.
        var written = network
        written.visitParameterMatrices { i, matrix in
            if matrix.count > 0 { matrix.scalars[0] = Float(1000 + i) }
        }
        var position = 0
        written.visitParameters { name, matrix in
            if matrix.count > 0 {
                XCTAssertEqual(matrix.scalars[0], Float(1000 + position), name, file: file, line: line)
            }
            position += 1
        }
        XCTAssertEqual(position, network.parameterNames.count, file: file, line: line)
    }

    func testEveryNetworkVisitsInTheOrderOfItsNames() {
        var random = SeededRandom(seed: 8)
        for cell in [CellKind.lstm, .gru, .rnn] {
            let configuration = TokenClassifierNetworkTests.tinyConfiguration(
                cell: cell, crf: true, layers: 2)
            check(
                TokenClassifierNetwork<Float>(
                    configuration: configuration, wordCount: 9, characterCount: 7, tagCount: 4,
                    random: &random))
            check(
                SentenceClassifierNetwork<Float>(
                    configuration: configuration, wordCount: 9, characterCount: 7, labelCount: 3,
                    random: &random))
            check(
                JointTaggerNetwork<Float>(
                    configuration: configuration, wordCount: 9, characterCount: 7, posTagCount: 5,
                    nerTagCount: 3, random: &random))
        }
    }
}
