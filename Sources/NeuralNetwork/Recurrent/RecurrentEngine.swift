import Dispatch
import LinearAlgebra

#if canImport(Glibc)
    import Glibc
#endif

// The time loop shared by `RecurrentCell`, `Recurrent`, `Bidirectional` and
// `StackedBidirectional`.
//
// Layout: a padded batch of `batch` sequences of up to `time` steps is a time-major
// matrix `[time·batch, features]`: row `t·batch + s` is step `t` of sequence `s`, so
// each step is one contiguous `[batch, features]` block. Sequence `s` occupies steps
// `0..<lengths[s]`; later rows are padding.
//
// Forward, for D directions (1 or 2) over cells with `G` gate blocks of `H` units, each
// direction on its own thread (the caller and `HelperThread`): for each step `k`,
// Z = X_k · Wx + H_{k-1} · Wh `[batch, G·H]` (for GRU the hidden product Q apart), then a
// fused element-wise kernel per row. Wx and Wh are packed once per pass (`StepProduct`; in
// inference once for all passes, `PackedWeights`), so each step's products run from cache
// without a GEMM re-packing its weights, and no
// projection of the whole batch is materialised. A reverse direction's step `k` of
// sequence `s` reads time `lengths[s] − 1 − k`, so it starts at the sequence's own last
// token. Rows past a sequence's length copy the state unchanged; their output stays zero.
// A sequence's rows thus go through the same operations in any batch: an inference pass
// (no cache) gives every sequence the same states, to the bit, whatever else is in its
// batch, at any position and padding, on one thread or two.
// States are kept in step order `[(time+1)·batch, H]` (block 0 is the initial state), so
// the stacked previous states of all steps are one contiguous matrix.
// Backward, per direction: the step loop only does the element-wise kernel and
// `dH_{k-1} += dQ_k · Whᵀ`; afterwards ONE GEMM each gives dWh = H_prevᵀ · dQ, and,
// shared by both directions, dX = dP · [Wx_0 | Wx_1]ᵀ and dWx = Xᵀ · dP.
// With concurrent directions the shared GEMMs (dX, dWx) are each split into two halves
// run at once on the two threads, so neither core idles during them.
// An input given as rows of a table (`TableRows`: a batch of words' characters) has Wx
// applied once per table row, each step copying its tokens' projected rows; backward sums
// each table row's deltas first, and dX, dWx and db are products over the table's rows
// (`tableRowGradients`).
// No allocation happens inside the step loops; large scratch blocks come from `BufferPool`.

/// Recycles large scratch blocks between calls. glibc serves big allocations with fresh
/// `mmap`s, so without reuse every forward and backward pass would fault in (and the
/// kernel zero) megabytes of new pages. Blocks are kept per power-of-two size class, at
/// most `limit` per class and `byteLimit` bytes in all (batches of varying shapes touch
/// many classes; without the total cap the idle blocks would add up to hundreds of MB).
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    /// Blocks smaller than this go straight to `malloc`.
    static let smallest = 1 << 16
    let limit = 8
    let byteLimit = 48 << 20
    private var keptBytes = 0
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    /// The size class (bytes) a request of `bytes` is served from, or nil for small ones.
    static func sizeClass(_ bytes: Int) -> Int? {
        guard bytes >= smallest else { return nil }
        var size = smallest
        while size < bytes { size <<= 1 }
        return size
    }

    func take(_ size: Int) -> UnsafeMutableRawPointer {
        pthread_mutex_lock(lock)
        let block = free[size]?.popLast()
        if block != nil { keptBytes -= size }
        pthread_mutex_unlock(lock)
        return block ?? UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    func give(_ block: UnsafeMutableRawPointer, size: Int) {
        pthread_mutex_lock(lock)
        var kept = false
        if free[size, default: []].count < limit && keptBytes + size <= byteLimit {
            free[size, default: []].append(block)
            keptBytes += size
            kept = true
        }
        pthread_mutex_unlock(lock)
        if !kept { block.deallocate() }
    }
}

/// Raw scalar storage owned by a cache or a workspace; returned to the pool with it.
final class ScalarBuffer<Scalar: BLASScalar>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Scalar>
    let count: Int
    private let sizeClass: Int?

    init(count: Int, zeroed: Bool = true) {
        self.count = count
        let bytes = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
        sizeClass = BufferPool.sizeClass(bytes)
        if let sizeClass {
            pointer = BufferPool.shared.take(sizeClass).bindMemory(
                to: Scalar.self, capacity: Swift.max(count, 1))
        } else {
            pointer = .allocate(capacity: Swift.max(count, 1))
        }
        if zeroed { pointer.initialize(repeating: 0, count: Swift.max(count, 1)) }
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    func matrix(rows: Int, columns: Int, offset: Int = 0) -> Matrix<Scalar> {
        Matrix(
            rows: rows, columns: columns,
            scalars: Array(UnsafeBufferPointer(start: pointer + offset, count: rows * columns)))
    }

    deinit {
        if let sizeClass {
            BufferPool.shared.give(UnsafeMutableRawPointer(pointer), size: sizeClass)
        } else {
            pointer.deallocate()
        }
    }
}

/// A weight matrix (or its transpose) as the right-hand operand of many products: a
/// recurrent layer's `Wh` at every step, `Wx` for each step's input projection, and their
/// transposes backward. It is packed once (`BLASScalar.pack`) and each product runs
/// `gemmPacked`; a general GEMM would re-pack the whole matrix at every call, which for a
/// step of a few dozen rows costs about as much as the product. Even a single product runs
/// on the packed matrix: `gemmPacked` computes each row alike whatever the number of rows,
/// which BLAS does not promise (so a sequence's states do not depend on its batch), and its
/// sums do not depend on the core OpenBLAS runs (so neither do a trained model's bits).
final class StepProduct<Scalar: BLASScalar>: @unchecked Sendable {
    private let packed: ScalarBuffer<Scalar>
    /// Columns of the product: `op(W)`'s.
    let columns: Int
    /// Rows of `op(W)`.
    let depth: Int

