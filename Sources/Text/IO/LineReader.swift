import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The byte sequence that ended a line, reported so writers can reproduce it.
public enum LineTerminator: UInt8, Hashable, Sendable {
    /// No terminator: the last line of an input that does not end in a line break.
    case none
    /// Line feed, `\n`.
    case lf
    /// Carriage return and line feed, `\r\n`.
    case crlf
    /// A lone carriage return, `\r`.
    case cr

    /// The terminator's bytes (empty for ``none``).
    public var bytes: [UInt8] {
        switch self {
        case .none: return []
        case .lf: return [0x0A]
        case .crlf: return [0x0D, 0x0A]
        case .cr: return [0x0D]
        }
    }

    /// The terminator as a string (empty for ``none``).
    public var string: String {
        switch self {
        case .none: return ""
        case .lf: return "\n"
        case .crlf: return "\r\n"
        case .cr: return "\r"
        }
    }
}

/// One line of input, without its terminator.
public struct Line: Hashable, Sendable {
    /// 1-based line number.
    public var number: Int
    /// Byte offset of the line's first byte from the start of the input
    /// (a skipped byte order mark counts, so the first line of a file with a
    /// BOM starts at offset 3).
    public var byteOffset: Int
    /// The line's bytes, always well-formed UTF-8. They are exactly the bytes
    /// read, except in ``LineReader/Options/replaceInvalid`` mode, where each
    /// ill-formed sequence has been replaced by U+FFFD (EF BF BD). NUL bytes
    /// are kept as data.
    public var bytes: [UInt8]
    /// What ended the line.
    public var terminator: LineTerminator
    /// How many ill-formed sequences were replaced by U+FFFD (always 0 unless
    /// ``LineReader/Options/replaceInvalid`` is set).
    public var replacements: Int
    /// With ``LineReader/Options/markInvalid``: the error the line's first ill-formed
    /// sequence would have thrown (the bytes are then repaired); `nil` otherwise.
    public var invalidUTF8: TextInputError?

    /// Creates a line; readers make these, tests may too.
    public init(
        number: Int, byteOffset: Int, bytes: [UInt8], terminator: LineTerminator,
        replacements: Int = 0
    ) {
        self.number = number
        self.byteOffset = byteOffset
        self.bytes = bytes
        self.terminator = terminator
        self.replacements = replacements
    }

    /// The line as a string (the bytes are already validated, so this never
    /// changes them).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the line has no bytes (a blank line; spaces are not blank).
    public var isEmpty: Bool { bytes.isEmpty }
}

/// A malformed or unreadable text input.
public enum TextInputError: Error, Hashable, Sendable {
    /// The file could not be opened.
    case cannotOpen(path: String, reason: String)
    /// Reading failed after the file was opened.
    case readFailed(source: String, reason: String)
    /// Ill-formed UTF-8. `byteOffset` is from the start of the input and
    /// points at the first byte of the ill-formed sequence; `bytes` holds up
    /// to four bytes from there, within the line.
    case invalidUTF8(source: String, line: Int, byteOffset: Int, bytes: [UInt8], defect: UTF8Defect)
    /// A line longer than the reader's limit (in bytes, without terminator).
    case lineTooLong(source: String, line: Int, byteOffset: Int, limit: Int)
}

extension TextInputError: LocalizedError {
    /// A one-line description starting with `source:line:` where known.
    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open: \(reason)"
        case .readFailed(let source, let reason):
            return "\(source): read failed: \(reason)"
        case .invalidUTF8(let source, let line, let offset, let bytes, let defect):
            let shown = bytes.map { "0x" + hexByte($0) }
            var what = "byte \(shown.first ?? "?")"
            if shown.count > 1 {
                what += " followed by " + shown.dropFirst().joined(separator: " ")
            }
            return
                "\(source):\(line): invalid UTF-8 at byte offset \(offset) (\(what): \(defect.reason));"
                + " fix the encoding (e.g. with iconv) or read with replacement of invalid bytes"
        case .lineTooLong(let source, let line, let offset, let limit):
            return
                "\(source):\(line): line starting at byte offset \(offset) is longer than the limit of"
                + " \(limit) bytes; is this a text file? Raise the limit if the line is genuine"
        }
    }
}

private func hexByte(_ b: UInt8) -> String {
    let digits: [Character] = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}

