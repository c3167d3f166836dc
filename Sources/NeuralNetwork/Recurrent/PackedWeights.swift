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