    /// `kept`: whether the packed matrix comes from (and stays in) ``PackedWeights``, for
    /// inference, whose weights do not change between passes. Otherwise it comes from the
    /// ``StepPacking`` of a data-parallel training step, when the thread runs in one that
    /// holds it, or is packed here.
    init(weights: Matrix<Scalar>, transposed: Bool = false, kept: Bool = false) {
        (depth, columns) =
            transposed ? (weights.columns, weights.rows) : (weights.rows, weights.columns)
        if kept {
            packed = PackedWeights.shared.packed(weights, transposed: transposed)
        } else if let found = StepPacking.current?.find(weights, transposed: transposed) {
            packed = found
        } else {
            packed = PackedWeights.pack(weights, transposed: transposed)
        }
    }

    /// `C = A · op(W)`, or `C += A · op(W)` when `accumulate`, for `rows` rows of A.
    func multiply(
        rows: Int, a: UnsafePointer<Scalar>, lda: Int, accumulate: Bool,
        c: UnsafeMutablePointer<Scalar>, ldc: Int
    ) {
        Scalar.gemmPacked(
            m: rows, n: columns, k: depth, a: a, lda: lda, packed: packed.pointer,
            accumulate: accumulate, c: c, ldc: ldc)
    }
}

/// What the backward pass of a recurrent layer needs from its forward pass: the input,
/// every step's state and cached activations, per direction.
public struct RecurrentCache<Scalar: BLASScalar> {
    /// The input `[time·batch, inputSize]`, time-major; or, with `inputRows`, the table
    /// whose rows the input's rows are.
    public let input: Matrix<Scalar>
    /// For an input given as rows of a table, the table row of each input row
    /// `[time·batch]` (padding rows' are not read); `nil` for a dense input.
    public let inputRows: [Int]?
    /// The length of each sequence.
    public let lengths: [Int]
    /// The number of sequences.
    public let batch: Int
    /// The number of (padded) steps.
    public let time: Int
    let reversed: [Bool]
    /// Per direction, `[(time+1)·batch, hidden]` in step order; block 0 is the initial state.
    let states: [ScalarBuffer<Scalar>]
    /// Per direction, the memory cells like `states` (LSTM), else `nil`.
    let cells: [ScalarBuffer<Scalar>?]
    /// Per direction, `[time·batch, activationBlocks·hidden]` in step order.
    let activations: [ScalarBuffer<Scalar>]
    /// The number of sequences still running at each step when the active ones are a
    /// prefix of the batch (lengths non-increasing); otherwise `batch` while any runs.
    let activeRows: [Int]
    /// False for the cache of an inference pass, which kept only the last states.
    let isComplete: Bool
    /// Whether each state block holds every sequence's state, a finished sequence's carried
    /// from its last step; otherwise a block after a sequence's end holds no state for it (a
    /// batch whose backward pass reads the token rows alone), and the last block holds every
    /// final state.
    let carriesFinishedStates: Bool
}

enum RecurrentEngine {
    /// Calls `body(first, count)` for rows `0..<total`: once for all of them, or, when
    /// `parallel`, for the first half on the caller and the second half on the helper
    /// thread at the same time (`body(0, ⌈total/2⌉)` and `body(⌈total/2⌉, ⌊total/2⌋)`).
    static func splitInHalves(_ total: Int, parallel: Bool, _ body: (Int, Int) -> Void) {
        guard parallel && total > 1 else {
            body(0, total)
            return
        }
        let half = (total + 1) / 2
        HelperThread.shared.run({ body(0, half) }, { body(half, total - half) })
    }

    /// Zeroes the padding rows `i·batch + s` with `i ≥ lengths[s]` of a `[time·batch, width]`
    /// buffer (time-major or step order alike): the rows no step writes.
    static func zeroPadding<Scalar: BLASScalar>(
        _ buffer: UnsafeMutablePointer<Scalar>, width: Int, lengths: [Int], time: Int
    ) {
        let batch = lengths.count
        for (s, length) in lengths.enumerated() where length < time {
            for i in length..<time {
                (buffer + (i * batch + s) * width).update(repeating: 0, count: width)
            }
        }
    }

    /// `c = Aᵀ · B` over the token rows only: block `k` of A and B (rows `k·blockRows`…)
    /// contributes its first `tokens[k]` rows (padding rows would only add zeros, and most
    /// rows of a batch of words' characters are padding). One product per block, read in
    /// place: the kernel copies each slice of A and B into its own tiles anyway, so
    /// gathering the token rows first only copied them once more.
    static func gemmTransposedAOverTokens<Scalar: BLASScalar>(
        m: Int, n: Int, a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
        tokens: [Int], blockRows: Int, c: UnsafeMutablePointer<Scalar>, ldc: Int
    ) {
        var accumulate = false
        for (k, count) in tokens.enumerated() where count > 0 {
            Scalar.gemmTransposedA(
                m: m, n: n, k: count, a: a + k * blockRows * lda, lda: lda,
                b: b + k * blockRows * ldb, ldb: ldb, accumulate: accumulate, c: c, ldc: ldc)
            accumulate = true
        }
        if !accumulate {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        }
    }

    /// `y = Σ` over the token rows (as `gemmTransposedAOverTokens` reads them) of the first
    /// `columns` values of each row of `a`: the rows added in order, block after block.
    static func columnSumsOverTokens<Scalar: BLASScalar>(
        columns: Int, a: UnsafePointer<Scalar>, lda: Int, tokens: [Int], blockRows: Int,
        y: UnsafeMutablePointer<Scalar>
    ) {
        y.update(repeating: 0, count: columns)
        for (k, count) in tokens.enumerated() where count > 0 {
            Scalar.columnSums(
                rows: count, columns: columns, a: a + k * blockRows * lda, lda: lda,
                accumulate: true, y: y)
        }
    }

    /// Whether `lengths` are sorted longest first: then each step's sequences are a prefix
    /// of the batch, and the rows after them padding.
    static func isLongestFirst(_ lengths: [Int]) -> Bool {
        zip(lengths, lengths.dropFirst()).allSatisfy { $0 >= $1 }
    }

