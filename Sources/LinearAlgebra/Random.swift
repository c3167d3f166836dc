#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The sequence depends only on the seed: the same on every run, machine and
/// Swift version, because every derived value (uniform, normal, shuffles) is
/// computed here rather than by the standard library's unspecified algorithms.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// False for `shapesOnly`: the `Initializer` functions then return zero matrices.
    public private(set) var fillsParameters = true

    /// A generator for building a network whose parameters are overwritten right after
    /// (a model being loaded): the `Initializer` functions give zero matrices of the
    /// right shapes without drawing a number, so no time goes into weights thrown away.
    public static var shapesOnly: SeededRandom {
        var random = SeededRandom(seed: 0)
        random.fillsParameters = false
        return random
    }

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform value in `[lower, upper)`.
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnit()
    }

    /// A standard normal value (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = 1 - nextUnit()  // in (0, 1], so the logarithm is finite
        let u2 = nextUnit()
        return (-2 * Glibc.log(u1)).squareRoot() * Glibc.cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound`, without modulo bias.
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound, got \(bound)")
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit
        while true {
            let x = next()
            let (high, low) = x.multipliedFullWidth(by: limit)
            if low >= threshold { return Int(high) }
        }
    }

    /// Shuffles `array` in place (Fisher–Yates) with this generator's own algorithm.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, index(below: i + 1))
        }
    }
}

extension SeededRandom: Codable {
    /// Reads a generator saved by `encode(to:)`: it continues the saved sequence exactly.
    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let words = try (0..<4).map { _ in try container.decode(UInt64.self) }
        self.init(seed: 0)
        state = (words[0], words[1], words[2], words[3])
    }

    /// Writes the generator's state (four words), for a checkpoint.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        for word in [state.0, state.1, state.2, state.3] { try container.encode(word) }
    }
}
