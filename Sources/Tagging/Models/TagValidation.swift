import Text

/// What a tag or a label may hold, so that every output format stays well formed
/// whatever a model says: CoNLL-U and CoNLL columns are separated by tabs and spaces,
/// MISC items by `|`, and the text and `classify` outputs by line breaks.
///
/// A tag must be non-empty and must not hold white space of any kind, control, format or
/// other invisible characters (see `Unicode.Scalar.needsEscapingInMessage`), or `|`.
/// Checked when a model is loaded and when training data is read.
public enum TagValidation {
    /// Why `tag` cannot be a tag or label, in words, or nil when it can.
    public static func problem(with tag: String) -> String? {
        if tag.isEmpty { return "it is empty" }
        for scalar in tag.unicodeScalars {
            let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
            if scalar == "|" {
                return "it holds \"|\", which separates the items of the CoNLL-U MISC column"
            }
            if scalar.properties.isWhitespace {
                return "it holds white space (\(code))"
            }
            if scalar.needsEscapingInMessage {
                return "it holds the control or invisible character \(code)"
            }
        }
        return nil
    }

    /// The rule, for the end of error messages.
    public static let rule =
        "a tag or label must be non-empty and hold no white space, control or invisible characters, or \"|\""
}
