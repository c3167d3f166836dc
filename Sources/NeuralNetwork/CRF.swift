import LinearAlgebra

/// A linear-chain conditional random field over tag sequences.
///
/// Parameters (names in parentheses):
/// - `transitions` `[tags, tags]` (`transitions`): score of moving from the tag of
///   the row to the tag of the column;
/// - `start` `[1, tags]` (`start`): score of the first tag;
/// - `end` `[1, tags]` (`end`): score of the last tag.
///
/// The score of tags `y` for emissions `e` of a sequence of length `L` is
/// `start[y₀] + Σₜ e[t, yₜ] + Σₜ₌₁ transitions[yₜ₋₁, yₜ] + end[y_{L−1}]`, and
/// `p(y) = exp(score(y)) / Z` with `log Z` from the forward algorithm in log space.
///
/// Emission layout: a padded batch of `batch = lengths.count` sequences of up to
/// `time` steps is one time-major matrix `[time·batch, tags]`; row `t·batch + s` is
/// step `t` of sequence `s` (the layout `Recurrent` produces). Rows at `t ≥ lengths[s]`
/// are padding: they are never read, and get zero gradient and zero marginals. A
/// sequence of length zero has zero loss, an empty best path and score zero.
public struct CRF<Scalar: BLASScalar>: Parameterized {
    /// Transition scores `[tags, tags]`, from row tag to column tag.
    public var transitions: Matrix<Scalar>
    /// Scores of the first tag, `[1, tags]`.
    public var start: Matrix<Scalar>
    /// Scores of the last tag, `[1, tags]`.
    public var end: Matrix<Scalar>

    /// The number of tags.
    public var tagCount: Int { transitions.rows }

    /// `transitions`, `start`, `end`.
    public var parameters: [Parameter<CRF, Scalar>] {
        [
            Parameter("transitions", \.transitions), Parameter("start", \.start),
            Parameter("end", \.end),
        ]
    }

    /// `transitions`, `start`, `end`.
    public var orderedParameterNames: [String] { ["transitions", "start", "end"] }

