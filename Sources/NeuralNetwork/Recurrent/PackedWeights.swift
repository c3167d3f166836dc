import LinearAlgebra

#if canImport(Glibc)
    import Glibc
#endif

/// Weight matrices packed for `gemmPacked`, kept between inference passes.
///
/// A recurrent layer's pass packs its `Wx` and `Wh` once for all its steps; in inference a
/// model's weights never change, so re-packing them at every pass is wasted work, and at
/// batch 1 (a sentence a pass) the packing took about a third of the tagging time. An
/// entry is found by the address of the matrix's storage and keeps a copy of the matrix,
/// which shares that storage: while the entry lives, the storage cannot be freed (so its
/// address cannot name other weights), and a change to the weights copies them to new
/// storage first (so stale packed weights are never found). The least recently used
/// entries are dropped beyond ``capacity`` entries or ``byteCapacity`` packed bytes, so
/// the weights of models no longer used are not held for long.
final class PackedWeights: @unchecked Sendable {
    /// The cache shared by every recurrent layer of the process.
    static let shared = PackedWeights()

    /// Entries kept: the weight matrices of a few loaded models (a two-layer tagger with a
    /// character encoder has twelve).
    static let capacity = 64

    /// Packed bytes kept (the shipped POS, NER, sentiment and sentence models pack about
    /// 10 MB together).
    static let byteCapacity = 64 << 20

    private struct Key: Hashable {
        let address: UnsafeRawPointer
        let transposed: Bool
        let scalar: ObjectIdentifier
    }

    private struct Entry {
        /// The weights, holding their storage alive.
        let weights: Any
        /// The `ScalarBuffer` of the packed weights.
        let packed: AnyObject
        let bytes: Int
        var lastUse: Int
    }

    private var entries: [Key: Entry] = [:]
    private var clock = 0
    private var bytes = 0
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    /// The number of entries (for tests).
    var count: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return entries.count
    }

    /// `weights` (or their transpose) packed as `StepProduct` packs them: from the cache,
    /// or packed now and kept.
    func packed<Scalar: BLASScalar>(_ weights: Matrix<Scalar>, transposed: Bool)
        -> ScalarBuffer<Scalar>
    {
        guard weights.count > 0 else { return Self.pack(weights, transposed: transposed) }
        let key = Key(
            address: weights.withUnsafePointer { UnsafeRawPointer($0) }, transposed: transposed,
            scalar: ObjectIdentifier(Scalar.self))
        pthread_mutex_lock(lock)
        clock += 1
        if let packed = entries[key]?.packed as? ScalarBuffer<Scalar> {
            entries[key]!.lastUse = clock
            pthread_mutex_unlock(lock)
            return packed
        }
        pthread_mutex_unlock(lock)
        // Packed outside the lock; two threads missing at once both pack, the same bytes.
        let packed = Self.pack(weights, transposed: transposed)
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        let size = packed.count * MemoryLayout<Scalar>.stride
        while !entries.isEmpty
            && (entries.count >= Self.capacity || bytes + size > Self.byteCapacity),
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
        {
            bytes -= entries.removeValue(forKey: oldest)!.bytes
        }
        if let replaced = entries[key] { bytes -= replaced.bytes }
        entries[key] = Entry(weights: weights, packed: packed, bytes: size, lastUse: clock)
        bytes += size
        return packed
    }

    /// Empties the cache (training does, after scoring an epoch with inference).
    func removeAll() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        entries = [:]
        bytes = 0
    }

    /// `weights` (`[k, n]`, or given as its `[n, k]` transpose) packed by `BLASScalar.pack`.
    static func pack<Scalar: BLASScalar>(_ weights: Matrix<Scalar>, transposed: Bool)
        -> ScalarBuffer<Scalar>
    {
        let (k, n) = transposed ? (weights.columns, weights.rows) : (weights.rows, weights.columns)
        let buffer = ScalarBuffer<Scalar>(count: Scalar.packedCount(k: k, n: n), zeroed: false)
        weights.withUnsafePointer {
            Scalar.pack(
                k: k, n: n, b: $0, ldb: weights.columns, transposed: transposed,
                into: buffer.pointer)
        }
        return buffer
    }
}

