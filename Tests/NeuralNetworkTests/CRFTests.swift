import LinearAlgebra
import NeuralNetwork
import TestSupport
import XCTest

final class CRFTests: XCTestCase {
    /// Lengths of a padded batch with an empty sequence; time = 4.
    let lengths = [4, 2, 0, 3]
    let time = 4

    func makeCRF(seed: UInt64, tags: Int = 3) -> (CRF<Double>, Matrix<Double>) {
        var random = SeededRandom(seed: seed)
        var crf = CRF<Double>(tagCount: tags, random: &random)
        // Larger scores than the initialiser's, so that paths differ clearly.
        crf.transitions = 2 * randomMatrix(rows: tags, columns: tags, using: &random)
        crf.start = randomMatrix(rows: 1, columns: tags, using: &random)
        crf.end = randomMatrix(rows: 1, columns: tags, using: &random)
        let emissions: Matrix<Double> =
            3 * randomMatrix(rows: time * lengths.count, columns: tags, using: &random)
        return (crf, emissions)
    }

    /// Every tag path of length `length` over `tags` tags.
    func allPaths(length: Int, tags: Int) -> [[Int]] {
        var paths: [[Int]] = [[]]
        for _ in 0..<length { paths = paths.flatMap { p in (0..<tags).map { p + [$0] } } }
        return paths
    }

    func testLogPartitionViterbiAndMarginalsMatchBruteForce() {
        let (crf, emissions) = makeCRF(seed: 51)
        let k = crf.tagCount
        let batch = lengths.count
        let logZ = crf.logPartition(emissions: emissions, lengths: lengths)
        let decoded = crf.viterbi(emissions: emissions, lengths: lengths)
        let marginals = crf.marginals(emissions: emissions, lengths: lengths)
        for (s, length) in lengths.enumerated() {
            guard length > 0 else {
                XCTAssertEqual(logZ[s], 0)
                XCTAssertEqual(decoded[s].tags, [])
                continue
            }
            let paths = allPaths(length: length, tags: k)
            var pathScores: [Double] = []
            for path in paths {
                // Score by hand from the definition.
                var total = crf.start[0, path[0]] + crf.end[0, path[length - 1]]
                for t in 0..<length {
                    total += emissions[t * batch + s, path[t]]
                    if t > 0 { total += crf.transitions[path[t - 1], path[t]] }
                }
                var tags = lengths.map { Array(repeating: 0, count: $0) }
                tags[s] = path
                XCTAssertEqual(
                    crf.score(emissions: emissions, lengths: lengths, tags: tags)[s], total,
                    accuracy: 1e-12)
                pathScores.append(total)
            }
            let maximum = pathScores.max()!
            let bruteLogZ = maximum + log(pathScores.reduce(0) { $0 + exp($1 - maximum) })
            XCTAssertEqual(logZ[s], bruteLogZ, accuracy: 1e-10, "sequence \(s)")
            let best = pathScores.firstIndex(of: maximum)!
            XCTAssertEqual(decoded[s].tags, paths[best], "sequence \(s)")
            XCTAssertEqual(decoded[s].score, maximum, accuracy: 1e-10)
            for t in 0..<length {
                var expected = [Double](repeating: 0, count: k)
                for (p, path) in paths.enumerated() {
                    expected[path[t]] += exp(pathScores[p] - bruteLogZ)
                }
                assertClose(
                    marginals.row(t * batch + s), expected, tolerance: 1e-10, "step \(t) of \(s)")
                XCTAssertEqual(marginals.row(t * batch + s).reduce(0, +), 1, accuracy: 1e-12)
            }
            for t in length..<time { XCTAssertEqual(marginals.row(t * batch + s), [0, 0, 0]) }
        }
    }

    func testViterbiOnLargerTagSetMatchesBruteForce() {
        var random = SeededRandom(seed: 52)
        let crf = CRF<Double>(
            transitions: 2 * randomMatrix(rows: 5, columns: 5, using: &random),
            start: randomMatrix(rows: 1, columns: 5, using: &random),
            end: randomMatrix(rows: 1, columns: 5, using: &random))
        let emissions: Matrix<Double> = randomMatrix(rows: 5, columns: 5, using: &random)
        let paths = allPaths(length: 5, tags: 5)
        let scores = paths.map { crf.score(emissions: emissions, lengths: [5], tags: [$0])[0] }
        let best = scores.indices.max { scores[$0] < scores[$1] }!
        let decoded = crf.viterbi(emissions: emissions, lengths: [5])[0]
        XCTAssertEqual(decoded.tags, paths[best])
        XCTAssertEqual(decoded.score, scores[best], accuracy: 1e-12)
    }