    /// `transitions`, `start`, `end`, in place.
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try body(0, &transitions)
        try body(1, &start)
        try body(2, &end)
    }

    /// A CRF over `tagCount` tags with all scores uniform in `±0.1`, drawn from `random`.
    public init(tagCount: Int, random: inout SeededRandom) {
        precondition(tagCount > 0, "CRF needs at least one tag, got \(tagCount)")
        transitions = Initializer.uniform(
            rows: tagCount, columns: tagCount, limit: 0.1, using: &random)
        start = Initializer.uniform(rows: 1, columns: tagCount, limit: 0.1, using: &random)
        end = Initializer.uniform(rows: 1, columns: tagCount, limit: 0.1, using: &random)
    }

    /// A CRF with the given scores: `transitions` `[tags, tags]`, `start` and `end`
    /// `[1, tags]`.
    public init(transitions: Matrix<Scalar>, start: Matrix<Scalar>, end: Matrix<Scalar>) {
        let k = transitions.rows
        precondition(
            transitions.columns == k && start.rows == 1 && start.columns == k && end.rows == 1
                && end.columns == k,
            "CRF shapes: transitions \(transitions.shapeDescription), start \(start.shapeDescription), end \(end.shapeDescription)"
        )
        self.transitions = transitions
        self.start = start
        self.end = end
    }

    /// What `backward` needs from `forward`.
    public struct Cache {
        /// The emissions `[time·batch, tags]`, time-major.
        public var emissions: Matrix<Scalar>
        /// The length of each sequence.
        public var lengths: [Int]
        /// The gold tags of each sequence.
        public var tags: [[Int]]
        /// Forward log-scores `[time·batch, tags]`: `alpha[t, j]` is the log of the summed
        /// exp-scores of all prefixes ending in tag `j` at step `t` (start included).
        public var alpha: Matrix<Scalar>
        /// `log Z` of each sequence (zero for an empty one).
        public var logPartition: [Scalar]
        /// The factor applied to every sequence's loss: 1 for a sum, 1/count for a mean.
        public var scale: Scalar
    }

    /// The best tag sequence of one sequence and its score.
    public struct Decoded: Equatable {
        /// The tags, one per step.
        public var tags: [Int]
        /// The unnormalised score of `tags`.
        public var score: Scalar
    }

    // MARK: - Loss

    /// The negative log-likelihood of the gold `tags` (`tags[s]` has `lengths[s]` tags),
    /// summed or averaged over the non-empty sequences, and the cache for `backward`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(
        emissions: Matrix<Scalar>, lengths: [Int], tags: [[Int]], reduction: LossReduction = .mean
    ) -> (loss: Scalar, cache: Cache) {
        let time = checkLayout(emissions, lengths)
        precondition(
            tags.count == lengths.count, "\(tags.count) tag sequences for \(lengths.count) lengths")
        for (s, sequence) in tags.enumerated() {
            precondition(
                sequence.count == lengths[s],
                "sequence \(s) has \(sequence.count) gold tags but length \(lengths[s])")
            for (t, tag) in sequence.enumerated() {
                precondition(
                    tag >= 0 && tag < tagCount,
                    "gold tag \(tag) at step \(t) of sequence \(s) outside 0..<\(tagCount)")
            }
        }
        let (alpha, logZ) = forwardScores(emissions, lengths: lengths, time: time)
        let gold = score(emissions: emissions, lengths: lengths, tags: tags)
        let counted = lengths.filter { $0 > 0 }.count
        let scale: Scalar = reduction == .sum ? 1 : (counted > 0 ? 1 / Scalar(counted) : 0)
        var total: Scalar = 0
        for s in lengths.indices where lengths[s] > 0 { total += logZ[s] - gold[s] }
        let cache = Cache(
            emissions: emissions, lengths: lengths, tags: tags, alpha: alpha, logPartition: logZ,
            scale: scale)
        return (total * scale, cache)
    }

    /// The gradient of `dLoss · loss` with respect to the emissions `[time·batch, tags]`
    /// (zero on padded rows) and to the CRF parameters, from forward-backward marginals:
    /// `marginal − gold` for emissions, `start` and `end`, and expected minus gold
    /// transition counts for `transitions`.
    ///
    /// The backward recursion runs here, fused with the marginals: the pairwise
    /// marginal `ξₜ(i, j) = γₜ(i) · F[i, j] · pⱼ / Sᵢ` reuses the row sums `Sᵢ` of the
    /// recursion (see `ScaledTransitions`), so it costs no exponentials.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(cache: Cache, dLoss: Scalar = 1) -> (
        dEmissions: Matrix<Scalar>, gradient: CRF
    ) {
        let k = tagCount
        let emissions = cache.emissions
        let lengths = cache.lengths
        let batch = lengths.count
        var beta = Matrix<Scalar>(rows: emissions.rows, columns: k)
        var dEmissions = Matrix<Scalar>(rows: emissions.rows, columns: k)
        var gradient = zeroed()
        let factor = dLoss * cache.scale
        let tables = ScaledTransitions(transitions)
        defer { tables.deallocate() }
        let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: 4 * k)
        defer { scratch.deallocate() }
        let (r, p, sums, gamma) = (scratch, scratch + k, scratch + 2 * k, scratch + 3 * k)
        emissions.withUnsafePointer { e in
            cache.alpha.withUnsafePointer { alpha in
                beta.withUnsafeMutablePointer { b in
                    dEmissions.withUnsafeMutablePointer { dE in
                        gradient.transitions.withUnsafeMutablePointer { dT in
                            gradient.start.withUnsafeMutablePointer { dStart in
                                gradient.end.withUnsafeMutablePointer { dEnd in
                                    end.withUnsafePointer { endScores in
                                        for s in 0..<batch where lengths[s] > 0 {
                                            let length = lengths[s]
                                            let gold = cache.tags[s]
                                            let logZ = cache.logPartition[s]
                                            // Unary marginals γₜ, written as factor · (γₜ − gold) into dE.
                                            func unary(_ t: Int) {
                                                let row = (t * batch + s) * k
                                                for i in 0..<k {
                                                    let g = Scalar.exp(
                                                        alpha[row + i] + b[row + i] - logZ)
                                                    gamma[i] = g
                                                    dE[row + i] = factor * g
                                                }
                                                dE[row + gold[t]] -= factor
                                                if t == 0 {
                                                    for i in 0..<k { dStart[i] += dE[row + i] }
                                                }
                                                if t == length - 1 {
                                                    for i in 0..<k { dEnd[i] += dE[row + i] }
                                                }
                                            }
                                            let lastRow = ((length - 1) * batch + s) * k
                                            (b + lastRow).update(from: endScores, count: k)
                                            unary(length - 1)
                                            for t in stride(from: length - 2, through: 0, by: -1) {
                                                let row = (t * batch + s) * k
                                                let next = ((t + 1) * batch + s) * k
                                                for j in 0..<k { r[j] = e[next + j] + b[next + j] }
                                                tables.betaStep(
                                                    r: r, beta: b + row, p: p, sums: sums)
                                                unary(t)
                                                tables.addPairwise(
                                                    into: dT, factor: factor, gamma: gamma, p: p,
                                                    sums: sums,
                                                    alpha: alpha + row, r: r, logPartition: logZ)
                                                dT[gold[t] * k + gold[t + 1]] -= factor
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dEmissions, gradient)
    }

    // MARK: - Inference

    /// `log Z` of each sequence (zero for an empty one), by the forward algorithm.
    public func logPartition(emissions: Matrix<Scalar>, lengths: [Int]) -> [Scalar] {
        let time = checkLayout(emissions, lengths)
        return forwardScores(emissions, lengths: lengths, time: time).logPartition
    }

    /// The unnormalised score of `tags[s]` for each sequence `s`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func score(emissions: Matrix<Scalar>, lengths: [Int], tags: [[Int]]) -> [Scalar] {
        _ = checkLayout(emissions, lengths)
        let (k, batch) = (tagCount, lengths.count)
        var scores = [Scalar](repeating: 0, count: batch)
        for s in 0..<batch where lengths[s] > 0 {
            let y = tags[s]
            precondition(
                y.count == lengths[s], "sequence \(s) has \(y.count) tags but length \(lengths[s])")
            var total = start.scalars[y[0]] + end.scalars[y[y.count - 1]]
            for t in 0..<y.count {
                total += emissions.scalars[(t * batch + s) * k + y[t]]
                if t > 0 { total += transitions.scalars[y[t - 1] * k + y[t]] }
            }
            scores[s] = total
        }
        return scores
    }

    /// The per-token marginal probabilities `p(yₜ = j)`, `[time·batch, tags]` in the
    /// emission layout; each unpadded row sums to one, padded rows are zero.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func marginals(emissions: Matrix<Scalar>, lengths: [Int]) -> Matrix<Scalar> {
        let time = checkLayout(emissions, lengths)
        let (alpha, logZ) = forwardScores(emissions, lengths: lengths, time: time)
        let beta = backwardScores(emissions, lengths: lengths, time: time)
        let (k, batch) = (tagCount, lengths.count)
        var result = Matrix<Scalar>(rows: emissions.rows, columns: k)
        for s in 0..<batch {
            for t in 0..<lengths[s] {
                let row = (t * batch + s) * k
                for j in 0..<k {
                    result.scalars[row + j] = Scalar.exp(
                        alpha.scalars[row + j] + beta.scalars[row + j] - logZ[s])
                }
            }
        }
        return result
    }

    /// The highest-scoring tag sequence of each sequence (Viterbi) and its score; ties
    /// go to the smaller tag index.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func viterbi(emissions: Matrix<Scalar>, lengths: [Int]) -> [Decoded] {
        let time = checkLayout(emissions, lengths)
        let (k, batch) = (tagCount, lengths.count)
        var results: [Decoded] = []
        results.reserveCapacity(batch)
        var delta = [Scalar](repeating: 0, count: k)
        var next = [Scalar](repeating: 0, count: k)
        var backpointers = [Int](repeating: 0, count: max(time, 1) * k)
        let columnMajor = transitions.transposed  // [to, from]: contiguous over `from`
        for s in 0..<batch {
            let length = lengths[s]
            guard length > 0 else {
                results.append(Decoded(tags: [], score: 0))
                continue
            }
            emissions.withUnsafePointer { e in
                columnMajor.withUnsafePointer { tt in
                    for j in 0..<k { delta[j] = start.scalars[j] + e[s * k + j] }
                    for t in 1..<length {
                        let row = (t * batch + s) * k
                        for j in 0..<k {
                            let column = tt + j * k
                            var best = delta[0] + column[0]
                            var argBest = 0
                            for i in 1..<k {
                                let candidate = delta[i] + column[i]
                                if candidate > best {
                                    best = candidate
                                    argBest = i
                                }
                            }
                            next[j] = best + e[row + j]
                            backpointers[t * k + j] = argBest
                        }
                        swap(&delta, &next)
                    }
                }
            }
            var bestTag = 0
            var bestScore = delta[0] + end.scalars[0]
            for j in 1..<k where delta[j] + end.scalars[j] > bestScore {
                bestScore = delta[j] + end.scalars[j]
                bestTag = j
            }
            var path = [Int](repeating: 0, count: length)
            path[length - 1] = bestTag
            for t in stride(from: length - 1, to: 0, by: -1) {
                path[t - 1] = backpointers[t * k + path[t]]
            }
            results.append(Decoded(tags: path, score: bestScore))
        }
        return results
    }

    // MARK: - Forward and backward recursions

    /// Checks that `emissions` is `[time·batch, tags]` for `lengths`; returns `time`.
    func checkLayout(_ emissions: Matrix<Scalar>, _ lengths: [Int]) -> Int {
        precondition(
            emissions.columns == tagCount,
            "emissions \(emissions.shapeDescription) for a CRF of \(tagCount) tags")
        let batch = lengths.count
        if batch == 0 {
            precondition(
                emissions.rows == 0, "emissions \(emissions.shapeDescription) for no sequences")
            return 0
        }
        precondition(
            emissions.rows % batch == 0,
            "emissions \(emissions.shapeDescription) are not [time·batch, tags] for batch \(batch)")
        let time = emissions.rows / batch
        for (s, length) in lengths.enumerated() {
            precondition(
                length >= 0 && length <= time,
                "length \(length) of sequence \(s) outside 0...\(time)")
        }
        return time
    }

    /// The forward log-scores `[time·batch, tags]` (`alpha[t, j]`: log of the summed
    /// exp-scores of all prefixes ending in tag `j` at step `t`, start included) and
    /// `log Z` of each sequence.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forwardScores(_ emissions: Matrix<Scalar>, lengths: [Int], time: Int)
        -> (alpha: Matrix<Scalar>, logPartition: [Scalar])
    {
        let (k, batch) = (tagCount, lengths.count)
        var alpha = Matrix<Scalar>(rows: emissions.rows, columns: k)
        var logZ = [Scalar](repeating: 0, count: batch)
        let tables = ScaledTransitions(transitions)
        defer { tables.deallocate() }
        let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: 2 * k)
        defer { scratch.deallocate() }
        let (p, x) = (scratch, scratch + k)
        emissions.withUnsafePointer { e in
            start.withUnsafePointer { startScores in
                end.withUnsafePointer { endScores in
                    alpha.withUnsafeMutablePointer { a in
                        for s in 0..<batch where lengths[s] > 0 {
                            for j in 0..<k { a[s * k + j] = startScores[j] + e[s * k + j] }
                            for t in 1..<lengths[s] {
                                let row = (t * batch + s) * k
                                tables.alphaStep(
                                    previous: a + ((t - 1) * batch + s) * k, emissions: e + row,
                                    alpha: a + row, p: p)
                            }
                            let last = a + ((lengths[s] - 1) * batch + s) * k
                            for j in 0..<k { x[j] = last[j] + endScores[j] }
                            logZ[s] = Kernels.logSumExp(x, k)
                        }
                    }
                }
            }
        }
        return (alpha, logZ)
    }

    /// The backward log-scores `[time·batch, tags]`: `beta[t, i]` is the log of the
    /// summed exp-scores of all continuations after tag `i` at step `t` (end included).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backwardScores(_ emissions: Matrix<Scalar>, lengths: [Int], time: Int) -> Matrix<Scalar> {
        let (k, batch) = (tagCount, lengths.count)
        var beta = Matrix<Scalar>(rows: emissions.rows, columns: k)
        let tables = ScaledTransitions(transitions)
        defer { tables.deallocate() }
        let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: 3 * k)
        defer { scratch.deallocate() }
        let (r, p, sums) = (scratch, scratch + k, scratch + 2 * k)
        emissions.withUnsafePointer { e in
            end.withUnsafePointer { endScores in
                beta.withUnsafeMutablePointer { b in
                    for s in 0..<batch where lengths[s] > 0 {
                        let lastRow = ((lengths[s] - 1) * batch + s) * k
                        (b + lastRow).update(from: endScores, count: k)
                        for t in stride(from: lengths[s] - 2, through: 0, by: -1) {
                            let next = ((t + 1) * batch + s) * k
                            for j in 0..<k { r[j] = e[next + j] + b[next + j] }
                            tables.betaStep(r: r, beta: b + (t * batch + s) * k, p: p, sums: sums)
                        }
                    }
                }
            }
        }
        return beta
    }
}

/// Exponentiated transitions for the scaled forward and backward recursions.
///
/// A log-space step `log Σᵢ exp(αᵢ + T[i, j])` costs `tags²` exponentials. Factoring
/// out `m = maxᵢ αᵢ` and the column maximum `cⱼ = maxᵢ T[i, j]` gives
/// `m + cⱼ + log Σᵢ pᵢ · E[i, j]` with `pᵢ = exp(αᵢ − m)` and
/// `E[i, j] = exp(T[i, j] − cⱼ)`, both in `[0, 1]`: `tags` exponentials, `tags`
/// logarithms and a small vector–matrix product. The backward step uses row maxima
/// `dᵢ` and `F[i, j] = exp(T[i, j] − dᵢ)` likewise. When a sum falls below
/// `leastNormalMagnitude / ulpOfOne` (its terms may have underflowed: scores that
/// differ by more than about 87 in `Float`), that one entry is recomputed exactly in
/// log space, so the result is as accurate as the plain log-space recursion.
struct ScaledTransitions<Scalar: BLASScalar> {
    let k: Int
    /// `T` `[k, k]`, row-major (from, to).
    let transitions: UnsafeMutablePointer<Scalar>
    /// `Tᵀ` `[k, k]` (to, from), for exact column log-sum-exps.
    let transposed: UnsafeMutablePointer<Scalar>
    /// `E[i, j] = exp(T[i, j] − cⱼ)` `[k, k]`, and `c` `[k]`.
    let byColumn: UnsafeMutablePointer<Scalar>
    let columnMax: UnsafeMutablePointer<Scalar>
    /// `F[i, j] = exp(T[i, j] − dᵢ)` `[k, k]`, and `d` `[k]`.
    let byRow: UnsafeMutablePointer<Scalar>
    let rowMax: UnsafeMutablePointer<Scalar>
    /// Scratch `[k]` for exact fallbacks and the vector–matrix product.
    let scratch: UnsafeMutablePointer<Scalar>
    let sumScratch: UnsafeMutablePointer<Scalar>
    /// Sums below this may have lost terms to underflow.
    let tiny: Scalar

    @inline(__always)
    init(_ matrix: Matrix<Scalar>) {
        let k = matrix.rows
        self.k = k
        let storage = UnsafeMutablePointer<Scalar>.allocate(capacity: 4 * k * k + 4 * k)
        transitions = storage
        transposed = storage + k * k
        byColumn = storage + 2 * k * k
        byRow = storage + 3 * k * k
        columnMax = storage + 4 * k * k
        rowMax = columnMax + k
        scratch = rowMax + k
        sumScratch = scratch + k
        tiny = Scalar.leastNormalMagnitude / Scalar.ulpOfOne
        matrix.withUnsafePointer { transitions.update(from: $0, count: k * k) }
        for i in 0..<k {
            for j in 0..<k { transposed[j * k + i] = transitions[i * k + j] }
        }
        for j in 0..<k { columnMax[j] = -.infinity }
        for i in 0..<k {
            var rowMaximum = -Scalar.infinity
            for j in 0..<k {
                let v = transitions[i * k + j]
                rowMaximum = Swift.max(rowMaximum, v)
                columnMax[j] = Swift.max(columnMax[j], v)
            }
            // An all −∞ row or column has no mass; 0 keeps the differences free of NaN.
            rowMax[i] = rowMaximum == -.infinity ? 0 : rowMaximum
        }
        for j in 0..<k where columnMax[j] == -.infinity { columnMax[j] = 0 }
        for i in 0..<k {
            for j in 0..<k {
                let v = transitions[i * k + j]
                byColumn[i * k + j] = Scalar.exp(v - columnMax[j])
                byRow[i * k + j] = Scalar.exp(v - rowMax[i])
            }
        }
    }

    func deallocate() { transitions.deallocate() }

    /// `alpha[j] = emissions[j] + log Σᵢ exp(previous[i] + T[i, j])`; `p` is scratch `[k]`.
    @inline(__always)
    func alphaStep(
        previous: UnsafePointer<Scalar>, emissions: UnsafePointer<Scalar>,
        alpha: UnsafeMutablePointer<Scalar>, p: UnsafeMutablePointer<Scalar>
    ) {
        var m = previous[0]
        for i in 1..<k where previous[i] > m { m = previous[i] }
        if m == -.infinity {
            for j in 0..<k { alpha[j] = -.infinity }
            return
        }
        for i in 0..<k { p[i] = Scalar.exp(previous[i] - m) }
        let q = sumScratch
        for j in 0..<k { q[j] = 0 }
        for i in 0..<k {
            let weight = p[i]
            let row = byColumn + i * k
            for j in 0..<k { q[j] += weight * row[j] }
        }
        for j in 0..<k {
            if q[j] >= tiny {
                alpha[j] = emissions[j] + m + columnMax[j] + Scalar.log(q[j])
            } else {
                let column = transposed + j * k
                for i in 0..<k { scratch[i] = previous[i] + column[i] }
                alpha[j] = emissions[j] + Kernels.logSumExp(scratch, k)
            }
        }
    }

    /// `beta[i] = log Σⱼ exp(T[i, j] + r[j])`, leaving `p[j] = exp(r[j] − max r)` and
    /// `sums[i] = Σⱼ F[i, j] · p[j]` for the pairwise marginals.
    @inline(__always)
    func betaStep(
        r: UnsafePointer<Scalar>, beta: UnsafeMutablePointer<Scalar>,
        p: UnsafeMutablePointer<Scalar>, sums: UnsafeMutablePointer<Scalar>
    ) {
        var m = r[0]
        for j in 1..<k where r[j] > m { m = r[j] }
        if m == -.infinity {
            for i in 0..<k {
                beta[i] = -.infinity
                sums[i] = 0
            }
            for j in 0..<k { p[j] = 0 }
            return
        }
        for j in 0..<k { p[j] = Scalar.exp(r[j] - m) }
        for i in 0..<k {
            let row = byRow + i * k
            var sum: Scalar = 0
            for j in 0..<k { sum += row[j] * p[j] }
            sums[i] = sum
            if sum >= tiny {
                beta[i] = m + rowMax[i] + Scalar.log(sum)
            } else {
                let exact = transitions + i * k
                for j in 0..<k { scratch[j] = exact[j] + r[j] }
                beta[i] = Kernels.logSumExp(scratch, k)
            }
        }
    }

    /// Adds `factor · ξ(i, j)` to `dT`, the pairwise marginal of tags `i` at `t` and `j`
    /// at `t + 1`: `γ(i) · F[i, j] · p[j] / sums[i]`, or exactly
    /// `exp(alpha[i] + T[i, j] + r[j] − log Z)` where the sum was too small.
    @inline(__always)
    func addPairwise(
        into dT: UnsafeMutablePointer<Scalar>, factor: Scalar, gamma: UnsafePointer<Scalar>,
        p: UnsafePointer<Scalar>, sums: UnsafePointer<Scalar>, alpha: UnsafePointer<Scalar>,
        r: UnsafePointer<Scalar>, logPartition: Scalar
    ) {
        for i in 0..<k {
            let target = dT + i * k
            if sums[i] >= tiny {
                let weight = factor * gamma[i] / sums[i]
                guard weight != 0 else { continue }
                let row = byRow + i * k
                for j in 0..<k { target[j] += weight * row[j] * p[j] }
            } else {
                let exact = transitions + i * k
                let a = alpha[i] - logPartition
                guard a > -.infinity else { continue }
                for j in 0..<k { target[j] += factor * Scalar.exp(a + exact[j] + r[j]) }
            }
        }
    }
}