    /// Whether a batch's backward pass works on the token rows of each step alone, its padding
    /// rows never read: the lengths sorted longest first, and padding a good part of the rows
    /// (a batch of words' characters: most rows; sentences bucketed by length: few), where
    /// that is worth a product per time block. A truncated backward pass reads every row.
    static func readsTokenRowsOnly(lengths: [Int], activeRows: [Int], time: Int) -> Bool {
        isLongestFirst(lengths) && lengths.contains { $0 < time }
            && 4 * activeRows.reduce(0, +) < 3 * time * lengths.count
    }

    /// Copies rows `rows` (of `hidden` scalars each) from `source` to `target`.
    static func copyRows<Scalar>(
        _ rows: Range<Int>, hidden: Int, from source: UnsafePointer<Scalar>,
        to target: UnsafeMutablePointer<Scalar>
    ) {
        guard !rows.isEmpty else { return }
        (target + rows.lowerBound * hidden).update(
            from: source + rows.lowerBound * hidden, count: rows.count * hidden)
    }

    /// Rows to multiply at each step: a prefix when the lengths are sorted longest first.
    static func activeRows(lengths: [Int], time: Int) -> [Int] {
        let sorted = isLongestFirst(lengths)
        let longest = lengths.max() ?? 0
        return (0..<time).map { k in
            sorted ? lengths.prefix { $0 > k }.count : (k < longest ? lengths.count : 0)
        }
    }

    /// The final hidden states `[batch, hidden]` of a forward direction whose states were
    /// kept in `output` (direction `direction`'s columns): each sequence's state at its last
    /// time, or the initial state (block 0 of `initial`) for an empty sequence.
    static func finalStatesInOutput<Scalar: BLASScalar>(
        _ output: Matrix<Scalar>, direction: Int, hidden: Int, lengths: [Int],
        initial: ScalarBuffer<Scalar>
    ) -> Matrix<Scalar> {
        let batch = lengths.count
        return Matrix(rows: batch, columns: hidden) { final in
            output.withUnsafePointer { out in
                for (s, length) in lengths.enumerated() {
                    let source =
                        length == 0
                        ? UnsafePointer(initial.pointer + s * hidden)
                        : out + ((length - 1) * batch + s) * output.columns + direction * hidden
                    (final + s * hidden).initialize(from: source, count: hidden)
                }
            }
        }
    }

    /// Below this many sequences, `forward` computes the input projection of all steps in
    /// one product before the steps run (see there).
    static let projectAheadBelow = 8

