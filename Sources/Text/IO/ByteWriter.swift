import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure to write output.
public enum TextOutputError: Error, Hashable, Sendable {
    /// The file could not be created or opened for writing.
    case cannotCreate(path: String, reason: String)
    /// A `write(2)` call failed.
    case writeFailed(destination: String, reason: String)
}

extension TextOutputError: LocalizedError {
    /// A one-line description naming the destination.
    public var errorDescription: String? {
        switch self {
        case .cannotCreate(let path, let reason): return "\(path): cannot create: \(reason)"
        case .writeFailed(let destination, let reason):
            return "\(destination): write failed: \(reason)"
        }
    }
}

/// Buffered byte output to a file or standard output, the writing
/// counterpart of ``LineReader``. Call ``close()`` (or ``flush()``) to be
/// sure everything was written; deinit flushes but cannot report errors.
public final class ByteWriter {
    /// The name used in error messages: the path or `<stdout>`.
    public let name: String
    private var fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private let bufferSize: Int

    /// Creates (or truncates) the file at `path`.
    /// - Throws: ``TextOutputError/cannotCreate(path:reason:)``.
    public init(path: String, bufferSize: Int = 64 * 1024) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw TextOutputError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        self.fd = fd
        self.name = path
        self.ownsDescriptor = true
        self.bufferSize = bufferSize
        buffer.reserveCapacity(bufferSize)
    }

    /// Writes to an open descriptor, which is not closed by the writer.
    public init(fileDescriptor: Int32, name: String, bufferSize: Int = 64 * 1024) {
        self.fd = fileDescriptor
        self.name = name
        self.ownsDescriptor = false
        self.bufferSize = bufferSize
        buffer.reserveCapacity(bufferSize)
    }

    /// Writes to standard output.
    public static func standardOutput() -> ByteWriter {
        ByteWriter(fileDescriptor: 1, name: "<stdout>")
    }

    deinit {
        try? flush()
        if ownsDescriptor && fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Appends bytes.
    public func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferSize { try flush() }
    }

    /// Appends the UTF-8 bytes of a string.
    public func write(_ string: String) throws {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= bufferSize { try flush() }
    }

    /// Writes out everything buffered.
    public func flush() throws {
        var done = 0
        let total = buffer.count
        try buffer.withUnsafeBytes { raw in
            while done < total {
                let n = Glibc.write(fd, raw.baseAddress! + done, total - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TextOutputError.writeFailed(
                        destination: name, reason: String(cString: strerror(errno)))
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and, if the writer opened the file, closes it.
    public func close() throws {
        try flush()
        if ownsDescriptor && fd >= 0 {
            let result = Glibc.close(fd)
            fd = -1
            if result != 0 {
                throw TextOutputError.writeFailed(
                    destination: name, reason: String(cString: strerror(errno)))
            }
        }
    }
}
