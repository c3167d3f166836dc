import Foundation
import Pipeline
import Text

/// The JSON of annotated documents as bytes, written by the same ``DocumentWriter`` as
/// `tagger annotate --format json` (so the service answers exactly what the command
/// writes). `DocumentWriter` writes to a ``ByteWriter``, which writes to a file
/// descriptor; this type gives it an unlinked scratch file in memory (`/dev/shm`, else the
/// temporary directory) and reads each batch back. One value per thread.
///
/// (A public `DocumentWriter.json(_:)` in Pipeline would make the scratch file
/// unnecessary.)
public final class DocumentJSON {
    private let fd: Int32
    private let writer: ByteWriter
    private var writers: [WriterKey: DocumentWriter] = [:]

    private struct WriterKey: Hashable {
        var components: [PipelineComponent]
        var offsets: OffsetUnit
    }

    /// A scratch file for the JSON.
    /// - Throws: ``ServiceError/scratchFile(_:)`` when no scratch file can be made.
    public init() throws {
        var made: Int32 = -1
        for directory in ["/dev/shm", NSTemporaryDirectory()] {
            var template = Array((directory + "/tagger-serve-XXXXXX").utf8CString)
            made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if made >= 0 {
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                break
            }
        }
        guard made >= 0 else { throw ServiceError.scratchFile(String(cString: strerror(errno))) }
        fd = made
        writer = ByteWriter(fileDescriptor: made, name: "<scratch>")
    }

    deinit { close(fd) }

    /// Each document's JSON object (without a line break), as `tagger annotate
    /// --format json --offsets offsets` writes it.
    public func json(
        _ documents: [AnnotatedDocument], components: [PipelineComponent], offsets: OffsetUnit
    )
        throws -> [[UInt8]]
    {
        let key = WriterKey(components: components, offsets: offsets)
        var output =
            writers[key]
            ?? DocumentWriter(
                format: .json, components: components, offsets: offsets, writer: writer)
        for document in documents { try output.write(document) }
        writers[key] = output
        try writer.flush()
        let size = Int(lseek(fd, 0, SEEK_CUR))
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, size - done, off_t(done))
            }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                throw ServiceError.scratchFile(
                    "reading back the JSON failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        _ = ftruncate(fd, 0)
        _ = lseek(fd, 0, SEEK_SET)
        // One object a line: JSON strings escape line breaks, so 0x0A ends an object.
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        guard lines.count == documents.count else {
            throw ServiceError.scratchFile(
                "\(lines.count) JSON objects for \(documents.count) documents")
        }
        return lines.map(Array.init)
    }
}

/// A failure of the service itself (not of a request).
public enum ServiceError: LocalizedError, Equatable {
    /// The scratch file for the JSON could not be made or read.
    case scratchFile(String)
    /// A model file could not be read for `/models`.
    case modelFile(path: String, reason: String)

    /// A one-line message.
    public var errorDescription: String? {
        switch self {
        case .scratchFile(let reason): return "the JSON scratch file failed: \(reason)"
        case .modelFile(let path, let reason):
            return "cannot read the model file \(path): \(reason)"
        }
    }
}