    @_specialize(where Cell == LSTMCell<Float>)
    @_specialize(where Cell == GRUCell<Float>)
    @_specialize(where Cell == RNNCell<Float>)
    static func forward<Cell: RecurrentCell>(
        cells: [Cell], reversed: [Bool], input: Matrix<Cell.Scalar>, inputRows: [Int]? = nil,
        lengths: [Int], initialStates: [RecurrentState<Cell.Scalar>?], concurrent: Bool,
        keepsCache: Bool = true, finalStatesOnly: Bool = false
    ) -> (
        output: Matrix<Cell.Scalar>, finalStates: [RecurrentState<Cell.Scalar>],
        cache: RecurrentCache<Cell.Scalar>
    ) {
        typealias Scalar = Cell.Scalar
        let writesOutput = !finalStatesOnly
        let directions = cells.count
        precondition(
            directions >= 1 && reversed.count == directions && initialStates.count == directions)
        let inputSize = cells[0].inputSize
        let hidden = cells[0].hiddenSize
        for cell in cells {
            cell.checkShapes()
            precondition(
                cell.inputSize == inputSize && cell.hiddenSize == hidden,
                "directions differ: input \(cell.inputSize) vs \(inputSize), hidden \(cell.hiddenSize) vs \(hidden)"
            )
        }
        let batch = lengths.count
        precondition(batch > 0, "a recurrent batch needs at least one sequence")
        let inputRowCount = inputRows?.count ?? input.rows
        precondition(
            inputRowCount % batch == 0,
            "input of \(inputRowCount) rows is not [time·\(batch), features] for \(batch) sequences"
        )
        precondition(
            input.columns == inputSize,
            "input \(input.shapeDescription) has \(input.columns) features, the cell expects \(inputSize)"
        )
        let time = inputRowCount / batch
        for (s, length) in lengths.enumerated() {
            precondition(
                length >= 0 && length <= time,
                "sequence \(s) has length \(length), outside 0...\(time) padded steps")
            if let inputRows {
                for t in 0..<length {
                    let row = inputRows[t * batch + s]
                    precondition(
                        row >= 0 && row < input.rows,
                        "step \(t) of sequence \(s) reads table row \(row), outside 0..<\(input.rows)"
                    )
                }
            }
        }
        for state in initialStates {
            guard let state else { continue }
            precondition(
                state.hidden.rows == batch && state.hidden.columns == hidden,
                "initial state \(state.hidden.shapeDescription), expected [\(batch), \(hidden)]")
        }

        let gateWidth = Cell.gateCount * hidden
        let activationWidth = Cell.activationBlocks * hidden
        let outputWidth = directions * hidden

        let activeRows = activeRows(lengths: lengths, time: time)
        let padded = lengths.contains { $0 < time }
        let sortedLengths = isLongestFirst(lengths)
        // A cache whose backward pass reads the steps' token rows alone (see
        // `skipsPadding`) needs no state for a finished sequence at the steps after its
        // end: each sequence's last state is put once into the last block, which holds the
        // final states, instead of being carried through every remaining step.
        let carriesFinished =
            !(keepsCache
            && readsTokenRowsOnly(lengths: lengths, activeRows: activeRows, time: time))
        // Blocks 1... are written by every step (a finished sequence copies its state, unless
        // `carriesFinished` is false), so only block 0 (the initial state) needs zeros. Without a cache (inference) two
        // state blocks are used in turn and one block of activations is overwritten by each
        // step, so memory does not grow with the number of steps.
        let stateBlocks = keepsCache ? time + 1 : 2
        let block = { (k: Int) in keepsCache ? k : k % 2 }
        let states = (0..<directions).map { _ in
            let buffer = ScalarBuffer<Scalar>(count: stateBlocks * batch * hidden, zeroed: false)
            buffer.pointer.initialize(repeating: 0, count: batch * hidden)
            return buffer
        }
        let cellStates: [ScalarBuffer<Scalar>?] = (0..<directions).map { _ in
            guard Cell.hasCellState else { return nil }
            let buffer = ScalarBuffer<Scalar>(count: stateBlocks * batch * hidden, zeroed: false)
            buffer.pointer.initialize(repeating: 0, count: batch * hidden)
            return buffer
        }
        let activations = (0..<directions).map { _ in
            ScalarBuffer<Scalar>(
                count: (keepsCache ? time : 1) * batch * activationWidth, zeroed: false)
        }
        for d in 0..<directions {
            if let initial = initialStates[d] {
                initial.hidden.withUnsafePointer {
                    states[d].pointer.update(from: $0, count: batch * hidden)
                }
                if let c = initial.cell, let target = cellStates[d] {
                    precondition(
                        c.rows == batch && c.columns == hidden,
                        "initial cell state \(c.shapeDescription), expected [\(batch), \(hidden)]")
                    c.withUnsafePointer { target.pointer.update(from: $0, count: batch * hidden) }
                }
            }
        }

        // Every step writes its sequences' rows; only the padding rows need zeros.
        // The steps, writing the output sequence to `out` (with `finalStatesOnly`, a
        // placeholder nothing is written to).
        func runSteps(_ out: UnsafeMutablePointer<Scalar>) {
            if padded && writesOutput {
                zeroPadding(out, width: outputWidth, lengths: lengths, time: time)
            }
            input.withUnsafePointer { x in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    let rowIDs = inputRows ?? []
                    func run(_ d: Int) {
                        let cell = cells[d]
                        let isReversed = reversed[d]
                        let st = states[d].pointer
                        let ct = cellStates[d]?.pointer
                        let act = activations[d].pointer
                        // Each step computes its own input projection z = X_k · Wx (the rows
                        // of the step's tokens), then z += H_{k-1} · Wh, or, for cells whose
                        // kernel needs the hidden product apart (GRU), q = H_{k-1} · Wh. Both
                        // weight matrices are packed once for all steps, and z stays in
                        // cache: no projection of the whole batch is materialised.
                        let z = ScalarBuffer<Scalar>(count: batch * gateWidth)
                        let q =
                            Cell.hasSeparateHiddenDelta
                            ? ScalarBuffer<Scalar>(count: batch * gateWidth) : nil
                        // With few sequences a step's product has too few rows to pay for
                        // streaming Wx through the cache at every step: the input projection
                        // of every step is then computed at once, and each step adds its
                        // recurrent product to its rows (the same operations in the same
                        // order for each row, so the states do not depend on this choice).
                        // An input of table rows has the projection of each table row computed
                        // once (`projectedTable`), and each step copies its tokens' rows.
                        let projectsAhead =
                            inputRows == nil && batch < Self.projectAheadBelow && time > 1
                        let projected: ScalarBuffer<Scalar>? =
                            projectsAhead
                            ? ScalarBuffer<Scalar>(count: time * batch * gateWidth) : nil
                        // Otherwise a reverse step gathers its input rows: sequence s reads
                        // time length − 1 − k.
                        let gathered =
                            isReversed && padded && !projectsAhead && inputRows == nil
                            ? ScalarBuffer<Scalar>(count: batch * inputSize) : nil
                        let projection = StepProduct(weights: cell.Wx, kept: !keepsCache)
                        let recurrent = StepProduct(weights: cell.Wh, kept: !keepsCache)
                        if let projected {
                            projection.multiply(
                                rows: time * batch, a: x, lda: inputSize, accumulate: false,
                                c: projected.pointer, ldc: gateWidth)
                        }
                        let projectedTable: ScalarBuffer<Scalar>? =
                            inputRows == nil
                            ? nil
                            : ScalarBuffer<Scalar>(count: input.rows * gateWidth, zeroed: false)
                        if let projectedTable, input.rows > 0 {
                            projection.multiply(
                                rows: input.rows, a: x, lda: inputSize, accumulate: false,
                                c: projectedTable.pointer, ldc: gateWidth)
                        }
                        // Inference in the forward direction keeps its states in the output:
                        // step k's rows (time k of each sequence) are output rows k·batch...,
                        // a stride of `outputWidth` apart, and the next step reads them there,
                        // so no state is copied to the output.
                        let inOutput = !keepsCache && !isReversed && writesOutput
                        if !carriesFinished && time > 0 {
                            // Empty sequences end with their initial states.
                            copyRows(
                                activeRows[0]..<batch, hidden: hidden, from: st,
                                to: st + time * batch * hidden)
                            if let ct {
                                copyRows(
                                    activeRows[0]..<batch, hidden: hidden, from: ct,
                                    to: ct + time * batch * hidden)
                            }
                        }
                        cell.b.withUnsafePointer { bias in
                            for k in 0..<time {
                                let rows = activeRows[k]
                                var hPrev: UnsafeMutablePointer<Scalar> =
                                    st + block(k) * batch * hidden
                                var hNew: UnsafeMutablePointer<Scalar> =
                                    st + block(k + 1) * batch * hidden
                                var (ldPrev, ldNew) = (hidden, hidden)
                                if inOutput {
                                    hNew = out + (k * batch) * outputWidth + d * hidden
                                    ldNew = outputWidth
                                    if k > 0 {
                                        hPrev =
                                            out + ((k - 1) * batch) * outputWidth + d * hidden
                                        ldPrev = outputWidth
                                    }
                                }
                                let cPrev = ct.map { $0 + block(k) * batch * hidden }
                                let cNew = ct.map { $0 + block(k + 1) * batch * hidden }
                                // The step's projections: rows of `projected` read in place
                                // (a forward step's rows are consecutive) or gathered into z.
                                var zStep = z.pointer
                                if rows > 0, let projectedTable {
                                    // A row of the projected table has the bits of the
                                    // token's own product: `gemmPacked` computes each row
                                    // alike whatever the other rows.
                                    for s in 0..<rows where k < lengthBuffer[s] {
                                        let t = isReversed ? lengthBuffer[s] - 1 - k : k
                                        (z.pointer + s * gateWidth).update(
                                            from: projectedTable.pointer + rowIDs[t * batch + s]
                                                * gateWidth,
                                            count: gateWidth)
                                    }
                                    recurrent.multiply(
                                        rows: rows, a: hPrev, lda: ldPrev, accumulate: q == nil,
                                        c: q?.pointer ?? z.pointer, ldc: gateWidth)
                                } else if rows > 0, let projected {
                                    if !isReversed {
                                        zStep = projected.pointer + k * batch * gateWidth
                                    } else {
                                        for s in 0..<rows where k < lengthBuffer[s] {
                                            let t = lengthBuffer[s] - 1 - k
                                            (z.pointer + s * gateWidth).update(
                                                from: projected.pointer + (t * batch + s)
                                                    * gateWidth,
                                                count: gateWidth)
                                        }
                                    }
                                    recurrent.multiply(
                                        rows: rows, a: hPrev, lda: ldPrev, accumulate: q == nil,
                                        c: q?.pointer ?? zStep, ldc: gateWidth)
                                } else if rows > 0 {
                                    var stepInput =
                                        x + (isReversed ? time - 1 - k : k) * batch * inputSize
                                    if let gathered {
                                        for s in 0..<rows where k < lengthBuffer[s] {
                                            let t = lengthBuffer[s] - 1 - k
                                            (gathered.pointer + s * inputSize).update(
                                                from: x + (t * batch + s) * inputSize,
                                                count: inputSize)
                                        }
                                        stepInput = UnsafePointer(gathered.pointer)
                                    }
                                    projection.multiply(
                                        rows: rows, a: stepInput, lda: inputSize,
                                        accumulate: false,
                                        c: z.pointer, ldc: gateWidth)
                                    recurrent.multiply(
                                        rows: rows, a: hPrev, lda: ldPrev, accumulate: q == nil,
                                        c: q?.pointer ?? z.pointer, ldc: gateWidth)
                                }
                                // Sorted longest first, the finished sequences are the rows
                                // after the step's active ones: their states are carried in
                                // one copy below.
                                for s in 0..<(sortedLengths ? rows : batch) {
                                    let length = lengthBuffer[s]
                                    let row = s * hidden
                                    if k < length {
                                        let t = isReversed ? length - 1 - k : k
                                        Cell.forwardRow(
                                            hidden: hidden, p: zStep + s * gateWidth,
                                            q: q.map { $0.pointer + s * gateWidth }, bias: bias,
                                            hPrev: hPrev + s * ldPrev,
                                            cPrev: cPrev.map { $0 + row }, h: hNew + s * ldNew,
                                            c: cNew.map { $0 + row },
                                            activations: act
                                                + ((keepsCache ? k * batch : 0) + s)
                                                * activationWidth)
                                        if !inOutput && writesOutput {
                                            (out + (t * batch + s) * outputWidth + d * hidden)
                                                .update(from: hNew + row, count: hidden)
                                        }
                                    } else {
                                        // A finished sequence carries its state (in the output
                                        // its last state stays at its last time).
                                        if !inOutput {
                                            (hNew + row).update(
                                                from: hPrev + row, count: hidden)
                                        }
                                        if let cPrev, let cNew {
                                            (cNew + row).update(
                                                from: cPrev + row, count: hidden)
                                        }
                                    }
                                }
                                if sortedLengths && rows < batch && carriesFinished {
                                    let (first, count) = (
                                        rows * hidden, (batch - rows) * hidden
                                    )
                                    if !inOutput {
                                        (hNew + first).update(from: hPrev + first, count: count)
                                    }
                                    if let cPrev, let cNew {
                                        (cNew + first).update(from: cPrev + first, count: count)
                                    }
                                }
                                if !carriesFinished && k + 1 < time {
                                    // The sequences that end with this step, into the last
                                    // block (the last step writes there itself).
                                    let ending = activeRows[k + 1]
                                    copyRows(
                                        ending..<rows, hidden: hidden, from: hNew,
                                        to: st + time * batch * hidden)
                                    if let cNew, let ct {
                                        copyRows(
                                            ending..<rows, hidden: hidden, from: cNew,
                                            to: ct + time * batch * hidden)
                                    }
                                }
                            }
                        }
                    }
                    if directions == 2 && concurrent {
                        HelperThread.shared.run({ run(0) }, { run(1) })
                    } else {
                        for d in 0..<directions { run(d) }
                    }
                }
            }
        }
        let output: Matrix<Scalar>
        if writesOutput {
            output = Matrix(rows: time * batch, columns: outputWidth) { runSteps($0) }
        } else {
            let placeholder = ScalarBuffer<Scalar>(count: 1)
            runSteps(placeholder.pointer)
            output = Matrix(rows: 0, columns: outputWidth)
        }

