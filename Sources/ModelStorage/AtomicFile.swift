import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written whole or not at all: the bytes go to a temporary file beside the
/// destination, created exclusively and never through a symbolic link, which is synced to
/// disk and renamed over the destination (then the folder is synced), so a crash, a kill or
/// a full disk during a save leaves the previous file intact.
public enum AtomicFile {
    /// A save that did not happen; the previous file, if any, is unchanged.
    public struct WriteError: Error, LocalizedError, Equatable, Sendable {
        /// The destination.
        public var path: String
        /// The system's reason (`No space left on device`, …).
        public var reason: String

        /// Names the file, the reason, and that the old file is kept.
        public var errorDescription: String? {
            "\(path): could not be saved (\(reason)); the previous file, if any, is unchanged"
        }
    }

    /// Writes `bytes` to `path` atomically (see `AtomicFile`). A failed write removes the
    /// temporary file and throws `WriteError`; a process killed mid-save leaves
    /// `path.tmp-PID`.
    public static func write<Bytes: ContiguousBytes>(bytes: Bytes, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        // Created exclusively and never through a symbolic link, so a link planted at the
        // (predictable) temporary path cannot redirect the write; a stale file left by a
        // killed process with the same id is removed first.
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(temporary, flags, 0o644)
        if fd < 0, errno == EEXIST {
            unlink(temporary)
            fd = open(temporary, flags, 0o644)
        }
        guard fd >= 0 else {
            throw WriteError(path: path, reason: String(cString: strerror(errno)))
        }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(temporary, path) != 0 {
            failure = String(cString: strerror(errno))
        }
        if let failure {
            unlink(temporary)
            throw WriteError(path: path, reason: failure)
        }
        // Make the rename itself durable.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
