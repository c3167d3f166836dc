import LinearAlgebra

/// How a model file stores a parameter's values.
public enum ParameterStorage: UInt8, Equatable, Sendable, CaseIterable {
    /// Every value as a 32-bit float, exactly.
    case float32 = 0
    /// Each row as 8-bit integers times one 32-bit scale per row (`EightBitMatrix`): a
    /// quarter of the bytes, each value within half a step (`scale / 2`) of the original.
    case eightBitRows = 1
}