        let finalStates = (0..<directions).map { d in
            RecurrentState(
                hidden: !keepsCache && !reversed[d] && writesOutput
                    ? finalStatesInOutput(
                        output, direction: d, hidden: hidden, lengths: lengths,
                        initial: states[d])
                    : states[d].matrix(
                        rows: batch, columns: hidden, offset: block(time) * batch * hidden),
                cell: cellStates[d]?.matrix(
                    rows: batch, columns: hidden, offset: block(time) * batch * hidden))
        }
        let cache = RecurrentCache(
            input: input, inputRows: inputRows, lengths: lengths, batch: batch, time: time,
            reversed: reversed,
            states: states, cells: cellStates, activations: activations,
            activeRows: activeRows, isComplete: keepsCache, carriesFinishedStates: carriesFinished)
        return (output, finalStates, cache)
    }

    /// Per-direction results written by the direction's thread.
    final class DirectionGradient<Scalar: BLASScalar>: @unchecked Sendable {
        var dWh = Matrix<Scalar>(rows: 0, columns: 0)
        var dWx = Matrix<Scalar>(rows: 0, columns: 0)
        var dBias = Matrix<Scalar>(rows: 0, columns: 0)
        var dState = RecurrentState<Scalar>(hidden: Matrix(rows: 0, columns: 0))
    }

    @_specialize(where Cell == LSTMCell<Float>)
    @_specialize(where Cell == GRUCell<Float>)
    @_specialize(where Cell == RNNCell<Float>)
    static func backward<Cell: RecurrentCell>(
        cells: [Cell], cache: RecurrentCache<Cell.Scalar>, dOutput: Matrix<Cell.Scalar>?,
        dFinalStates: [RecurrentState<Cell.Scalar>?], truncation: Int?, concurrent: Bool = true
    ) -> (
        dInput: Matrix<Cell.Scalar>, dInitialStates: [RecurrentState<Cell.Scalar>],
        gradients: [Cell]
    ) {
        typealias Scalar = Cell.Scalar
        let directions = cells.count
        precondition(cache.isComplete, "backward needs the cache of a forward pass that kept it")
        precondition(
            directions == cache.states.count && dFinalStates.count == directions,
            "backward with \(directions) directions for a cache of \(cache.states.count)")
        let (batch, time) = (cache.batch, cache.time)
        let inputSize = cells[0].inputSize
        let hidden = cells[0].hiddenSize
        let gateWidth = Cell.gateCount * hidden
        let projectionWidth = directions * gateWidth
        let activationWidth = Cell.activationBlocks * hidden
        let outputWidth = directions * hidden
        if let dOutput {
            precondition(
                dOutput.rows == time * batch && dOutput.columns == outputWidth,
                "output gradient \(dOutput.shapeDescription), expected [\(time * batch), \(outputWidth)]"
            )
        }
        let steps = truncation ?? time
        precondition(steps >= 1, "truncated backpropagation needs at least one step, got \(steps)")
        let stop = Swift.max(0, time - steps)
        for dState in dFinalStates {
            guard let dState else { continue }
            precondition(
                dState.hidden.rows == batch && dState.hidden.columns == hidden,
                "final-state gradient \(dState.hidden.shapeDescription), expected [\(batch), \(hidden)]"
            )
        }

        // dP `[time·batch, D·G·H]`, time-major like the projection; padded rows stay zero.
        // Every row of a sequence's steps is written before it is read, so only the padding
        // rows need zeros (all rows when truncation leaves early steps unwritten).
        let padded = cache.lengths.contains { $0 < time }
        // With the sequences sorted longest first (as the embedder and encoder batch them),
        // step k's tokens are the first `activeRows[k]` rows of its block and the rest is
        // padding: the products over all rows below then read the tokens' rows only, and
        // the padding rows of the deltas are never read, so they are not zeroed.
        let sortedLengths = isLongestFirst(cache.lengths)
        let skipsPadding =
            stop == 0
            && readsTokenRowsOnly(lengths: cache.lengths, activeRows: cache.activeRows, time: time)
        // The products over all rows read the states of finished sequences, which a forward
        // pass that expected this backward pass to skip them did not carry: zeros instead.
        let zeroesFinishedStates = !skipsPadding && !cache.carriesFinishedStates
        let dProjection = ScalarBuffer<Scalar>(
            count: time * batch * projectionWidth, zeroed: stop > 0)
        if padded && stop == 0 && !skipsPadding {
            zeroPadding(
                dProjection.pointer, width: projectionWidth, lengths: cache.lengths, time: time)
        }
        let results = (0..<directions).map { _ in DirectionGradient<Scalar>() }

        // Without an output gradient (an encoder read by its final states) nothing is added
        // to each step's dh.
        (dOutput ?? Matrix(rows: 0, columns: 0)).withUnsafePointer { outputGradient in
            let dOut: UnsafePointer<Scalar>? = dOutput == nil ? nil : outputGradient
            cache.lengths.withUnsafeBufferPointer { lengthBuffer in
                func run(_ d: Int) {
                    let cell = cells[d]
                    let isReversed = cache.reversed[d]
                    let st = cache.states[d].pointer
                    let ct = cache.cells[d]?.pointer
                    let act = cache.activations[d].pointer
                    // Per-step deltas in step order. A forward direction's step order is
                    // time order, so its dP goes straight into the shared dP.
                    func deltaBuffer() -> ScalarBuffer<Scalar> {
                        let buffer = ScalarBuffer<Scalar>(
                            count: time * batch * gateWidth, zeroed: false)
                        if padded && !skipsPadding {
                            zeroPadding(
                                buffer.pointer, width: gateWidth, lengths: cache.lengths,
                                time: time)
                        }
                        return buffer
                    }
                    let ownDeltas = isReversed ? deltaBuffer() : nil
                    let dp = ownDeltas?.pointer ?? dProjection.pointer + d * gateWidth
                    let ldp = isReversed ? gateWidth : projectionWidth
                    let hiddenDeltas = Cell.hasSeparateHiddenDelta ? deltaBuffer() : nil
                    let dq = hiddenDeltas?.pointer ?? dp
                    let ldq = hiddenDeltas == nil ? ldp : gateWidth
                    var dH = ScalarBuffer<Scalar>(count: batch * hidden)
                    var dHNext = ScalarBuffer<Scalar>(count: batch * hidden)
                    let dC = Cell.hasCellState ? ScalarBuffer<Scalar>(count: batch * hidden) : nil
                    if let final = dFinalStates[d] {
                        final.hidden.withUnsafePointer {
                            dH.pointer.update(from: $0, count: batch * hidden)
                        }
                        if let c = final.cell, let dC {
                            c.withUnsafePointer {
                                dC.pointer.update(from: $0, count: batch * hidden)
                            }
                        }
                    }
                    if zeroesFinishedStates {
                        for k in Swift.max(stop, 1)..<Swift.max(time, 1) {
                            let first = cache.activeRows[k - 1]
                            (st + (k * batch + first) * hidden).update(
                                repeating: 0, count: (batch - first) * hidden)
                        }
                    }
                    /// Rows `rows` of `target` set to the final-state gradient (zeros without
                    /// one): a sorted batch's sequences start from it at their last steps.
                    func startRows(_ rows: Range<Int>, of target: UnsafeMutablePointer<Scalar>) {
                        guard !rows.isEmpty else { return }
                        if let final = dFinalStates[d] {
                            final.hidden.withUnsafePointer {
                                copyRows(rows, hidden: hidden, from: $0, to: target)
                            }
                        } else {
                            (target + rows.lowerBound * hidden).update(
                                repeating: 0, count: rows.count * hidden)
                        }
                    }
                    var dWh = Matrix<Scalar>(rows: 0, columns: 0)
                    let recurrent = StepProduct(weights: cell.Wh, transposed: true)
                    withExtendedLifetime(hiddenDeltas) {
                        do {
                            var k = time - 1
                            while k >= stop {
                                let rows = cache.activeRows[k]
                                let hPrev = st + k * batch * hidden
                                let hNew = hPrev + batch * hidden
                                let cPrev = ct.map { $0 + k * batch * hidden }
                                let dh = dH.pointer
                                let dhNext = dHNext.pointer
                                if sortedLengths && k + 1 < time {
                                    // Rows after the step's active ones are not carried: the
                                    // sequences whose last step this is start here.
                                    startRows(cache.activeRows[k + 1]..<rows, of: dh)
                                }
                                for s in 0..<(sortedLengths ? rows : batch) {
                                    let length = lengthBuffer[s]
                                    let row = s * hidden
                                    if k < length {
                                        let t = isReversed ? length - 1 - k : k
                                        // dh += the output gradient (a loop: a BLAS call per
                                        // row cost more than the sum; y + 1·x, the same bits).
                                        if let dOut {
                                            let dy =
                                                dOut + (t * batch + s) * outputWidth + d * hidden
                                            let target = dh + row
                                            for j in 0..<hidden { target[j] += dy[j] }
                                        }
                                        Cell.backwardRow(
                                            hidden: hidden,
                                            activations: act + (k * batch + s) * activationWidth,
                                            hPrev: hPrev + row, cPrev: cPrev.map { $0 + row },
                                            h: hNew + row, dh: dh + row,
                                            dc: dC.map { $0.pointer + row },
                                            dp: dp + (k * batch + s) * ldp,
                                            dq: dq + (k * batch + s) * ldq,
                                            dhPrev: dhNext + row)
                                    } else {
                                        (dhNext + row).update(from: dh + row, count: hidden)
                                    }
                                }
                                if rows > 0 {
                                    // dH_{k-1} += dQ_k · Whᵀ
                                    recurrent.multiply(
                                        rows: rows, a: dq + k * batch * ldq, lda: ldq,
                                        accumulate: true, c: dhNext, ldc: hidden)
                                }
                                swap(&dH, &dHNext)
                                k -= 1
                            }
                        }
                        // dWh = H_prevᵀ · dQ over the steps run backward: one GEMM.
                        let count = (time - stop) * batch
                        if count > 0 && skipsPadding {
                            dWh = Matrix(rows: hidden, columns: gateWidth) { g in
                                gemmTransposedAOverTokens(
                                    m: hidden, n: gateWidth, a: st, lda: hidden, b: dq, ldb: ldq,
                                    tokens: cache.activeRows, blockRows: batch, c: g,
                                    ldc: gateWidth)
                            }
                        } else if count > 0 {
                            dWh = Matrix(rows: hidden, columns: gateWidth) { g in
                                Scalar.gemmTransposedA(
                                    m: hidden, n: gateWidth, k: count,
                                    a: st + stop * batch * hidden, lda: hidden,
                                    b: dq + stop * batch * ldq, ldb: ldq,
                                    accumulate: false, c: g, ldc: gateWidth)
                            }
                        } else {
                            dWh = Matrix(rows: hidden, columns: gateWidth)
                        }
                    }
                    if let ownDeltas {
                        // Step order to time order: step k of sequence s is time length−1−k.
                        for k in stop..<time {
                            for s in 0..<batch {
                                let length = lengthBuffer[s]
                                guard k < length else { continue }
                                let t = length - 1 - k
                                (dProjection.pointer + (t * batch + s) * projectionWidth + d
                                    * gateWidth)
                                    .update(
                                        from: ownDeltas.pointer + (k * batch + s) * gateWidth,
                                        count: gateWidth)
                            }
                        }
                    }
                    let result = results[d]
                    result.dWh = dWh
                    if sortedLengths && stop == 0 && time > 0 {
                        // Empty sequences pass their final-state gradient on unchanged.
                        startRows(cache.activeRows[0]..<batch, of: dH.pointer)
                    }
                    if stop == 0 {
                        result.dState = RecurrentState(
                            hidden: dH.matrix(rows: batch, columns: hidden),
                            cell: dC?.matrix(rows: batch, columns: hidden))
                    } else {
                        result.dState = RecurrentState.zeros(
                            batch: batch, hiddenSize: hidden, hasCell: Cell.hasCellState)
                    }
                }
                if directions == 2 && concurrent {
                    HelperThread.shared.run({ run(0) }, { run(1) })
                } else {
                    for d in 0..<directions { run(d) }
                }
            }
        }

        let parallel = directions == 2 && concurrent
        let dInput: Matrix<Scalar>
        if let inputRows = cache.inputRows {
            dInput = tableRowGradients(
                cells: cells, cache: cache, inputRows: inputRows,
                dProjection: UnsafePointer(dProjection.pointer), results: results,
                parallel: parallel)
        } else {
            // Rows that can hold a nonzero delta: a lone forward direction truncated at
            // `stop` has none before time `stop`.
            let firstRow = (directions == 1 && !cache.reversed[0]) ? stop * batch : 0
            let rowCount = time * batch - firstRow
            let dp = UnsafePointer(dProjection.pointer + firstRow * projectionWidth)
            // dX = Σ_d dP_d · Wx_dᵀ, by rows (in halves over the two threads with concurrent
            // directions). The first direction's product overwrites its rows (β = 0); only the
            // rows before `firstRow` need zeros.
            dInput = Matrix<Scalar>(rows: time * batch, columns: inputSize) { dx in
                dx.initialize(repeating: 0, count: firstRow * inputSize)
                guard rowCount > 0 else { return }
                // Wxᵀ packed once per direction for the products over all rows (as the step
                // products are): OpenBLAS would copy it into its own layout at every call.
                let products = (0..<directions).map {
                    StepProduct(weights: cells[$0].Wx, transposed: true)
                }
                if skipsPadding {
                    // Each time block's token rows (a row's product does not depend on the
                    // others); its padding rows get zeros.
                    splitInHalves(time, parallel: parallel) { firstBlock, blocks in
                        for t in firstBlock..<(firstBlock + blocks) {
                            let rows = cache.activeRows[t]
                            for d in 0..<directions where rows > 0 {
                                products[d].multiply(
                                    rows: rows, a: dp + t * batch * projectionWidth + d * gateWidth,
                                    lda: projectionWidth, accumulate: d != 0,
                                    c: dx + t * batch * inputSize, ldc: inputSize)
                            }
                            (dx + (t * batch + rows) * inputSize).initialize(
                                repeating: 0, count: (batch - rows) * inputSize)
                        }
                    }
                    return
                }
                splitInHalves(rowCount, parallel: parallel) { first, count in
                    for d in 0..<directions {
                        products[d].multiply(
                            rows: count, a: dp + first * projectionWidth + d * gateWidth,
                            lda: projectionWidth, accumulate: d != 0,
                            c: dx + (firstRow + first) * inputSize, ldc: inputSize)
                    }
                }
            }
            // dWx = Xᵀ · dP and db = Σ dP by columns, each direction's straight from its columns
            // of dP into its own matrices (the two directions at once when concurrent); over the
            // token rows alone, block by block, when the padding is skipped.
            cache.input.withUnsafePointer { x in
                func inputGradients(_ d: Int) {
                    let result = results[d]
                    let columns = dp + d * gateWidth
                    var dBias = Matrix<Scalar>(rows: 1, columns: gateWidth)
                    if skipsPadding {
                        result.dWx = Matrix(rows: inputSize, columns: gateWidth) { g in
                            gemmTransposedAOverTokens(
                                m: inputSize, n: gateWidth, a: x, lda: inputSize, b: columns,
                                ldb: projectionWidth, tokens: cache.activeRows, blockRows: batch,
                                c: g, ldc: gateWidth)
                        }
                        dBias.withUnsafeMutablePointer { db in
                            columnSumsOverTokens(
                                columns: gateWidth, a: columns, lda: projectionWidth,
                                tokens: cache.activeRows, blockRows: batch, y: db)
                        }
                        result.dBias = dBias
                        return
                    }
                    guard rowCount > 0 else {
                        result.dWx = Matrix(rows: inputSize, columns: gateWidth)
                        result.dBias = dBias
                        return
                    }
                    result.dWx = Matrix(rows: inputSize, columns: gateWidth) { g in
                        Scalar.gemmTransposedA(
                            m: inputSize, n: gateWidth, k: rowCount, a: x + firstRow * inputSize,
                            lda: inputSize, b: columns, ldb: projectionWidth, accumulate: false,
                            c: g, ldc: gateWidth)
                    }
                    dBias.withUnsafeMutablePointer { db in
                        Scalar.columnSums(
                            rows: rowCount, columns: gateWidth, a: columns, lda: projectionWidth,
                            accumulate: false, y: db)
                    }
                    result.dBias = dBias
                }
                if parallel {
                    HelperThread.shared.run({ inputGradients(0) }, { inputGradients(1) })
                } else {
                    for d in 0..<directions { inputGradients(d) }
                }
            }
        }

        let gradients = (0..<directions).map { d in
            var gradient = cells[d]
            gradient.Wx = results[d].dWx
            gradient.b = results[d].dBias
            gradient.Wh = results[d].dWh
            return gradient
        }
        return (dInput, results.map { $0.dState }, gradients)
    }

    /// The input gradients of a pass whose input rows were rows of a table (`inputRows`):
    /// G `[table rows, D·G·H]` sums the deltas of each table row's tokens (in time-major
    /// order), then dTable = Σ_d G_d · Wx_dᵀ, dWx_d = tableᵀ · G_d and db_d = Σ G_d by
    /// columns: products over the table's rows instead of over every token. Writes dWx and
    /// db into `results`; returns dTable `[table rows, inputSize]`.
    static func tableRowGradients<Cell: RecurrentCell>(
        cells: [Cell], cache: RecurrentCache<Cell.Scalar>, inputRows: [Int],
        dProjection: UnsafePointer<Cell.Scalar>, results: [DirectionGradient<Cell.Scalar>],
        parallel: Bool
    ) -> Matrix<Cell.Scalar> {
        typealias Scalar = Cell.Scalar
        let directions = cells.count
        let (batch, time, tableRows) = (cache.batch, cache.time, cache.input.rows)
        let inputSize = cells[0].inputSize
        let gateWidth = Cell.gateCount * cells[0].hiddenSize
        let projectionWidth = directions * gateWidth
        let sums = ScalarBuffer<Scalar>(count: tableRows * projectionWidth)
        let g = sums.pointer
        for t in 0..<time {
            for s in 0..<batch where t < cache.lengths[s] {
                let (source, target) = (
                    dProjection + (t * batch + s) * projectionWidth,
                    g + inputRows[t * batch + s] * projectionWidth
                )
                for j in 0..<projectionWidth { target[j] += source[j] }
            }
        }
        let dTable = Matrix<Scalar>(rows: tableRows, columns: inputSize) { dx in
            for d in 0..<directions {
                StepProduct(weights: cells[d].Wx, transposed: true).multiply(
                    rows: tableRows, a: g + d * gateWidth, lda: projectionWidth,
                    accumulate: d != 0, c: dx, ldc: inputSize)
            }
        }
        guard tableRows > 0 else {
            for d in 0..<directions {
                results[d].dWx = Matrix(rows: inputSize, columns: gateWidth)
                results[d].dBias = Matrix(rows: 1, columns: gateWidth)
            }
            return dTable
        }
        cache.input.withUnsafePointer { table in
            func inputGradients(_ d: Int) {
                let columns = UnsafePointer(g + d * gateWidth)
                results[d].dWx = Matrix(rows: inputSize, columns: gateWidth) { w in
                    Scalar.gemmTransposedA(
                        m: inputSize, n: gateWidth, k: tableRows, a: table, lda: inputSize,
                        b: columns, ldb: projectionWidth, accumulate: false, c: w,
                        ldc: gateWidth)
                }
                results[d].dBias = Matrix(rows: 1, columns: gateWidth) { db in
                    Scalar.columnSums(
                        rows: tableRows, columns: gateWidth, a: columns, lda: projectionWidth,
                        accumulate: false, y: db)
                }
            }
            if parallel {
                HelperThread.shared.run({ inputGradients(0) }, { inputGradients(1) })
            } else {
                for d in 0..<directions { inputGradients(d) }
            }
        }
        return dTable
    }
}
