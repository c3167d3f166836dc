/// Showing untrusted text (a tag from a model file, a lexicon's first line, a parameter
/// name) inside an error message without letting it forge lines or control the terminal.
extension String {
    /// The longest text, in characters, that `quotedForMessage` shows before cutting it.
    public static let messageQuotingLimit = 80

    /// The string in double quotes with every character that could change how a message
    /// looks escaped: control characters (C0, DEL, C1), line and paragraph separators,
    /// format characters (such as bidirectional overrides) and every other non-printing
    /// scalar as `\u{1B}`, a quote as `\"` and a backslash as `\\`; cut after
    /// `messageQuotingLimit` characters with `…` and the length. Printable text, spaces
    /// included, stays as it is: `"A\u{1B}[31m"`, `"NO UN"`, `""`.
    public var quotedForMessage: String {
        var result = "\""
        var shown = 0
        for scalar in unicodeScalars {
            if shown == Self.messageQuotingLimit {
                result += "…\" (\(unicodeScalars.count) characters)"
                return result
            }
            shown += 1
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case " ": result += " "
            default:
                if scalar.needsEscapingInMessage {
                    result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension Unicode.Scalar {
    /// Whether the scalar is invisible or acts on the terminal: every category other than
    /// letters, marks, numbers, punctuation and symbols (controls, format characters,
    /// separators other than the space, unassigned and private-use code points).
    public var needsEscapingInMessage: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return false
        default:
            return true
        }
    }
}
