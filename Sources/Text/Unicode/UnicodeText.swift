import CUtf8proc

/// Unicode normalisation and case folding through utf8proc, used for lexicon lookups and
/// features; the original text is never changed.
public enum UnicodeText {
    /// The NFC (canonical composition) form of `text`; ASCII is returned unchanged without a copy.
    public static func nfc(_ text: String) -> String {
        map(text, options: UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue)
    }

    /// The case-folded NFC form of `text` (for caseless comparison and features); ASCII is
    /// lowercased without calling utf8proc.
    public static func caseFold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 128 }) {
            if !text.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) { return text }
            return String(
                decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        return map(
            text,
            options: UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue
                | UTF8PROC_CASEFOLD.rawValue)
    }

    private static func map(_ text: String, options: UInt32) -> String {
        if text.utf8.allSatisfy({ $0 < 128 }) && options & UTF8PROC_CASEFOLD.rawValue == 0 {
            return text
        }
        var bytes = Array(text.utf8)
        var result: UnsafeMutablePointer<UInt8>? = nil
        let length = bytes.withUnsafeMutableBufferPointer { buffer in
            utf8proc_map(
                buffer.baseAddress, buffer.count, &result, utf8proc_option_t(rawValue: options))
        }
        guard length >= 0, let output = result else { return text }
        defer { free(output) }
        bytes = Array(UnsafeBufferPointer(start: output, count: length))
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