    func testNegativeLogLikelihoodGradientsMatchCentralDifferences() {
        let (crf, emissions) = makeCRF(seed: 53)
        let gold = [[0, 2, 1, 1], [2, 0], [], [1, 1, 0]]
        for reduction in [LossReduction.mean, .sum] {
            let (loss, cache) = crf.forward(
                emissions: emissions, lengths: lengths, tags: gold, reduction: reduction)
            XCTAssertGreaterThan(loss, 0)
            let (dEmissions, gradient) = crf.backward(cache: cache)
            // A step of 1e-4: the loss sums several log-partitions (about 10), and at the
            // default 1e-5 its rounding noise alone reaches 6e-7 of the smallest gradients.
            let checker = GradientCheck(step: 1e-4)
            checker.assertGradient(
                of: emissions, analytic: dEmissions, named: "emissions \(reduction)"
            ) {
                crf.forward(emissions: $0, lengths: self.lengths, tags: gold, reduction: reduction)
                    .loss
            }
            checker.assertParameterGradients(of: crf, gradient: gradient) {
                $0.forward(
                    emissions: emissions, lengths: self.lengths, tags: gold, reduction: reduction
                ).loss
            }
            // Padded rows and the empty sequence get no gradient.
            for s in 0..<lengths.count {
                for t in lengths[s]..<time {
                    XCTAssertEqual(
                        dEmissions.row(t * lengths.count + s), [0, 0, 0], "row (\(t), \(s))")
                }
            }
            // dLoss scales everything.
            let (halfEmissions, halfGradient) = crf.backward(cache: cache, dLoss: 0.5)
            assertClose(halfEmissions, 0.5 * dEmissions, tolerance: 1e-14)
            assertClose(halfGradient.transitions, 0.5 * gradient.transitions, tolerance: 1e-14)
        }
    }

    func testPaddedBatchEqualsSequencesOneByOne() {
        let (crf, emissions) = makeCRF(seed: 54)
        let gold = [[0, 2, 1, 1], [2, 0], [], [1, 1, 0]]
        let batch = lengths.count
        let (batchLoss, batchCache) = crf.forward(
            emissions: emissions, lengths: lengths, tags: gold, reduction: .sum)
        let (batchDE, batchGradient) = crf.backward(cache: batchCache)
        let decoded = crf.viterbi(emissions: emissions, lengths: lengths)
        var total = 0.0
        var transitionsGradient = crf.zeroed().transitions
        for s in 0..<batch where lengths[s] > 0 {
            let rows = (0..<lengths[s]).flatMap { emissions.row($0 * batch + s) }
            let single = Matrix(rows: lengths[s], columns: 3, scalars: rows)
            let (loss, cache) = crf.forward(
                emissions: single, lengths: [lengths[s]], tags: [gold[s]], reduction: .sum)
            total += loss
            let (dE, gradient) = crf.backward(cache: cache)
            transitionsGradient += gradient.transitions
            for t in 0..<lengths[s] {
                assertClose(batchDE.row(t * batch + s), dE.row(t), tolerance: 1e-12)
            }
            XCTAssertEqual(crf.viterbi(emissions: single, lengths: [lengths[s]])[0], decoded[s])
        }
        XCTAssertEqual(batchLoss, total, accuracy: 1e-10)
        assertClose(batchGradient.transitions, transitionsGradient, tolerance: 1e-12)
        // The mean divides by the three non-empty sequences.
        XCTAssertEqual(
            crf.forward(emissions: emissions, lengths: lengths, tags: gold).loss, total / 3,
            accuracy: 1e-10)
    }

