import LanguageModel
import LinearAlgebra
import NeuralNetwork
import Tagging
import TestSupport
import XCTest

/// Two-thread training of the character language model computes a chunk's streams in two
/// groups and combines them; the result must be that of all streams in one call.
final class CharacterLanguageModelDataParallelTests: XCTestCase {
    func check<Cell: RecurrentCell>(
        _: Cell.Type, streams: Int, split: Int, truncation: Int?,
        file: StaticString = #filePath, line: UInt = #line
    ) where Cell.Scalar == Double {
        var random = SeededRandom(seed: 21)
        let (symbols, steps, hidden) = (6, 5, 4)
        let network = CharacterLanguageNetwork<Cell>(
            symbolCount: symbols, embeddingDimension: 3, hiddenSize: hidden, layerCount: 2,
            random: &random)
        let inputs = (0..<(steps * streams)).map { _ in random.index(below: symbols) }
        let targets = (0..<(steps * streams)).map { _ in random.index(below: symbols) }
        let states = network.zeroStates(streams: streams).map { state in
            RecurrentState<Double>(
                hidden: randomMatrix(rows: streams, columns: hidden, using: &random),
                cell: state.cell.map { _ in
                    randomMatrix(rows: streams, columns: hidden, using: &random)
                })
        }
        func run(_ group: Range<Int>) -> CharacterChunkGradient<Cell> {
            // Time-major ids and the state rows of the streams in `group`.
            let pick = { (ids: [Int]) in
                (0..<steps).flatMap { t in group.map { ids[t * streams + $0] } }
            }
            func rows(_ m: Matrix<Double>) -> Matrix<Double> {
                Matrix(
                    rows: group.count, columns: m.columns,
                    scalars: Array(
                        m.scalars[(group.lowerBound * m.columns)..<(group.upperBound * m.columns)]))
            }
            let part = states.map {
                RecurrentState(hidden: rows($0.hidden), cell: $0.cell.map(rows))
            }
            var r = SeededRandom(seed: 1)
            return network.chunkGradient(
                inputs: pick(inputs), targets: pick(targets), streams: group.count, states: part,
                truncatedTo: truncation, dropout: 0, random: &r)
        }
        let whole = run(0..<streams)
        let a = run(0..<split)
        let b = run(split..<streams)
        // As the trainer runs them: the two groups at once on two threads.
        var (x, y): (CharacterChunkGradient<Cell>?, CharacterChunkGradient<Cell>?) = (nil, nil)
        TwoThreads.run({ x = run(0..<split) }, { y = run(split..<streams) })
        for combined in [a.combined(with: b), x!.combined(with: y!)] {
            XCTAssertEqual(combined.count, steps * streams, file: file, line: line)
            XCTAssertEqual(combined.loss, whole.loss, accuracy: 1e-12, file: file, line: line)
            for p in network.parameters {
                assertClose(
                    combined.gradient[keyPath: p.keyPath], whole.gradient[keyPath: p.keyPath],
                    tolerance: 1e-10, p.name, file: file, line: line)
            }
            XCTAssertEqual(combined.states.count, whole.states.count, file: file, line: line)
            for (s, w) in zip(combined.states, whole.states) {
                assertClose(s.hidden, w.hidden, tolerance: 1e-12, file: file, line: line)
                if let c = s.cell, let d = w.cell {
                    assertClose(c, d, tolerance: 1e-12, file: file, line: line)
                } else {
                    XCTAssertTrue(s.cell == nil && w.cell == nil, file: file, line: line)
                }
            }
        }
    }

    func testTwoGroupsOfStreamsCombineToAllStreams() {
        check(LSTMCell<Double>.self, streams: 4, split: 2, truncation: nil)
        check(LSTMCell<Double>.self, streams: 5, split: 2, truncation: 3)
        check(GRUCell<Double>.self, streams: 5, split: 2, truncation: nil)
        check(RNNCell<Double>.self, streams: 3, split: 1, truncation: 2)
    }

    /// One epoch with `threads: 2` follows one with `threads: 1` (without dropout the two
    /// differ only by rounding).
    func testTwoThreadTrainingFollowsOneThread() throws {
        var options = CharacterLanguageModelTrainingOptions()
        options.network.hidden = 16
        options.network.embeddingDimension = 8
        options.minimumCharacterCount = 1
        options.streams = 6
        options.chunkSteps = 8
        options.epochs = 2
        options.dropout = 0
        options.learningRate = 0.01
        let text = String(repeating: "the cat sat on the mat. ", count: 20)
        var scores: [Double] = []
        for threads in [1, 2] {
            options.threads = threads
            let model = try CharacterLanguageModelTrainer(options: options).train(text: text).model
            scores.append(try model.evaluate(text).bitsPerCharacter)
        }
        XCTAssertEqual(scores[0], scores[1], accuracy: 1e-3)
    }
}