/// Reads lines from a file, standard input or memory in fixed-size chunks, so
/// memory stays bounded by the chunk size plus the longest line however large
/// the input is.
///
/// LF, CRLF and a lone CR each end a line; the terminator is reported. A UTF-8
/// byte order mark at the very start is skipped and reported by
/// ``hadByteOrderMark``. Every line is validated as UTF-8; an ill-formed
/// sequence throws ``TextInputError/invalidUTF8(source:line:byteOffset:bytes:defect:)``
/// unless ``Options/replaceInvalid`` is set.
///
/// ```swift
/// let reader = try LineReader(path: "train.conllu")
/// while let line = try reader.next() { print(line.number, line.text) }
/// ```
public final class LineReader {
    /// Reading options.
    public struct Options: Hashable, Sendable {
        /// Bytes requested per `read(2)` call.
        public var chunkSize: Int
        /// Longest accepted line in bytes (terminator excluded).
        public var maximumLineLength: Int
        /// Replace ill-formed UTF-8 with U+FFFD instead of throwing.
        public var replaceInvalid: Bool
        /// Return a line with ill-formed UTF-8 (repaired, with ``Line/invalidUTF8`` saying
        /// where the first defect is) instead of throwing, so that a reader that treats each
        /// line as a record can report it and go on.
        public var markInvalid: Bool

        /// Creates options; defaults are 64 KiB chunks, a 64 MiB line limit and strict UTF-8.
        public init(
            chunkSize: Int = 64 * 1024, maximumLineLength: Int = 64 * 1024 * 1024,
            replaceInvalid: Bool = false, markInvalid: Bool = false
        ) {
            precondition(chunkSize > 0, "chunkSize must be positive, got \(chunkSize)")
            precondition(
                maximumLineLength >= 0,
                "maximumLineLength must not be negative, got \(maximumLineLength)")
            self.chunkSize = chunkSize
            self.maximumLineLength = maximumLineLength
            self.replaceInvalid = replaceInvalid
            self.markInvalid = markInvalid
        }
    }

    private enum Source {
        case descriptor(Int32, owned: Bool)
        case memory([UInt8], position: Int)
    }

    /// The name used in error messages: the path, `<stdin>`, or the name given.
    public let name: String
    /// The options this reader was created with.
    public let options: Options
    /// Whether the input started with a UTF-8 byte order mark (which was skipped).
    /// Known once the first line has been requested.
    public private(set) var hadByteOrderMark = false
    /// Number of the last line returned (0 before the first).
    public private(set) var lineNumber = 0

    private var source: Source
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0  // first unconsumed byte
    private var end = 0  // one past the last valid byte
    private var scanned = 0  // bytes in start..<scanned contain no line break
    private var bufferOffset = 0  // input offset of buffer[0]
    private var atEndOfInput = false
    private var startedReading = false