/// Weights packed once for the two data-parallel halves of a training step.
///
/// Each half of a step runs the whole network on its sentences, and each recurrent layer
/// of each half would pack the matrices it multiplies by (`Wx` and `Wh` forward, their
/// transposes backward) for itself: the same packing twice per step. Inside ``within(_:)``
/// a layer finds them here instead, packed once before the halves start, half of them on
/// each thread.
///
/// Which matrices a step needs is learned from the steps before it: a matrix a layer had to
/// pack for itself (or found here) is packed here for the next step, if it is still one of
/// the `parameters` given then. A matrix is known by the address of its storage, and the
/// parameters are held (alive and unchanged, since the halves only read them) while the
/// packing lives, so what a layer finds is always the packing of the weights it holds.
/// Drop the packing before the optimizer changes the weights: holding them, it would make
/// the change copy them.
public final class StepPacking: @unchecked Sendable {
    private struct Key: Hashable {
        let address: UnsafeRawPointer
        let transposed: Bool
        let rows: Int
        let columns: Int
    }

    /// The matrices packed by earlier steps' halves or found by them in a packing, for all
    /// training in the process (a hint: each step packs only those still among its
    /// parameters).
    private static var learned: Set<Key> = []
    private static let learnedLock = Mutex()

    /// Held, never read: while the packing lives their storage (whose addresses are the
    /// keys) can be neither freed nor changed in place.
    private let parameters: [Matrix<Float>]
    private let packed: [Key: ScalarBuffer<Float>]
    private var used: Set<Key> = []
    private let lock = Mutex()

    /// Packs the matrices among `parameters` that the halves of earlier steps multiplied
    /// by, on two threads (`TwoThreads`) when `parallel`.
    public init(parameters: [Matrix<Float>], parallel: Bool = true) {
        self.parameters = parameters
        let wanted = Self.learnedLock.locked { Self.learned }
        var jobs: [(key: Key, matrix: Matrix<Float>)] = []
        for matrix in parameters where matrix.count > 0 {
            let address = matrix.withUnsafePointer { UnsafeRawPointer($0) }
            for transposed in [false, true] {
                let key = Key(
                    address: address, transposed: transposed, rows: matrix.rows,
                    columns: matrix.columns)
                if wanted.contains(key) { jobs.append((key, matrix)) }
            }
        }
        // The costliest first, each to the thread with less work so far, so the two threads
        // get about the same work. A transposed packing writes one scalar at a time and costs
        // about 1.5 times as much per element (timed inside training steps); dealt
        // alternately by size, one thread got every transposed matrix and took 1.45 times as
        // long as the other.
        func cost(_ job: (key: Key, matrix: Matrix<Float>)) -> Int {
            job.matrix.count * (job.key.transposed ? 3 : 2)
        }
        jobs.sort { cost($0) > cost($1) }
        var shares: [[Int]] = [[], []]
        var work = [0, 0]
        for (j, job) in jobs.enumerated() {
            let thread = work[0] <= work[1] ? 0 : 1
            shares[thread].append(j)
            work[thread] += cost(job)
        }
        var results = [ScalarBuffer<Float>?](repeating: nil, count: jobs.count)
        results.withUnsafeMutableBufferPointer { out in
            func pack(_ thread: Int) {
                for j in shares[thread] {
                    out[j] = PackedWeights.pack(jobs[j].matrix, transposed: jobs[j].key.transposed)
                }
            }
            if parallel && jobs.count > 1 {
                TwoThreads.run({ pack(0) }, { pack(1) })
            } else {
                pack(0)
                pack(1)
            }
        }
        var table: [Key: ScalarBuffer<Float>] = [:]
        for (j, job) in jobs.enumerated() { table[job.key] = results[j]! }
        packed = table
    }

    deinit {
        // What this step used is what the next one packs.
        let used = lock.locked { self.used }
        Self.learnedLock.locked { Self.learned = used }
    }

    /// Runs `body` on this thread with this packing found by the recurrent layers it runs.
    public func within<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(Self.threadKey)
        pthread_setspecific(Self.threadKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.threadKey, previous) }
        return try withExtendedLifetime(self) { try body() }
    }

    /// The number of matrices packed by this packing (for tests).
    public var count: Int { packed.count }

    /// The packing in force on the calling thread, if any.
    static var current: StepPacking? {
        guard let raw = pthread_getspecific(threadKey) else { return nil }
        return Unmanaged<StepPacking>.fromOpaque(raw).takeUnretainedValue()
    }

    /// `weights` (or their transpose) packed as `PackedWeights.pack` packs them, if this
    /// packing holds them; either way they are packed for the next step.
    func find<Scalar: BLASScalar>(_ weights: Matrix<Scalar>, transposed: Bool)
        -> ScalarBuffer<Scalar>?
    {
        guard Scalar.self == Float.self, weights.count > 0 else { return nil }
        let key = Key(
            address: weights.withUnsafePointer { UnsafeRawPointer($0) }, transposed: transposed,
            rows: weights.rows, columns: weights.columns)
        lock.locked { _ = used.insert(key) }
        return packed[key] as? ScalarBuffer<Scalar>
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// A pthread mutex for short critical sections.
private final class Mutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
