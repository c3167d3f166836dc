import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// A buffered reader over a file that may be gzip-compressed (zlib reads plain
/// files transparently), giving lines and raw byte runs without loading the file.
final class CompressedFileReader {
    let path: String
    private let file: gzFile
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// Decompressed bytes consumed so far: the offset of the next byte.
    private(set) var offset = 0

    init(path: String, chunkSize: Int = 1 << 16) throws {
        self.path = path
        guard let file = gzopen(path, "rb") else {
            throw PretrainedVectorsError.cannotOpen(path: path)
        }
        self.file = file
        gzbuffer(file, 1 << 17)
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { gzclose(file) }

    /// Moves unread bytes to the front and fills the rest; false at end of input.
    private func refill() throws -> Bool {
        if atEnd { return false }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let room = buffer.count - end
        let n = buffer.withUnsafeMutableBufferPointer { b in
            gzread(file, b.baseAddress! + end, UInt32(room))
        }
        if n < 0 {
            var code: Int32 = 0
            let message = String(cString: gzerror(file, &code))
            throw PretrainedVectorsError.readFailed(path: path, reason: message)
        }
        if n == 0 {
            atEnd = true
            return false
        }
        end += Int(n)
        return true
    }

    /// The bytes up to (not including) the next `delimiter`, which is consumed;
    /// at end of input the remaining bytes, then `nil`. Longer runs than
    /// `maximumLength` throw instead of growing without bound.
    func read(upTo delimiter: UInt8, maximumLength: Int) throws -> [UInt8]? {
        var scanned = start
        while true {
            if let i = buffer[scanned..<end].firstIndex(of: delimiter) {
                let run = Array(buffer[start..<i])
                offset += i + 1 - start
                start = i + 1
                return run
            }
            scanned = end
            guard end - start <= maximumLength else {
                throw PretrainedVectorsError.lineTooLong(
                    path: path, offset: offset, limit: maximumLength)
            }
            let before = start
            if try !refill() {
                if start == end { return nil }
                let run = Array(buffer[start..<end])
                offset += end - start
                start = end
                return run
            }
            scanned -= before - start  // the buffer may have shifted left
        }
    }

    /// Exactly `count` bytes, or `nil` if the input ends first.
    func read(count: Int) throws -> [UInt8]? {
        while end - start < count {
            if try !refill() { return nil }
        }
        let run = Array(buffer[start..<(start + count)])
        start += count
        offset += count
        return run
    }

    /// Up to `count` next bytes without consuming them (fewer at end of input).
    func peek(count: Int) throws -> [UInt8] {
        while end - start < count {
            if try !refill() { break }
        }
        return Array(buffer[start..<min(end, start + count)])
    }

    /// The next byte without consuming it, or `nil` at end of input.
    func peek() throws -> UInt8? {
        if start == end, try !refill() { return nil }
        return buffer[start]
    }

    /// Consumes one byte.
    func skipByte() {
        precondition(start < end, "skipByte past the buffered input")
        start += 1
        offset += 1
    }
}