    /// Opens the file at `path`.
    /// - Throws: ``TextInputError/cannotOpen(path:reason:)``.
    public init(path: String, options: Options = Options()) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TextInputError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        self.name = path
        self.options = options
        self.source = .descriptor(fd, owned: true)
        self.capacity = options.chunkSize
        self.buffer = .allocate(capacity: capacity)
    }

    /// Reads an already open file descriptor, which is not closed by the reader.
    public init(fileDescriptor: Int32, name: String, options: Options = Options()) {
        self.name = name
        self.options = options
        self.source = .descriptor(fileDescriptor, owned: false)
        self.capacity = options.chunkSize
        self.buffer = .allocate(capacity: capacity)
    }

    /// Reads standard input.
    public static func standardInput(options: Options = Options()) -> LineReader {
        LineReader(fileDescriptor: 0, name: "<stdin>", options: options)
    }

    /// Reads bytes held in memory (useful for tests and for parsing strings).
    public init(bytes: [UInt8], name: String = "<memory>", options: Options = Options()) {
        self.name = name
        self.options = options
        self.source = .memory(bytes, position: 0)
        self.capacity = options.chunkSize
        self.buffer = .allocate(capacity: capacity)
    }

    /// Reads the UTF-8 bytes of a string.
    public convenience init(string: String, name: String = "<memory>", options: Options = Options())
    {
        self.init(bytes: Array(string.utf8), name: name, options: options)
    }

    deinit {
        if case .descriptor(let fd, true) = source { close(fd) }
        buffer.deallocate()
    }

    /// Reads every remaining line, calling `body` for each.
    public func forEach(_ body: (Line) throws -> Void) throws {
        while let line = try next() { try body(line) }
    }

    /// The next line, or `nil` at the end of the input. An empty input has no
    /// lines; an input ending in a terminator has no empty last line.
    /// - Throws: ``TextInputError`` for unreadable input, ill-formed UTF-8
    ///   (unless replacing) or a line over the limit.
    public func next() throws -> Line? {
        if !startedReading {
            startedReading = true
            while end - start < 3 && !atEndOfInput { try fill() }
            if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB
                && buffer[start + 2] == 0xBF
            {
                hadByteOrderMark = true
                start += 3
                scanned = start
            }
        }
        while true {
            // Look for a line break in the unscanned part.
            var j = scanned
            // Eight bytes at a time while none is LF or CR.
            let raw = UnsafeRawPointer(buffer)
            while j + 8 <= end {
                let word = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
                if Self.hasByte(word, 0x0A) || Self.hasByte(word, 0x0D) { break }
                j += 8
            }
            while j < end {
                let b = buffer[j]
                if b == 0x0A || b == 0x0D { break }
                j += 1
            }
            if j < end {
                let terminator: LineTerminator
                var terminatorLength = 1
                if buffer[j] == 0x0A {
                    terminator = .lf
                } else if j + 1 < end {
                    if buffer[j + 1] == 0x0A {
                        terminator = .crlf
                        terminatorLength = 2
                    } else {
                        terminator = .cr
                    }
                } else if !atEndOfInput {
                    // A CR at the end of the buffer: need one more byte to know.
                    scanned = j
                    try fill()
                    continue
                } else {
                    terminator = .cr
                }
                let line = try makeLine(contentEnd: j, terminator: terminator)
                start = j + terminatorLength
                scanned = start
                return line
            }
            scanned = end
            if end - start > options.maximumLineLength {
                throw TextInputError.lineTooLong(
                    source: name, line: lineNumber + 1, byteOffset: bufferOffset + start,
                    limit: options.maximumLineLength)
            }
            if atEndOfInput {
                if end > start {
                    let line = try makeLine(contentEnd: end, terminator: .none)
                    start = end
                    return line
                }
                return nil
            }
            try fill()
        }
    }

    /// Whether any of the eight bytes of `word` equals `byte`.
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    private func makeLine(contentEnd: Int, terminator: LineTerminator) throws -> Line {
        let length = contentEnd - start
        let number = lineNumber + 1
        let offset = bufferOffset + start
        if length > options.maximumLineLength {
            throw TextInputError.lineTooLong(
                source: name, line: number, byteOffset: offset, limit: options.maximumLineLength)
        }
        let content = UnsafeBufferPointer(start: buffer + start, count: length)
        var replacements = 0
        var bytes: [UInt8]
        var invalid: TextInputError?
        if let (index, defect) = UTF8Validation.firstDefect(in: content) {
            let shown = Array(content[index..<min(length, index + 4)])
            let error = TextInputError.invalidUTF8(
                source: name, line: number, byteOffset: offset + index, bytes: shown,
                defect: defect)
            guard options.replaceInvalid || options.markInvalid else { throw error }
            (bytes, replacements) = UTF8Validation.repairing(content)
            if !options.replaceInvalid { invalid = error }
        } else {
            bytes = Array(content)
        }
        lineNumber = number
        var line = Line(
            number: number, byteOffset: offset, bytes: bytes, terminator: terminator,
            replacements: replacements)
        line.invalidUTF8 = invalid
        return line
    }

    /// Moves unconsumed bytes to the front, grows the buffer if it is full,
    /// and reads one more chunk.
    private func fill() throws {
        if start > 0 {
            let count = end - start
            if count > 0 { buffer.update(from: buffer + start, count: count) }
            bufferOffset += start
            scanned -= start
            end = count
            start = 0
        }
        if capacity - end < options.chunkSize {
            // Doubling, but never much beyond what the longest allowed line needs.
            let cap = options.maximumLineLength + 2 * options.chunkSize + 2
            let newCapacity = max(min(capacity * 2, cap), end + options.chunkSize)
            let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBuffer.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = newBuffer
            capacity = newCapacity
        }
        let want = options.chunkSize
        switch source {
        case .descriptor(let fd, _):
            while true {
                let got = read(fd, buffer + end, want)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw TextInputError.readFailed(
                        source: name, reason: String(cString: strerror(errno)))
                }
                if got == 0 { atEndOfInput = true }
                end += got
                break
            }
        case .memory(let bytes, let position):
            let count = min(want, bytes.count - position)
            if count == 0 {
                atEndOfInput = true
            } else {
                bytes.withUnsafeBufferPointer { source in
                    (buffer + end).update(from: source.baseAddress! + position, count: count)
                }
                end += count
                self.source = .memory(bytes, position: position + count)
            }
        }
    }
}