    func testFloatAgreesWithDoubleAndStaysFiniteForLargeScores() {
        let (crf, emissions) = makeCRF(seed: 55)
        let gold = [[0, 2, 1, 1], [2, 0], [], [1, 1, 0]]
        let crfF = CRF<Float>(
            transitions: crf.transitions.converted(), start: crf.start.converted(),
            end: crf.end.converted())
        let (lossD, cacheD) = crf.forward(emissions: emissions, lengths: lengths, tags: gold)
        let (lossF, cacheF) = crfF.forward(
            emissions: emissions.converted(), lengths: lengths, tags: gold)
        XCTAssertEqual(Double(lossF), lossD, accuracy: 1e-4)
        let (dD, gD) = crf.backward(cache: cacheD)
        let (dF, gF) = crfF.backward(cache: cacheF)
        assertClose(dF.converted(to: Double.self), dD, tolerance: 1e-5)
        assertClose(gF.transitions.converted(to: Double.self), gD.transitions, tolerance: 1e-5)
        assertClose(gF.start.converted(to: Double.self), gD.start, tolerance: 1e-5)
        assertClose(gF.end.converted(to: Double.self), gD.end, tolerance: 1e-5)
        let floatCheck = GradientCheck(step: 1e-2, tolerance: 1e-2, floor: 1e-2)
        let emissionsF: Matrix<Float> = emissions.converted()
        floatCheck.assertGradient(of: emissionsF, analytic: dF, named: "emissions") {
            Double(crfF.forward(emissions: $0, lengths: self.lengths, tags: gold).loss)
        }
        floatCheck.assertGradient(
            of: crfF.transitions, analytic: gF.transitions, named: "transitions"
        ) {
            var probe = crfF
            probe.transitions = $0
            return Double(
                probe.forward(emissions: emissionsF, lengths: self.lengths, tags: gold).loss)
        }

        // Scores in the thousands overflow exp() but not the log-space recursions.
        let huge: Matrix<Float> = 1000 * emissions.converted()
        let logZ = crfF.logPartition(emissions: huge, lengths: lengths)
        XCTAssertTrue(logZ.allSatisfy { $0.isFinite }, "\(logZ)")
        let marginals = crfF.marginals(emissions: huge, lengths: lengths)
        XCTAssertTrue(marginals.scalars.allSatisfy { $0.isFinite })
        let (loss, cache) = crfF.forward(emissions: huge, lengths: lengths, tags: gold)
        XCTAssertTrue(loss.isFinite && loss >= 0)
        XCTAssertTrue(NumericCheck.isFinite(crfF.backward(cache: cache).dEmissions))
    }

    func testUnderflowingScoresFallBackToExactLogSpace() {
        // Scores hundreds apart underflow exp() even in Double (about 708), and −10⁴
        // marks a forbidden transition; results must still match brute force.
        var (crf, emissions) = makeCRF(seed: 56)
        emissions = 300 * emissions
        crf.transitions[0, 1] = -10_000
        crf.transitions[2, 2] = -10_000
        let batch = lengths.count
        let logZ = crf.logPartition(emissions: emissions, lengths: lengths)
        let marginals = crf.marginals(emissions: emissions, lengths: lengths)
        for (s, length) in lengths.enumerated() where length > 0 {
            let paths = allPaths(length: length, tags: 3)
            var tags = lengths.map { Array(repeating: 0, count: $0) }
            let scores = paths.map { path -> Double in
                tags[s] = path
                return crf.score(emissions: emissions, lengths: lengths, tags: tags)[s]
            }
            let maximum = scores.max()!
            let brute = maximum + log(scores.reduce(0) { $0 + exp($1 - maximum) })
            XCTAssertEqual(logZ[s], brute, accuracy: 1e-9 * abs(brute), "sequence \(s)")
            for t in 0..<length {
                var expected = [0.0, 0, 0]
                for (p, path) in paths.enumerated() { expected[path[t]] += exp(scores[p] - brute) }
                assertClose(
                    marginals.row(t * batch + s), expected, tolerance: 1e-9, "step \(t) of \(s)")
            }
        }
        let gold = [[0, 2, 1, 1], [2, 0], [], [1, 1, 0]]
        let (_, cache) = crf.forward(
            emissions: emissions, lengths: lengths, tags: gold, reduction: .sum)
        let (dEmissions, gradient) = crf.backward(cache: cache)
        // The loss is about 2000 here, so one ulp of it (4.5e-13) over the step is the
        // noise of a numeric derivative: a larger step and floor keep that below 1e-6.
        let checker = GradientCheck(step: 1e-3, floor: 1e-3)
        checker.assertGradient(of: emissions, analytic: dEmissions, named: "emissions (underflow)")
        {
            crf.forward(emissions: $0, lengths: self.lengths, tags: gold, reduction: .sum).loss
        }
        checker.assertParameterGradients(of: crf, gradient: gradient) {
            $0.forward(emissions: emissions, lengths: self.lengths, tags: gold, reduction: .sum)
                .loss
        }
    }

