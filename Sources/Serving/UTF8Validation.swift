/// UTF-8 checking that says where the first bad byte is.
public enum UTF8Validation {
    /// The offset of the first byte that does not start or continue a valid UTF-8
    /// sequence, or nil when every byte is valid UTF-8.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        // ASCII runs are the common case: skip them eight bytes at a time.
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count
            && bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                & 0x8080_8080_8080_8080 == 0
        {
            offset += 8
        }
        var iterator = UnsafeRawBufferPointer(rebasing: bytes[offset...]).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// ``firstInvalidOffset(_:)`` of an array of bytes.
    public static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { firstInvalidOffset($0) }
    }
}
