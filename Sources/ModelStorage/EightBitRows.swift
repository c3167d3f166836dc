/// How a model file stores a parameter's values.
public enum ParameterStorage: UInt8, Equatable, Sendable, CaseIterable {
    /// Every value as a 32-bit float, exactly.
    case float32 = 0
    /// Each row as 8-bit integers times one 32-bit scale per row (`EightBitRows`): a quarter
    /// of the bytes, each value within half a step (`scale / 2`) of the original.
    case eightBitRows = 1
}

/// Symmetric 8-bit quantization by rows: row `r` is stored as integers `q` in `-127...127`
/// and one scale `s`, and read back as `Float(q) * s`.
///
/// The scale of a row is its largest magnitude over 127, nudged to a fixed point of the
/// round trip: a row read back and stored again gives the same integers and scale, so a
/// file rewritten without changes keeps its bytes (and its checksum, which models refer to).
public enum EightBitRows {
    /// The scale and integers of `row`. Every value must be finite.
    public static func quantize(_ row: UnsafeBufferPointer<Float>) -> (
        scale: Float, values: [Int8]
    ) {
        var largest: Float = 0
        for x in row {
            precondition(x.isFinite, "a non-finite value cannot be stored in 8 bits")
            largest = max(largest, abs(x))
        }
        guard largest > 0 else { return (0, [Int8](repeating: 0, count: row.count)) }
        let scale = fixedPointScale(largest: largest)
        let values = row.map { x -> Int8 in
            Int8(max(-127, min(127, (x / scale).rounded(.toNearestOrEven))))
        }
        return (scale, values)
    }

    /// `largest / 127`, or a float next to it, such that the row read back (whose largest
    /// magnitude is `127 * scale`) gives the same scale again.
    static func fixedPointScale(largest: Float) -> Float {
        var scale = largest / 127
        for _ in 0..<4 {
            let again = (127 * scale) / 127
            if again == scale { return scale }
            scale = again
        }
        return scale
    }

    /// The value of each stored integer: `Float(q) * scale`, into `output`.
    @inline(__always)
    public static func dequantize(
        _ values: UnsafeBufferPointer<Int8>, scale: Float, into output: UnsafeMutablePointer<Float>
    ) {
        for (i, q) in values.enumerated() { output[i] = Float(q) * scale }
    }
}
