/// Why a byte sequence is not well-formed UTF-8.
///
/// The validator follows the well-formed byte sequence table of the Unicode
/// standard (chapter 3, table 3-7): overlong forms, UTF-16 surrogates
/// (U+D800…U+DFFF), code points above U+10FFFF, stray continuation bytes and
/// truncated sequences are all rejected.
public enum UTF8Defect: Hashable, Sendable {
    /// A continuation byte (0x80…0xBF) where a sequence should start.
    case unexpectedContinuationByte
    /// A byte that never occurs in UTF-8 (0xF8…0xFF).
    case invalidByte
    /// An overlong encoding (lead 0xC0, 0xC1, or 0xE0/0xF0 with a too small second byte).
    case overlongEncoding
    /// An encoded UTF-16 surrogate (0xED followed by 0xA0…0xBF).
    case surrogate
    /// A code point above U+10FFFF (lead 0xF5…0xF7, or 0xF4 followed by 0x90…0xBF).
    case beyondMaximumCodePoint
    /// A multi-byte sequence cut short by a non-continuation byte.
    case missingContinuationByte
    /// A multi-byte sequence cut short by the end of the line or input.
    case truncatedAtEnd

    /// A short English description, e.g. "overlong encoding".
    public var reason: String {
        switch self {
        case .unexpectedContinuationByte: return "unexpected continuation byte"
        case .invalidByte: return "byte that never occurs in UTF-8"
        case .overlongEncoding: return "overlong encoding"
        case .surrogate: return "encoded UTF-16 surrogate"
        case .beyondMaximumCodePoint: return "code point above U+10FFFF"
        case .missingContinuationByte: return "sequence missing a continuation byte"
        case .truncatedAtEnd: return "sequence truncated at end of line"
        }
    }
}

/// The result of decoding one sequence at a position: either a valid scalar
/// of `length` bytes, or an ill-formed maximal subpart of `length` bytes.
@usableFromInline
struct UTF8Step {
    @usableFromInline var length: Int
    @usableFromInline var defect: UTF8Defect?
    @inlinable init(length: Int, defect: UTF8Defect?) {
        self.length = length
        self.defect = defect
    }
}

/// UTF-8 validation that reports the exact position of the first ill-formed
/// sequence, which the standard library's decoding does not.
public enum UTF8Validation {
    /// The first ill-formed sequence in `bytes`, as its index (relative to the
    /// start of the buffer) and the defect, or `nil` when all of `bytes` is
    /// well-formed UTF-8. The index is that of the byte that starts the
    /// ill-formed sequence (its lead byte, or a stray byte).
    public static func firstDefect(in bytes: UnsafeBufferPointer<UInt8>) -> (
        index: Int, defect: UTF8Defect
    )? {
        var i = 0
        let n = bytes.count
        let raw = UnsafeRawPointer(bytes.baseAddress)
        while i < n {
            // Fast path: eight ASCII bytes at a time.
            if let raw, i + 8 <= n,
                raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                i += 8
                continue
            }
            if bytes[i] < 0x80 {
                i += 1
                continue
            }
            let step = decode(bytes, at: i)
            if let defect = step.defect { return (i, defect) }
            i += step.length
        }
        return nil
    }

    /// Convenience for arrays; see ``firstDefect(in:)-(UnsafeBufferPointer<UInt8>)``.
    public static func firstDefect(in bytes: [UInt8]) -> (index: Int, defect: UTF8Defect)? {
        bytes.withUnsafeBufferPointer { firstDefect(in: $0) }
    }

    /// Copies `bytes`, replacing each maximal ill-formed subpart with U+FFFD
    /// (EF BF BD), as the Unicode standard recommends. Returns the copy and
    /// the number of replacements made.
    public static func repairing(_ bytes: UnsafeBufferPointer<UInt8>) -> (
        bytes: [UInt8], replacements: Int
    ) {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 8)
        var replacements = 0
        var i = 0
        let n = bytes.count
        while i < n {
            if bytes[i] < 0x80 {
                out.append(bytes[i])
                i += 1
                continue
            }
            let step = decode(bytes, at: i)
            if step.defect != nil {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                replacements += 1
            } else {
                out.append(contentsOf: bytes[i..<(i + step.length)])
            }
            i += step.length
        }
        return (out, replacements)
    }

    /// Decodes the sequence starting at `i` (whose byte is ≥ 0x80).
    @inlinable
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> UTF8Step {
        let lead = b[i]
        let n = b.count
        // Allowed range of the second byte and the total sequence length.
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        let length: Int
        // Defect to report when the second byte is a continuation byte outside [lo, hi].
        var rangeDefect: UTF8Defect = .missingContinuationByte
        switch lead {
        case 0x80...0xBF: return UTF8Step(length: 1, defect: .unexpectedContinuationByte)
        case 0xC0, 0xC1: return UTF8Step(length: 1, defect: .overlongEncoding)
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lo = 0xA0; rangeDefect = .overlongEncoding
        case 0xED: length = 3; hi = 0x9F; rangeDefect = .surrogate
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; lo = 0x90; rangeDefect = .overlongEncoding
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; hi = 0x8F; rangeDefect = .beyondMaximumCodePoint
        case 0xF5...0xF7: return UTF8Step(length: 1, defect: .beyondMaximumCodePoint)
        default: return UTF8Step(length: 1, defect: .invalidByte)
        }
        // Second byte.
        guard i + 1 < n else { return UTF8Step(length: 1, defect: .truncatedAtEnd) }
        let second = b[i + 1]
        if second < lo || second > hi {
            let isContinuation = second & 0xC0 == 0x80
            return UTF8Step(
                length: 1, defect: isContinuation ? rangeDefect : .missingContinuationByte)
        }
        var k = 2
        while k < length {
            guard i + k < n else { return UTF8Step(length: k, defect: .truncatedAtEnd) }
            if b[i + k] & 0xC0 != 0x80 {
                return UTF8Step(length: k, defect: .missingContinuationByte)
            }
            k += 1
        }
        return UTF8Step(length: length, defect: nil)
    }
}
