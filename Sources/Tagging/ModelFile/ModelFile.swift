import Foundation
import LinearAlgebra

#if canImport(Glibc)
    import Glibc
#endif

/// A trained model on disk: architecture, configuration, vocabularies and named
/// parameters, validated as a whole when read.
///
/// Layout (all integers little-endian):
///
///     magic      8 bytes  "SQTAGMDL"
///     version    u32      formatVersion
///     header     u32 length + UTF-8 JSON: architecture, configuration, vocabularies
///     count      u32      number of parameters
///     parameter  u16 name length + UTF-8 name, u32 rows, u32 columns, rows·columns f32
///     checksum   u64      FNV-1a of every byte before it
///
/// Format history: version 1 is the first.
public struct ModelFile: Equatable, Sendable {
    /// The eight bytes every model file starts with.
    public static let magic = Array("SQTAGMDL".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The largest header accepted, so a corrupt length cannot trigger a huge allocation.
    static let maximumHeaderBytes = 256 << 20

    /// The versioned architecture name, such as `BiLSTMTagger.v1`.
    public var architecture: String
    /// The hyper-parameters, as JSON the model type decodes.
    public var configuration: Data
    /// Named string tables: words, characters, tags, labels.
    public var vocabularies: [String: [String]]
    /// The parameters in a fixed order.
    public var parameters: [NamedMatrix]

    /// A named parameter matrix.
    public struct NamedMatrix: Equatable, Sendable {
        /// The parameter's stable name, such as `encoder.layer0.forward.Wx`.
        public var name: String
        /// Its values.
        public var matrix: Matrix<Float>

        /// A parameter with a name and values.
        public init(name: String, matrix: Matrix<Float>) {
            self.name = name
            self.matrix = matrix
        }
    }

    /// A model file with the given contents.
    public init(
        architecture: String, configuration: Data, vocabularies: [String: [String]] = [:],
        parameters: [NamedMatrix] = []
    ) {
        self.architecture = architecture
        self.configuration = configuration
        self.vocabularies = vocabularies
        self.parameters = parameters
    }

    private struct Header: Codable {
        var architecture: String
        var configuration: String
        var vocabularies: [String: [String]]
    }

    // MARK: Access with validation

    /// The parameter named `name`, which must have the shape `[rows, columns]`.
    public func matrix(named name: String, rows: Int, columns: Int) throws -> Matrix<Float> {
        guard let found = parameters.first(where: { $0.name == name }) else {
            throw ModelFileError.missingParameter(name: name)
        }
        guard found.matrix.rows == rows, found.matrix.columns == columns else {
            throw ModelFileError.shapeMismatch(
                name: name, expected: "[\(rows), \(columns)]", found: found.matrix.shapeDescription)
        }
        return found.matrix
    }

    /// The vocabulary named `name`.
    public func vocabulary(named name: String) throws -> [String] {
        guard let table = vocabularies[name] else {
            throw ModelFileError.missingVocabulary(name: name)
        }
        return table
    }

    /// Decodes the configuration as `T`. The hyper-parameters of a model configuration are
    /// also checked against the stored parameters, so that a header stating absurd sizes is
    /// rejected before a network of those sizes is built.
    public func decodeConfiguration<T: Decodable>(_: T.Type) throws -> T {
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: configuration)
        } catch {
            throw ModelFileError.malformedHeader(reason: "configuration does not decode: \(error)")
        }
        if let checked = value as? any SizeCheckedConfiguration {
            try checked.checkSizes(against: self)
        }
        return value
    }

    // MARK: Serialisation

    /// The file's bytes.
    public func serialized() throws -> [UInt8] {
        var out = ModelFile.magic
        out.appendLittleEndian(ModelFile.formatVersion)
        let header = Header(
            architecture: architecture,
            configuration: String(decoding: configuration, as: UTF8.self),
            vocabularies: vocabularies)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let headerBytes = Array(try encoder.encode(header))
        out.appendLittleEndian(UInt32(headerBytes.count))
        out += headerBytes
        out.appendLittleEndian(UInt32(parameters.count))
        for p in parameters {
            let name = Array(p.name.utf8)
            precondition(name.count <= Int(UInt16.max), "parameter name too long: \(p.name)")
            out.appendLittleEndian(UInt16(name.count))
            out += name
            out.appendLittleEndian(UInt32(p.matrix.rows))
            out.appendLittleEndian(UInt32(p.matrix.columns))
            out.reserveCapacity(out.count + 4 * p.matrix.count + 8)
            for value in p.matrix.scalars { out.appendLittleEndian(value.bitPattern) }
        }
        out.appendLittleEndian(ModelFile.checksum(out[...]))
        return out
    }

    /// Parses and validates the bytes of a model file; `source` names it in errors.
    public init(bytes: [UInt8], source: String) throws {
        var reader = ByteReader(bytes: bytes, source: source)
        try ModelFile.checkPrefix(bytes, source: source)
        reader.offset = 8
        _ = try reader.read(UInt32.self, what: "format version")
        // Verify the checksum before trusting any length inside the file.
        guard bytes.count >= 8 + 4 + 8 else {
            throw ModelFileError.truncated(path: source, needed: 20, available: bytes.count)
        }
        let body = bytes[..<(bytes.count - 8)]
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        let computed = ModelFile.checksum(body)
        guard stored == computed else {
            throw ModelFileError.checksumMismatch(path: source, stored: stored, computed: computed)
        }
        reader.end = bytes.count - 8

        let headerLength = Int(try reader.read(UInt32.self, what: "header length"))
        guard headerLength <= ModelFile.maximumHeaderBytes else {
            throw ModelFileError.malformedHeader(reason: "header length \(headerLength) is absurd")
        }
        let headerBytes = try reader.bytes(count: headerLength, what: "header")
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch {
            throw ModelFileError.malformedHeader(reason: "\(error)")
        }
        architecture = header.architecture
        configuration = Data(header.configuration.utf8)
        vocabularies = header.vocabularies

        let count = Int(try reader.read(UInt32.self, what: "parameter count"))
        // Each parameter needs at least 10 bytes, so a count beyond that is corrupt.
        guard count <= reader.remaining / 10 else {
            throw ModelFileError.truncated(
                path: source, needed: count * 10, available: reader.remaining)
        }
        var parameters: [NamedMatrix] = []
        parameters.reserveCapacity(count)
        var seen = Set<String>()
        for _ in 0..<count {
            let nameLength = Int(try reader.read(UInt16.self, what: "parameter name length"))
            let nameBytes = try reader.bytes(count: nameLength, what: "parameter name")
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw ModelFileError.malformedHeader(reason: "a parameter name is not UTF-8")
            }
            guard seen.insert(name).inserted else {
                throw ModelFileError.duplicateParameter(name: name)
            }
            let rows = Int(try reader.read(UInt32.self, what: "rows of \(name)"))
            let columns = Int(try reader.read(UInt32.self, what: "columns of \(name)"))
            let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
            guard !overflow, elements <= reader.remaining / 4 else {
                throw ModelFileError.truncated(
                    path: source,
                    needed: overflow || elements > Int.max / 4 ? Int.max : elements * 4,
                    available: reader.remaining)
            }
            var scalars = [Float](repeating: 0, count: elements)
            try reader.readFloats(into: &scalars, what: name)
            parameters.append(
                NamedMatrix(
                    name: name, matrix: Matrix(rows: rows, columns: columns, scalars: scalars)))
        }
        guard reader.remaining == 0 else {
            throw ModelFileError.malformedHeader(
                reason: "\(reader.remaining) unexpected bytes after the last parameter")
        }
        self.parameters = parameters
    }

    /// The checksum stored at the end of a model file: 64-bit FNV-1a over `bytes`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                hash = (hash ^ UInt64(byte)) &* prime
            }
        }
        return hash
    }

    // MARK: Files

    /// Reads and validates a model file. The magic bytes and the version are checked
    /// after the first twelve bytes, so a foreign file of any size (or an endless device
    /// such as `/dev/zero`) is rejected without reading it whole.
    public static func read(from path: String) throws -> ModelFile {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ModelFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        try readChunk(fd, path: path, upTo: magic.count + 4, into: &bytes)
        try checkPrefix(bytes, source: path)
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
            bytes.reserveCapacity(Int(status.st_size))
        }
        while try readChunk(fd, path: path, upTo: 1 << 20, into: &bytes) > 0 {}
        return try ModelFile(bytes: bytes, source: path)
    }

    /// Appends up to `count` bytes read from `fd` to `bytes`; returns how many (0 at the end).
    @discardableResult
    private static func readChunk(
        _ fd: Int32, path: String, upTo count: Int, into bytes: inout [UInt8]
    )
        throws -> Int
    {
        var chunk = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let n = chunk.withUnsafeMutableBytes {
                Glibc.read(fd, $0.baseAddress! + total, count - total)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelFileError.cannotOpen(
                    path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            total += n
        }
        bytes += chunk[..<total]
        return total
    }

    /// Checks the magic bytes and, once present, the format version at the start of `bytes`.
    private static func checkPrefix(_ bytes: [UInt8], source: String) throws {
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
            throw ModelFileError.notAModelFile(path: source)
        }
        guard bytes.count >= magic.count + 4 else { return }
        var version: UInt32 = 0
        for i in 0..<4 { version |= UInt32(bytes[magic.count + i]) << (8 * UInt32(i)) }
        guard version == formatVersion else {
            throw ModelFileError.unsupportedVersion(
                path: source, found: Int(version), supported: Int(formatVersion))
        }
    }

    /// Writes the model atomically: a temporary file beside `path` is written, flushed
    /// to disk and renamed over `path`, so an interrupted save leaves the old file. A
    /// failed write (a full disk, say) removes the temporary file and throws
    /// `ModelFileError.writeFailed`; a process killed mid-save leaves `path.tmp-PID`.
    public func write(to path: String) throws {
        let bytes = try serialized()
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
            throw ModelFileError.writeFailed(path: path, reason: String(cString: strerror(errno)))
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
            throw ModelFileError.writeFailed(path: path, reason: failure)
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

/// What can be wrong with a model file.
public enum ModelFileError: LocalizedError, Equatable {
    /// The file cannot be opened or read.
    case cannotOpen(path: String, reason: String)
    /// The file does not start with the model magic bytes.
    case notAModelFile(path: String)
    /// The file was written by another format version.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// The file ends before the data it announces.
    case truncated(path: String, needed: Int, available: Int)
    /// The stored checksum does not match the contents: the file is corrupt.
    case checksumMismatch(path: String, stored: UInt64, computed: UInt64)
    /// The header cannot be parsed.
    case malformedHeader(reason: String)
    /// The file's architecture is not the one being loaded.
    case wrongArchitecture(found: String, expected: String)
    /// A parameter the architecture needs is absent.
    case missingParameter(name: String)
    /// A parameter appears twice.
    case duplicateParameter(name: String)
    /// A vocabulary the architecture needs is absent.
    case missingVocabulary(name: String)
    /// A parameter's shape disagrees with the hyper-parameters.
    case shapeMismatch(name: String, expected: String, found: String)
    /// The hyper-parameters are out of range or need more parameters than the file holds.
    case implausibleConfiguration(reason: String)
    /// The model could not be written.
    case writeFailed(path: String, reason: String)

    /// A message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot read the model file: \(reason)"
        case .notAModelFile(let path):
            return "\(path): not a model file of this toolkit (the magic bytes are missing)"
        case .unsupportedVersion(let path, let found, let supported):
            return
                "\(path): model format version \(found) is not supported (this build reads version \(supported)); retrain or use a matching build"
        case .truncated(let path, let needed, let available):
            return
                "\(path): truncated model file: \(needed) more bytes needed, \(available) present"
        case .checksumMismatch(let path, let stored, let computed):
            return
                "\(path): checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): the file is corrupt"
        case .malformedHeader(let reason):
            return "malformed model header: \(reason)"
        case .wrongArchitecture(let found, let expected):
            return "the model is a \(found), expected a \(expected)"
        case .missingParameter(let name):
            return "the model has no parameter \(name)"
        case .duplicateParameter(let name):
            return "the model has the parameter \(name) twice"
        case .missingVocabulary(let name):
            return "the model has no vocabulary \(name)"
        case .shapeMismatch(let name, let expected, let found):
            return "shape mismatch for \(name): expected \(expected), found \(found)"
        case .implausibleConfiguration(let reason):
            return
                "the model's hyper-parameters disagree with its parameters: \(reason); the file is corrupt or was not written by this toolkit"
        case .writeFailed(let path, let reason):
            return
                "\(path): the model could not be saved (\(reason)); the previous file, if any, is unchanged"
        }
    }
}

/// A bounds-checked little-endian reader over a byte array.
struct ByteReader {
    let bytes: [UInt8]
    let source: String
    var offset = 0
    var end: Int

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
        self.end = bytes.count
    }

    var remaining: Int { end - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, what: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw ModelFileError.truncated(path: source, needed: size, available: remaining)
        }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    mutating func bytes(count: Int, what: String) throws -> ArraySlice<UInt8> {
        guard remaining >= count else {
            throw ModelFileError.truncated(path: source, needed: count, available: remaining)
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func readFloats(into scalars: inout [Float], what: String) throws {
        let count = scalars.count * 4
        guard remaining >= count else {
            throw ModelFileError.truncated(path: source, needed: count, available: remaining)
        }
        scalars.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                destination.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
        }
        // The format is little-endian; convert on big-endian hosts.
        if UInt32(littleEndian: 1) != 1 {
            for i in scalars.indices {
                scalars[i] = Float(bitPattern: UInt32(littleEndian: scalars[i].bitPattern))
            }
        }
        offset += count
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
