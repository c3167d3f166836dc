import CUtf8proc

/// The coarse class of a Unicode scalar that the tokenizer decides on, derived from
/// the Unicode general category (through utf8proc) with an ASCII table as fast path.
public enum ScalarClass: UInt8, Sendable {
    /// White space, line and paragraph separators, control characters (including NUL) and
    /// the byte-order mark / zero-width no-break space: never part of a token.
    case space
    /// An uppercase or titlecase letter (Lu, Lt).
    case upper
    /// A lowercase letter (Ll).
    case lower
    /// Any other letter (Lm, Lo).
    case letter
    /// A combining mark (Mn, Mc, Me), a zero-width joiner, a variation selector, an emoji
    /// modifier or another format character: it stays attached to the scalar before it.
    case mark
    /// A decimal digit (Nd).
    case digit
    /// A letter-like or other number (Nl, No).
    case number
    /// Punctuation (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    case punctuation
    /// A math, currency or modifier symbol, or an other symbol that is not a pictograph (Sm, Sc, Sk, So).
    case symbol
    /// An extended pictographic scalar (emoji).
    case emoji
    /// Unassigned, private-use or surrogate code points.
    case other

    /// Whether the class is a letter, digit, number or mark: the inside of a word.
    @inlinable public var isAlphanumeric: Bool {
        switch self {
        case .upper, .lower, .letter, .digit, .number, .mark: return true
        default: return false
        }
    }

    /// Whether the class is a letter of any case.
    @inlinable public var isLetter: Bool {
        self == .upper || self == .lower || self == .letter
    }

    /// The class of `scalar`: a table lookup for ASCII, utf8proc's general category otherwise.
    @inlinable public static func of(_ scalar: UInt32) -> ScalarClass {
        if scalar < 128 { return ScalarClass(rawValue: asciiTable[Int(scalar)])! }
        return nonASCII(scalar)
    }

    @usableFromInline static let asciiTable: [UInt8] = (0..<128).map { (c: Int) -> UInt8 in
        switch c {
        case 0..<33, 127: return ScalarClass.space.rawValue
        case 48...57: return ScalarClass.digit.rawValue
        case 65...90: return ScalarClass.upper.rawValue
        case 97...122: return ScalarClass.lower.rawValue
        // $ + < = > ^ ` | ~
        case 36, 43, 60, 61, 62, 94, 96, 124, 126: return ScalarClass.symbol.rawValue
        default: return ScalarClass.punctuation.rawValue
        }
    }

    @usableFromInline static func nonASCII(_ scalar: UInt32) -> ScalarClass {
        switch scalar {
        case 0xFEFF, 0x200B: return .space  // BOM / zero-width no-break space, zero-width space
        case 0x200D, 0xFE00...0xFE0F, 0xE0100...0xE01EF, 0x1F3FB...0x1F3FF, 0xE0020...0xE007F:
            return .mark
        default: break
        }
        guard scalar <= 0x10FFFF else { return .other }
        let code = Int32(bitPattern: scalar)
        switch utf8proc_category(code) {
        case UTF8PROC_CATEGORY_LU, UTF8PROC_CATEGORY_LT: return .upper
        case UTF8PROC_CATEGORY_LL: return .lower
        case UTF8PROC_CATEGORY_LM, UTF8PROC_CATEGORY_LO: return .letter
        case UTF8PROC_CATEGORY_MN, UTF8PROC_CATEGORY_MC, UTF8PROC_CATEGORY_ME, UTF8PROC_CATEGORY_CF:
            return .mark
        case UTF8PROC_CATEGORY_ND: return .digit
        case UTF8PROC_CATEGORY_NL, UTF8PROC_CATEGORY_NO: return .number
        case UTF8PROC_CATEGORY_PC, UTF8PROC_CATEGORY_PD, UTF8PROC_CATEGORY_PS, UTF8PROC_CATEGORY_PE,
            UTF8PROC_CATEGORY_PI, UTF8PROC_CATEGORY_PF, UTF8PROC_CATEGORY_PO:
            return .punctuation
        case UTF8PROC_CATEGORY_SM, UTF8PROC_CATEGORY_SC, UTF8PROC_CATEGORY_SK, UTF8PROC_CATEGORY_SO:
            let bound = utf8proc_get_property(code).pointee.boundclass
            if bound == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC.rawValue
                || bound == UTF8PROC_BOUNDCLASS_E_ZWG.rawValue
                || bound == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR.rawValue
            {
                return .emoji
            }
            return .symbol
        case UTF8PROC_CATEGORY_ZS, UTF8PROC_CATEGORY_ZL, UTF8PROC_CATEGORY_ZP, UTF8PROC_CATEGORY_CC:
            return .space
        default: return .other
        }
    }
}