    func testPathThroughAnUnderflowedStateStillCounts() {
        // Tag 0 cannot move to 1 or 2. At step 1 the only mass of tags 1 and 2 comes from
        // step-0 states 1000 below tag 0 (exp underflows), yet step 2 forces tag 1, so the
        // whole partition function flows through them: log Z ≈ −1000, not −5000 or −10⁴.
        var transitions = Matrix<Double>(rows: 3, columns: 3)
        transitions[0, 1] = -10_000
        transitions[0, 2] = -10_000
        let zero = Matrix<Double>(rows: 1, columns: 3)
        let emissions = Matrix<Double>([[0, -1000, -1000], [0, 0, 0], [-5000, 0, -5000]])
        let crf = CRF<Double>(transitions: transitions, start: zero, end: zero)
        let scores = allPaths(length: 3, tags: 3).map {
            crf.score(emissions: emissions, lengths: [3], tags: [$0])[0]
        }
        let maximum = scores.max()!
        let brute = maximum + log(scores.reduce(0) { $0 + exp($1 - maximum) })
        XCTAssertEqual(brute, -1000 + log(4), accuracy: 1e-9)
        XCTAssertEqual(
            crf.logPartition(emissions: emissions, lengths: [3])[0], brute, accuracy: 1e-9)
        let crfF = CRF<Float>(
            transitions: transitions.converted(), start: zero.converted(), end: zero.converted())
        XCTAssertEqual(
            Double(crfF.logPartition(emissions: emissions.converted(), lengths: [3])[0]), brute,
            accuracy: 1e-3)
        let marginals = crf.marginals(emissions: emissions, lengths: [3])
        assertClose(marginals.row(2), [0, 1, 0], tolerance: 1e-9)
        assertClose(marginals.row(0), [0, 0.5, 0.5], tolerance: 1e-9)
        let (loss, cache) = crf.forward(emissions: emissions, lengths: [3], tags: [[1, 2, 1]])
        XCTAssertEqual(loss, log(4), accuracy: 1e-9)
        let (dEmissions, gradient) = crf.backward(cache: cache)
        assertClose(dEmissions.row(0), [0, -0.5, 0.5], tolerance: 1e-9)
        // Expected transition counts minus the gold ones (1→2, then 2→1).
        assertClose(gradient.transitions.row(1), [0, 0.75, -0.75], tolerance: 1e-9)
        assertClose(gradient.transitions.row(2), [0, -0.25, 0.25], tolerance: 1e-9)
    }

    func testForbiddenTransitionsAtMinusInfinityStayFinite() {
        // Tag schemes forbid transitions (O → I in IOB2) with −∞ scores.
        var (crf, emissions) = makeCRF(seed: 57)
        crf.transitions[0, 2] = -.infinity
        crf.transitions[1, 2] = -.infinity
        let gold = [[0, 0, 1, 1], [2, 0], [], [1, 1, 0]]
        let (loss, cache) = crf.forward(emissions: emissions, lengths: lengths, tags: gold)
        XCTAssertTrue(loss.isFinite)
        let (dEmissions, gradient) = crf.backward(cache: cache)
        XCTAssertTrue(NumericCheck.isFinite(dEmissions))
        XCTAssertEqual(gradient.transitions[0, 2], 0)
        XCTAssertEqual(gradient.transitions[1, 2], 0)
        for decoded in crf.viterbi(emissions: emissions, lengths: lengths) {
            for (a, b) in zip(decoded.tags, decoded.tags.dropFirst()) {
                XCTAssertFalse(b == 2 && a != 2, "forbidden \(a) → \(b) in \(decoded.tags)")
            }
        }
        let marginals = crf.marginals(emissions: emissions, lengths: lengths)
        XCTAssertTrue(NumericCheck.isFinite(marginals))
        // Tag 2 can only start a sequence or follow itself, so along sequence 0 (rows
        // t·4) its marginal never grows.
        for t in 1..<4 {
            XCTAssertLessThanOrEqual(marginals[t * 4, 2], marginals[(t - 1) * 4, 2] + 1e-12)
        }
        XCTAssertGreaterThan(marginals[0, 2], 0)
    }

    func testGoldPathOfAPeakedModelHasNearZeroLoss() {
        // Emissions strongly favour the gold tags, so p(gold) → 1.
        let gold = [[1, 0, 2]]
        var emissions = Matrix<Double>(rows: 3, columns: 3, repeating: -20)
        for (t, tag) in gold[0].enumerated() { emissions[t, tag] = 20 }
        let crf = CRF<Double>(
            transitions: Matrix(rows: 3, columns: 3), start: Matrix(rows: 1, columns: 3),
            end: Matrix(rows: 1, columns: 3))
        let (loss, _) = crf.forward(emissions: emissions, lengths: [3], tags: gold)
        XCTAssertLessThan(loss, 1e-15 + 1e-12)
        XCTAssertEqual(crf.viterbi(emissions: emissions, lengths: [3])[0].tags, gold[0])
    }

    func testSameSeedGivesIdenticalParameters() {
        var a = SeededRandom(seed: 7)
        var b = SeededRandom(seed: 7)
        let first = CRF<Float>(tagCount: 9, random: &a)
        let second = CRF<Float>(tagCount: 9, random: &b)
        XCTAssertEqual(first.transitions, second.transitions)
        XCTAssertEqual(first.start, second.start)
        XCTAssertEqual(first.end, second.end)
        XCTAssertEqual(first.parameters.map(\.name), ["transitions", "start", "end"])
        XCTAssertNotEqual(first.start, first.end)
    }
}
