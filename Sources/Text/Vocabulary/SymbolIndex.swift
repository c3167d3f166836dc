/// The ids of a ``Vocabulary``'s strings: the answers of a `[String: Int]` (canonically
/// equivalent strings are one key, as `String ==` says), built several times faster.
///
/// A string whose NFC form is ASCII (nearly every word) lives in a flat open-addressing
/// table of ids, found by a hash of that ASCII form and confirmed with `==`; every other
/// string lives in a `[String: Int]`. The two kinds never compare equal, since only three
/// non-ASCII scalars have an ASCII NFC form (U+037E → `;`, U+1FEF → `` ` ``, U+212A → `K`),
/// and the hash maps those three to their ASCII form. The hash (FNV-1a with a final mix)
/// starts from a per-process random seed, so colliding strings cannot be prepared ahead.
struct SymbolIndex: Sendable {
    /// Id + 1 of each ASCII-form string, or 0 for an empty slot; a power-of-two count,
    /// at most half full, probed linearly.
    private var slots: [UInt32]
    /// How many slots are taken.
    private var taken = 0
    /// The ids of the strings whose NFC form is not ASCII.
    private var others: [String: Int] = [:]
    private let seed: UInt64

    private static let processSeed = UInt64.random(in: 0...UInt64.max)

    /// An empty index with room for `capacity` strings before it grows.
    init(capacity: Int) {
        var count = 16
        while count < 2 * capacity { count <<= 1 }
        slots = [UInt32](repeating: 0, count: count)
        seed = Self.processSeed
    }

    /// The id of the string of `symbols` equal to `symbol`, if there is one.
    func id(of symbol: String, in symbols: [String]) -> Int? {
        guard let hash = hash(symbol) else { return others[symbol] }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if symbols[entry - 1] == symbol { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Records `symbols[id]` under `id`, unless a string equal to it is already recorded:
    /// then returns that string's id and records nothing.
    mutating func insert(id: Int, of symbols: [String]) -> Int? {
        precondition(id < Int(UInt32.max), "vocabulary of more than \(UInt32.max - 1) symbols")
        let symbol = symbols[id]
        guard let hash = hash(symbol) else {
            if let existing = others[symbol] { return existing }
            others[symbol] = id
            return nil
        }
        if 2 * (taken + 1) > slots.count { grow(symbols) }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 {
                slots[slot] = UInt32(id + 1)
                taken += 1
                return nil
            }
            if symbols[entry - 1] == symbol { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Doubles the table.
    private mutating func grow(_ symbols: [String]) {
        var larger = [UInt32](repeating: 0, count: 2 * slots.count)
        let mask = larger.count - 1
        for entry in slots where entry != 0 {
            var slot = hash(symbols[Int(entry) - 1])! & mask
            while larger[slot] != 0 { slot = (slot + 1) & mask }
            larger[slot] = entry
        }
        slots = larger
    }

    /// The hash of the NFC form of `symbol` when that is ASCII, else nil.
    @inline(__always)
    private func hash(_ symbol: String) -> Int? {
        var symbol = symbol
        return symbol.withUTF8 { Self.hash($0, seed: seed) }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> Int? {
        var hash = seed
        var i = 0
        let count = bytes.count
        while i < count {
            var byte = bytes[i]
            i += 1
            if byte >= 0x80 {
                // The three scalars whose NFC form is ASCII, in UTF-8; anything else is not.
                if byte == 0xCD, i < count, bytes[i] == 0xBE {
                    byte = UInt8(ascii: ";")  // U+037E GREEK QUESTION MARK
                    i += 1
                } else if byte == 0xE1, i + 1 < count, bytes[i] == 0xBF, bytes[i + 1] == 0xAF {
                    byte = UInt8(ascii: "`")  // U+1FEF GREEK VARIA
                    i += 2
                } else if byte == 0xE2, i + 1 < count, bytes[i] == 0x84, bytes[i + 1] == 0xAA {
                    byte = UInt8(ascii: "K")  // U+212A KELVIN SIGN
                    i += 2
                } else {
                    return nil
                }
            }
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 32
        hash &*= 0xd6e8_feb8_6659_fd93
        hash ^= hash >> 32
        return Int(truncatingIfNeeded: hash)
    }
}
