import Foundation
import LinearAlgebra
import Text

#if canImport(Glibc)
    import Glibc
#endif

/// A trained model on disk: architecture, configuration, vocabularies and named
/// parameters, validated as a whole when read.
///
/// Layout of format versions 2 to 4 (all integers little-endian):
///
///     magic      8 bytes  "SQTAGMDL"
///     version    u32      formatVersion
///     header     u32 length, then:
///                  architecture   u16 length + UTF-8
///                  configuration  u32 length + UTF-8 JSON
///                  vocabularies   u32 count, then for each, in name order: u16 length +
///                                 UTF-8 name, u32 symbol count, one u32 UTF-8 length per
///                                 symbol, then the symbols' UTF-8 bytes one after another
///                  shared rows    (versions 3 and 4) u32 count, then for each, in parameter
///                                 name order: u16 length + UTF-8 parameter name, u16 length
///                                 + UTF-8 table file name, u64 table checksum, u32 rows,
///                                 then one u32 per row: its row in the shared table, or
///                                 0xFFFFFFFF for a row stored in the parameter (in order)
///     count      u32      number of parameters
///     parameter  u16 name length + UTF-8 name, u32 rows, u32 columns, then
///                  version 2 and 3: rows·columns f32;
///                  version 4: u8 storage (`ParameterStorage`), then for 0 rows·columns
///                  f32, for 1 (`EightBitMatrix`) rows f32 scales and rows·columns i8
///     checksum   u64      XXH64 (seed 0) of every byte before it
///
/// Format history:
/// - version 1: the header is UTF-8 JSON (`architecture`, `configuration` as a string,
///   `vocabularies` as arrays of strings) and the checksum is 64-bit FNV-1a, byte by byte.
///   Still read.
/// - version 2: the header is binary (vocabularies without JSON escaping or parsing) and
///   the checksum is XXH64, computed eight bytes at a time; parameters are unchanged.
/// - version 3: version 2 with the shared-rows section at the end of the header: some rows
///   of a parameter are read from a table stored once beside the model (`sharedRows`).
///   Written only for files that have such rows; others are still written as version 2.
/// - version 4: version 3 (the shared-rows section always present, maybe empty) with a
///   storage byte before each parameter's values: some parameters (embedding tables) may
///   be stored in 8 bits a value. Written only for files that have such parameters.
public struct ModelFile: Equatable, Sendable {
    /// The eight bytes every model file starts with.
    public static let magic = Array("SQTAGMDL".utf8)
    /// The format version this build writes for a file without shared rows; it also reads
    /// every earlier version.
    public static let formatVersion: UInt32 = 2
    /// The format version of a file with shared rows.
    public static let sharedRowsVersion: UInt32 = 3
    /// The format version of a file with a parameter stored in 8 bits, the newest this build
    /// reads.
    public static let eightBitVersion: UInt32 = 4
    /// The newest format version this build reads.
    public static let newestReadableVersion = eightBitVersion
    /// The oldest format version this build reads.
    public static let oldestReadableVersion: UInt32 = 1
    /// The largest header accepted, so a corrupt length cannot trigger a huge allocation.
    static let maximumHeaderBytes = 256 << 20
    /// The largest model file `read(from:)` accepts: 1 GiB (the shipped models are about
    /// 12 MB; a training checkpoint holds about three times its model). A larger file, or
    /// one whose lengths add up to more, is refused before it is read.
    public static let maximumFileBytes = 1 << 30

    /// The versioned architecture name, such as `BiLSTMTagger.v1`.
    public var architecture: String
    /// The hyper-parameters, as JSON the model type decodes.
    public var configuration: Data
    /// Named string tables: words, characters, tags, labels.
    public var vocabularies: [String: [String]]
    /// The parameters in a fixed order. A parameter with an entry in `sharedRows` holds only
    /// the rows that are not shared.
    public var parameters: [NamedMatrix]
    /// The parameters (by name) some of whose rows are read from a shared table.
    public var sharedRows: [String: SharedRowsReference]

    /// The rows of a parameter that are read from a table stored in another file (a table
    /// of pretrained vectors shared by several models), and where that table is.
    public struct SharedRowsReference: Equatable, Sendable {
        /// The table's file name, looked for in the model file's folder.
        public var tableName: String
        /// The checksum stored at the end of the table's file (it covers all its contents).
        public var tableChecksum: UInt64
        /// For each row of the parameter: its row in the shared table, or `nil` for a row
        /// stored in the parameter (the stored rows are taken in order).
        public var rows: [UInt32?]

        /// A reference from its parts.
        public init(tableName: String, tableChecksum: UInt64, rows: [UInt32?]) {
            self.tableName = tableName
            self.tableChecksum = tableChecksum
            self.rows = rows
        }

        /// How many rows are stored in the parameter itself.
        public var storedRowCount: Int { rows.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }
    }

    /// A named parameter matrix.
    public struct NamedMatrix: Equatable, Sendable {
        /// The parameter's stable name, such as `encoder.layer0.forward.Wx`.
        public var name: String
        /// Its values (for a parameter read from 8-bit storage, the values that storage
        /// gives back).
        public var matrix: Matrix<Float>
        /// How the file stores the values: a parameter read from 8-bit storage keeps it when
        /// it is written again.
        public var storage: ParameterStorage
        /// For a parameter read from 8-bit storage, the integers and scales as stored (what
        /// `matrix` expands), so that a reader that keeps them in 8 bits need not quantize
        /// again; `nil` otherwise. Not part of equality: `matrix` and `storage` fix it.
        public var eightBit: EightBitMatrix?

        /// A parameter with a name and values, stored as `storage` says.
        public init(name: String, matrix: Matrix<Float>, storage: ParameterStorage = .float32) {
            self.name = name
            self.matrix = matrix
            self.storage = storage
        }

        /// Equal names, values and storage.
        public static func == (a: NamedMatrix, b: NamedMatrix) -> Bool {
            a.name == b.name && a.matrix == b.matrix && a.storage == b.storage
        }
    }

    /// A model file with the given contents.
    public init(
        architecture: String, configuration: Data, vocabularies: [String: [String]] = [:],
        parameters: [NamedMatrix] = [], sharedRows: [String: SharedRowsReference] = [:]
    ) {
        self.architecture = architecture
        self.configuration = configuration
        self.vocabularies = vocabularies
        self.parameters = parameters
        self.sharedRows = sharedRows
    }

    /// The JSON header of format version 1.
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
            throw ModelFileError.malformedHeader(
                reason: "the configuration does not decode: \(ModelFile.describe(error))")
        }
        if let checked = value as? any SizeCheckedConfiguration {
            try checked.checkSizes(against: self)
        }
        return value
    }

    /// A JSON decoding error in words, with the key path it happened at quoted (keys
    /// and values come from the file, so they are never shown raw).
    static func describe(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".").quotedForMessage
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let at = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "the key \(key.stringValue.quotedForMessage) is missing\(at)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(type)"
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context)) is not of type \(type)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "it is not valid JSON" : "\(path(context)) holds a value that is not allowed"
        default:
            return "it cannot be decoded"
        }
    }

    // MARK: Serialisation

    /// The format version the file is written in: the oldest that holds its contents.
    public var writtenVersion: UInt32 {
        if parameters.contains(where: { $0.storage != .float32 }) { return ModelFile.eightBitVersion }
        return sharedRows.isEmpty ? ModelFile.formatVersion : ModelFile.sharedRowsVersion
    }

    /// The file's bytes: format version 2, 3 when some rows are shared, 4 when some
    /// parameter is stored in 8 bits. Throws `nonFiniteParameter` for a value that 8-bit
    /// storage cannot hold.
    public func serialized() throws -> [UInt8] {
        let version = writtenVersion
        var out = ModelFile.magic
        out.appendLittleEndian(version)
        let header = headerBytes(version: version)
        out.appendLittleEndian(UInt32(header.count))
        out += header
        out.appendLittleEndian(UInt32(parameters.count))
        out.reserveCapacity(
            out.count + parameters.reduce(8) { $0 + 10 + $1.name.utf8.count + 4 * $1.matrix.count })
        for p in parameters {
            out.appendString(p.name, length: UInt16.self, what: "parameter name")
            out.appendLittleEndian(UInt32(p.matrix.rows))
            out.appendLittleEndian(UInt32(p.matrix.columns))
            if version >= ModelFile.eightBitVersion { out.append(p.storage.rawValue) }
            switch p.storage {
            case .float32: out.appendFloats(p.matrix.scalars)
            case .eightBitRows: try out.appendEightBitRows(p.matrix, name: p.name)
            }
        }
        out.appendLittleEndian(ModelFile.checksum(out[...], version: version))
        return out
    }

    /// The binary header of format `version`: architecture, configuration, vocabularies and
    /// (version 3 and later) the shared rows.
    private func headerBytes(version: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.appendString(architecture, length: UInt16.self, what: "architecture")
        out.appendLittleEndian(UInt32(configuration.count))
        out += configuration
        let names = vocabularies.keys.sorted()
        out.appendLittleEndian(UInt32(names.count))
        for name in names {
            let table = vocabularies[name]!
            out.appendString(name, length: UInt16.self, what: "vocabulary name")
            out.appendLittleEndian(UInt32(table.count))
            for symbol in table { out.appendLittleEndian(UInt32(symbol.utf8.count)) }
            for symbol in table { out += symbol.utf8 }
        }
        guard version >= ModelFile.sharedRowsVersion else { return out }
        out.appendLittleEndian(UInt32(sharedRows.count))
        for name in sharedRows.keys.sorted() {
            let reference = sharedRows[name]!
            out.appendString(name, length: UInt16.self, what: "parameter name")
            out.appendString(reference.tableName, length: UInt16.self, what: "table name")
            out.appendLittleEndian(reference.tableChecksum)
            out.appendLittleEndian(UInt32(reference.rows.count))
            out.reserveCapacity(out.count + 4 * reference.rows.count)
            for row in reference.rows { out.appendLittleEndian(row ?? UInt32.max) }
        }
        return out
    }

    /// Parses and validates the bytes of a model file of any readable version; `source`
    /// names it in errors.
    public init(bytes: [UInt8], source: String) throws {
        var reader = ByteReader(bytes: bytes, source: source)
        try ModelFile.checkPrefix(bytes, source: source)
        reader.offset = 8
        let version = try reader.read(UInt32.self, what: "format version")
        // Verify the checksum before trusting any length inside the file.
        guard bytes.count >= 8 + 4 + 8 else {
            throw ModelFileError.truncated(path: source, needed: 20, available: bytes.count)
        }
        let stored = ModelFile.storedChecksum(bytes)
        let computed = ModelFile.checksum(bytes[..<(bytes.count - 8)], version: version)
        guard stored == computed else {
            throw ModelFileError.checksumMismatch(path: source, stored: stored, computed: computed)
        }
        reader.end = bytes.count - 8

        let headerLength = Int(try reader.read(UInt32.self, what: "header length"))
        guard headerLength <= ModelFile.maximumHeaderBytes else {
            throw ModelFileError.malformedHeader(reason: "header length \(headerLength) is absurd")
        }
        if version == 1 {
            let headerBytes = try reader.bytes(count: headerLength, what: "header")
            let header: Header
            do {
                header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
            } catch {
                throw ModelFileError.malformedHeader(
                    reason: "the JSON header does not decode: \(ModelFile.describe(error))")
            }
            architecture = header.architecture
            configuration = Data(header.configuration.utf8)
            vocabularies = header.vocabularies
            sharedRows = [:]
        } else {
            guard headerLength <= reader.remaining else {
                throw ModelFileError.truncated(
                    path: source, needed: headerLength, available: reader.remaining)
            }
            var header = reader
            header.end = reader.offset + headerLength
            (architecture, configuration, vocabularies) = try ModelFile.parseHeader(&header)
            sharedRows =
                version >= ModelFile.sharedRowsVersion
                ? try ModelFile.parseSharedRows(&header) : [:]
            guard header.remaining == 0 else {
                throw ModelFileError.malformedHeader(
                    reason: "\(header.remaining) unexpected bytes at the end of the header")
            }
            reader.offset = header.end
        }

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
            let name = try reader.string(length: UInt16.self, what: "parameter name")
            guard seen.insert(name).inserted else {
                throw ModelFileError.duplicateParameter(name: name)
            }
            let rows = Int(try reader.read(UInt32.self, what: "rows of \(name)"))
            let columns = Int(try reader.read(UInt32.self, what: "columns of \(name)"))
            var storage = ParameterStorage.float32
            if version >= ModelFile.eightBitVersion {
                let code = try reader.read(UInt8.self, what: "storage of \(name)")
                guard let known = ParameterStorage(rawValue: code) else {
                    throw ModelFileError.malformedHeader(
                        reason: "the parameter \(name.quotedForMessage) is stored in an unknown way (\(code))")
                }
                storage = known
            }
            let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
            let bytesPerValue = storage == .float32 ? 4 : 1
            let scaleBytes = storage == .float32 ? 0 : 4 * rows
            guard !overflow, elements <= (reader.remaining - scaleBytes) / bytesPerValue else {
                throw ModelFileError.truncated(
                    path: source,
                    needed: overflow || elements > Int.max / 4
                        ? Int.max : scaleBytes + elements * bytesPerValue,
                    available: reader.remaining)
            }
            var eightBit: EightBitMatrix?
            let scalars: [Float]
            if storage == .float32 {
                scalars = try reader.readFloats(count: elements, what: name)
            } else {
                let stored = try reader.readEightBitRows(rows: rows, columns: columns, what: name)
                scalars = stored.dequantized().scalars
                eightBit = stored
            }
            if let index = scalars.firstIndex(where: { !$0.isFinite }) {
                throw ModelFileError.nonFiniteParameter(
                    name: name, row: index / columns, column: index % columns,
                    value: scalars[index])
            }
            var parameter = NamedMatrix(
                name: name, matrix: Matrix(rows: rows, columns: columns, scalars: scalars),
                storage: storage)
            parameter.eightBit = eightBit
            parameters.append(parameter)
        }
        guard reader.remaining == 0 else {
            throw ModelFileError.malformedHeader(
                reason: "\(reader.remaining) unexpected bytes after the last parameter")
        }
        for (name, reference) in sharedRows {
            guard let stored = parameters.first(where: { $0.name == name }) else {
                throw ModelFileError.malformedHeader(
                    reason: "shared rows for \(name.quotedForMessage), which is not a parameter")
            }
            guard stored.matrix.rows == reference.storedRowCount else {
                throw ModelFileError.malformedHeader(
                    reason:
                        "\(name.quotedForMessage) stores \(stored.matrix.rows) rows, its shared-rows map says \(reference.storedRowCount)"
                )
            }
        }
        self.parameters = parameters
    }

    /// Reads the shared-rows section of a version 3 header.
    private static func parseSharedRows(_ reader: inout ByteReader) throws -> [String:
        SharedRowsReference]
    {
        let count = Int(try reader.read(UInt32.self, what: "shared-rows count"))
        // Each entry needs at least 16 bytes, so a count beyond that is corrupt.
        guard count <= reader.remaining / 16 else {
            throw ModelFileError.truncated(
                path: reader.source, needed: count * 16, available: reader.remaining)
        }
        var result: [String: SharedRowsReference] = [:]
        for _ in 0..<count {
            let name = try reader.string(length: UInt16.self, what: "parameter name")
            let table = try reader.string(length: UInt16.self, what: "table name")
            guard !table.isEmpty, !table.contains("/"), table != ".", table != ".." else {
                throw ModelFileError.malformedHeader(
                    reason: "the shared table name \(table.quotedForMessage) is not a file name")
            }
            let checksum = try reader.read(UInt64.self, what: "table checksum")
            let rows = Int(try reader.read(UInt32.self, what: "shared-rows size"))
            guard rows <= reader.remaining / 4 else {
                throw ModelFileError.truncated(
                    path: reader.source, needed: rows * 4, available: reader.remaining)
            }
            var map: [UInt32?] = []
            map.reserveCapacity(rows)
            for _ in 0..<rows {
                let row = try reader.read(UInt32.self, what: "shared row")
                map.append(row == UInt32.max ? nil : row)
            }
            let reference = SharedRowsReference(tableName: table, tableChecksum: checksum, rows: map)
            guard result.updateValue(reference, forKey: name) == nil else {
                throw ModelFileError.malformedHeader(
                    reason: "the shared rows of \(name.quotedForMessage) appear twice")
            }
        }
        return result
    }

    /// Reads the binary header (format version 2 and later) that `reader` is bounded to;
    /// without `decodingVocabularies`, the vocabularies are stepped over (checked for
    /// length only) and returned empty.
    private static func parseHeader(_ reader: inout ByteReader, decodingVocabularies: Bool = true)
        throws -> (
            architecture: String, configuration: Data, vocabularies: [String: [String]]
        )
    {
        let architecture = try reader.string(length: UInt16.self, what: "architecture")
        let configurationLength = Int(try reader.read(UInt32.self, what: "configuration length"))
        let configuration = Data(
            try reader.bytes(count: configurationLength, what: "configuration"))
        let count = Int(try reader.read(UInt32.self, what: "vocabulary count"))
        // Each vocabulary needs at least 6 bytes, so a count beyond that is corrupt.
        guard count <= reader.remaining / 6 else {
            throw ModelFileError.truncated(
                path: reader.source, needed: count * 6, available: reader.remaining)
        }
        var vocabularies: [String: [String]] = [:]
        vocabularies.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.string(length: UInt16.self, what: "vocabulary name")
            guard decodingVocabularies else {
                try reader.skipStrings(what: "vocabulary \(name.quotedForMessage)")
                continue
            }
            let table = try reader.strings(what: "vocabulary \(name.quotedForMessage)")
            guard vocabularies.updateValue(table, forKey: name) == nil else {
                throw ModelFileError.malformedHeader(
                    reason: "the vocabulary \(name.quotedForMessage) appears twice")
            }
        }
        return (architecture, configuration, vocabularies)
    }

    /// The checksum a model file stores after `body` (every byte before the checksum), for
    /// the format version that `body` states in its bytes 8..<12: 64-bit FNV-1a for version
    /// 1, XXH64 for later versions (and for a body too short to state one).
    public static func checksum(_ body: ArraySlice<UInt8>) -> UInt64 {
        var version = formatVersion
        if body.count >= 12 {
            let start = body.startIndex + 8
            version = 0
            for i in 0..<4 { version |= UInt32(body[start + i]) << (8 * UInt32(i)) }
        }
        return checksum(body, version: version)
    }

    /// The checksum stored in the last eight bytes of a model file's `bytes` (at least eight),
    /// which identifies its contents: what models record of a shared table.
    public static func storedChecksum(_ bytes: [UInt8]) -> UInt64 {
        precondition(bytes.count >= 8, "a model file ends with its checksum")
        var checksum: UInt64 = 0
        for i in 0..<8 { checksum |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        return checksum
    }

    /// The checksum of `body` as format version `version` defines it: 64-bit FNV-1a for
    /// version 1, XXH64 with seed 0 for later versions.
    public static func checksum(_ body: ArraySlice<UInt8>, version: UInt32) -> UInt64 {
        body.withUnsafeBytes { version == 1 ? Checksum.fnv1a($0) : Checksum.xxh64($0) }
    }

    // MARK: Files

    /// Reads and validates a model file, reading only what its own lengths announce.
    ///
    /// The magic bytes and the version are checked after the first twelve bytes, so a
    /// foreign file of any size (or an endless device such as `/dev/zero`) is rejected
    /// without reading it whole. A regular file larger than `maximumFileBytes` is refused
    /// before any of it is read. Then the header length, the header, the parameter count
    /// and each parameter's name and shape are read in turn, and only the bytes they state
    /// follow (in pieces, so a stream that stops early costs what it sent); a total beyond
    /// `maximumFileBytes` is refused before it is read, and so is any byte after the
    /// checksum, so a pipe that keeps sending cannot exhaust memory. Whatever was read is
    /// then validated as a whole by `init(bytes:source:)`.
    public static func read(from path: String) throws -> ModelFile {
        try readWithChecksum(from: path).file
    }

    /// Reads and validates a model file like `read(from:)`, and returns the checksum stored
    /// at its end too (it covers every byte of the file, so it identifies the contents).
    public static func readWithChecksum(from path: String) throws -> (
        file: ModelFile, checksum: UInt64
    ) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var status = stat()
        var input = BoundedInput(fd: fd, path: path, limit: maximumFileBytes)
        var regularFileSize: Int?
        if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
            guard Int(status.st_size) <= maximumFileBytes else {
                throw ModelFileError.tooLarge(
                    path: path, size: Int(status.st_size), limit: maximumFileBytes)
            }
            regularFileSize = Int(status.st_size)
        }
        let prefixLength = magic.count + 4
        let complete = try input.fill(to: prefixLength)
        try checkPrefix(input.bytes, source: path)
        if complete, let regularFileSize {
            // A model file's rest is read in one piece into a buffer of its size: pieces
            // appended to a growing buffer would copy (and fault in) every byte twice.
            try input.fillAtOnce(to: regularFileSize)
        }
        if complete, try input.readStatedContents() {
            if try input.hasMore() {
                throw ModelFileError.trailingData(path: path, offset: input.position)
            }
        }
        let file = try ModelFile(bytes: input.bytes, source: path)
        return (file, storedChecksum(input.bytes))
    }

    /// The shared-rows references of the model file at `path`, read from its header alone:
    /// the tables a model needs can then be read while the rest of the file is. Nothing
    /// after the header is read, so the file's checksum is not verified here
    /// (`read(from:)` does that); a file of format version 1 or 2 has no references.
    public static func sharedRowsReferences(inFileAt path: String) throws -> [String:
        SharedRowsReference]
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var input = BoundedInput(fd: fd, path: path, limit: maximumFileBytes)
        let prefixLength = magic.count + 4
        guard try input.fill(to: prefixLength + 4) else {
            throw ModelFileError.truncated(
                path: path, needed: prefixLength + 4, available: input.bytes.count)
        }
        try checkPrefix(input.bytes, source: path)
        var reader = ByteReader(bytes: input.bytes, source: path)
        reader.offset = magic.count
        let version = try reader.read(UInt32.self, what: "format version")
        guard version >= sharedRowsVersion else { return [:] }
        let headerLength = Int(try reader.read(UInt32.self, what: "header length"))
        guard headerLength <= maximumHeaderBytes else {
            throw ModelFileError.malformedHeader(reason: "header length \(headerLength) is absurd")
        }
        guard try input.fill(to: reader.offset + headerLength) else {
            throw ModelFileError.truncated(
                path: path, needed: headerLength, available: input.bytes.count - reader.offset)
        }
        var header = ByteReader(bytes: input.bytes, source: path)
        header.offset = reader.offset
        header.end = reader.offset + headerLength
        _ = try parseHeader(&header, decodingVocabularies: false)
        return try parseSharedRows(&header)
    }

    /// Fills `buffer` from `fd` until it is full or the file ends; returns how many bytes
    /// were read.
    static func readFully(
        _ fd: Int32, path: String, into buffer: UnsafeMutableRawBufferPointer
    )
        throws -> Int
    {
        var total = 0
        while total < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelFileError.cannotOpen(
                    path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            total += n
        }
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
        guard (oldestReadableVersion...newestReadableVersion).contains(version) else {
            throw ModelFileError.unsupportedVersion(
                path: source, found: Int(version), supported: Int(newestReadableVersion))
        }
    }

    /// Writes the model atomically: a temporary file beside `path` is written, flushed
    /// to disk and renamed over `path`, so an interrupted save leaves the old file. A
    /// failed write (a full disk, say) removes the temporary file and throws
    /// `ModelFileError.writeFailed`; a process killed mid-save leaves `path.tmp-PID`.
    public func write(to path: String) throws {
        let bytes = try serialized()
        do {
            try AtomicFile.write(bytes: bytes, to: path)
        } catch let error as AtomicFile.WriteError {
            throw ModelFileError.writeFailed(path: path, reason: error.reason)
        }
    }
}

/// What can be wrong with a model file.
public enum ModelFileError: LocalizedError, Equatable {
    /// The file cannot be opened or read.
    case cannotOpen(path: String, reason: String)
    /// The file does not start with the model magic bytes.
    case notAModelFile(path: String)
    /// The file was written by a format version this build does not read (`supported` is
    /// the newest one it reads).
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// The file ends before the data it announces.
    case truncated(path: String, needed: Int, available: Int)
    /// The stored checksum does not match the contents: the file is corrupt.
    case checksumMismatch(path: String, stored: UInt64, computed: UInt64)
    /// The header cannot be parsed.
    case malformedHeader(reason: String)
    /// The file's architecture is not the one being loaded.
    case wrongArchitecture(found: String, expected: String)
    /// A parameter the architecture needs is absent (`name` is the code's, not the file's).
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
    /// A parameter holds NaN or an infinity at `[row, column]`.
    case nonFiniteParameter(name: String, row: Int, column: Int, value: Float)
    /// The file, or the lengths its header and parameters state, exceed `limit` bytes.
    case tooLarge(path: String, size: Int, limit: Int)
    /// Bytes follow the checksum that ends the file's stated contents.
    case trailingData(path: String, offset: Int)

    /// A message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot read the model file: \(reason)"
        case .notAModelFile(let path):
            return "\(path): not a model file of this toolkit (the magic bytes are missing)"
        case .unsupportedVersion(let path, let found, let supported):
            return
                "\(path): model format version \(found) is not supported (this build reads versions \(ModelFile.oldestReadableVersion) to \(supported)); retrain or use a matching build"
        case .truncated(let path, let needed, let available):
            return
                "\(path): truncated model file: \(needed) more bytes needed, \(available) present"
        case .checksumMismatch(let path, let stored, let computed):
            return
                "\(path): checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): the file is corrupt"
        case .malformedHeader(let reason):
            return "malformed model header: \(reason)"
        case .wrongArchitecture(let found, let expected):
            let kind = ModelKind(architecture: found)
            return
                "the model is \(kind.description), not \(ModelKind(architecture: expected).description); \(kind.usage)"
        case .missingParameter(let name):
            return "the model has no parameter \(name)"
        case .duplicateParameter(let name):
            return "the model has the parameter \(name.quotedForMessage) twice"
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
        case .nonFiniteParameter(let name, let row, let column, let value):
            return
                "the parameter \(name.quotedForMessage) holds \(value) at row \(row), column \(column): the model is unusable; retrain it (training stops before saving non-finite weights)"
        case .tooLarge(let path, let size, let limit):
            return
                "\(path): the model file \(size == Int.max ? "states more than 2^63 bytes" : "holds or states \(size) bytes"), more than the limit of \(limit) bytes (1 GiB); it is corrupt or not a model of this toolkit"
        case .trailingData(let path, let offset):
            return
                "\(path): the model file goes on after its checksum at byte \(offset); it is corrupt or not a model of this toolkit"
        }
    }
}

/// The bytes of a model file read from a descriptor as far as its own lengths say, never
/// more than `limit` in total.
struct BoundedInput {
    let fd: Int32
    let path: String
    let limit: Int
    /// Everything read so far.
    private(set) var bytes: [UInt8] = []
    /// How far ``readStatedContents()`` has walked the stated layout (the bytes may have
    /// been read further ahead, as a regular file is read whole).
    private(set) var position = 0

    init(fd: Int32, path: String, limit: Int) {
        self.fd = fd
        self.path = path
        self.limit = limit
    }

    /// Reads on until `bytes` holds `count` bytes (a regular file's size), with one copy
    /// into a buffer of that size; fewer when the input ends first. Later calls of
    /// ``fill(to:)`` read on from there.
    mutating func fillAtOnce(to count: Int) throws {
        guard count > bytes.count else { return }
        guard count <= limit else {
            throw ModelFileError.tooLarge(path: path, size: count, limit: limit)
        }
        let start = bytes
        bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<start.count]).initialize(
                from: start)
            initialized =
                try start.count
                + ModelFile.readFully(
                    fd, path: path,
                    into: UnsafeMutableRawBufferPointer(
                        rebasing: UnsafeMutableRawBufferPointer(buffer)[start.count...]))
        }
    }

    /// Reads until `bytes` holds `count` bytes, in pieces of at most 16 MiB so that the
    /// buffer grows with what arrives rather than with what is announced; false when the
    /// input ends first. Throws `tooLarge` when `count` exceeds the limit.
    mutating func fill(to count: Int) throws -> Bool {
        guard count <= limit else {
            throw ModelFileError.tooLarge(path: path, size: count, limit: limit)
        }
        while bytes.count < count {
            let piece = min(count - bytes.count, 16 << 20)
            let start = bytes.count
            var read = 0
            try bytes.append(contentsOf: [UInt8](unsafeUninitializedCapacity: piece) {
                buffer, initialized in
                read = try ModelFile.readFully(
                    fd, path: path, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = read
            })
            if bytes.count - start < piece { return false }
        }
        return true
    }

    /// The little-endian integer of type `T` that follows, or nil at the end of the input.
    private mutating func next<T: FixedWidthInteger>(_: T.Type) throws -> Int? {
        let start = position
        guard try fill(to: start + MemoryLayout<T>.size) else { return nil }
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(bytes[start + i]) << (8 * i) }
        position = start + MemoryLayout<T>.size
        return Int(value)
    }

    /// Skips forward `count` bytes (reading them); false at the end of the input.
    private mutating func take(_ count: Int) throws -> Bool {
        let (end, overflow) = position.addingReportingOverflow(count)
        guard try fill(to: overflow ? Int.max : end) else { return false }
        position = end
        return true
    }

    /// Whether any byte follows ``position`` (read already, or read now).
    mutating func hasMore() throws -> Bool {
        try bytes.count > position || fill(to: position + 1)
    }

    /// Reads what follows the twelve-byte prefix as the format lays it out (header length
    /// and header, parameter count, each parameter's name, shape and values, checksum);
    /// false when the input ends first or a length is impossible, leaving the rest to the
    /// validation of the bytes read.
    mutating func readStatedContents() throws -> Bool {
        position = ModelFile.magic.count
        guard let version = try next(UInt32.self),
            let headerLength = try next(UInt32.self),
            headerLength <= ModelFile.maximumHeaderBytes, try take(headerLength),
            let count = try next(UInt32.self)
        else { return false }
        for _ in 0..<count {
            guard let nameLength = try next(UInt16.self), try take(nameLength),
                let rows = try next(UInt32.self), let columns = try next(UInt32.self)
            else { return false }
            var storage = ParameterStorage.float32
            if version >= ModelFile.eightBitVersion {
                guard let code = try next(UInt8.self) else { return false }
                guard let known = ParameterStorage(rawValue: UInt8(code)) else { return false }
                storage = known
            }
            let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
            let valueBytes = storage == .float32 ? elements * 4 : rows * 4 + elements
            guard try take(overflow || elements > Int.max / 4 ? Int.max : valueBytes) else {
                return false
            }
        }
        return try take(8)
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

    /// A string stored as a length of type `Length` and that many UTF-8 bytes.
    mutating func string<Length: FixedWidthInteger>(length _: Length.Type, what: String) throws
        -> String
    {
        let length = Int(try read(Length.self, what: "\(what) length"))
        let utf8 = try bytes(count: length, what: what)
        guard let string = utf8.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) })
        else {
            throw ModelFileError.malformedHeader(reason: "a \(what) is not UTF-8")
        }
        return string
    }

    /// Steps over what `strings(what:)` reads, checking only the lengths.
    mutating func skipStrings(what: String) throws {
        let count = Int(try read(UInt32.self, what: "\(what) size"))
        guard count <= remaining / 4 else {
            throw ModelFileError.truncated(path: source, needed: count * 4, available: remaining)
        }
        var total = 0
        bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                total += Int(
                    UInt32(
                        littleEndian: raw.loadUnaligned(
                            fromByteOffset: offset + 4 * k, as: UInt32.self)))
            }
        }
        offset += 4 * count
        guard total <= remaining else {
            throw ModelFileError.truncated(path: source, needed: total, available: remaining)
        }
        offset += total
    }

    /// A table of strings stored as a u32 count, a u32 UTF-8 length per string, and then
    /// the strings' bytes one after another.
    mutating func strings(what: String) throws -> [String] {
        let count = Int(try read(UInt32.self, what: "\(what) size"))
        guard count <= remaining / 4 else {
            throw ModelFileError.truncated(path: source, needed: count * 4, available: remaining)
        }
        let lengths = offset
        var cursor = offset + 4 * count
        let end = self.end
        let source = self.source
        var table: [String] = []
        table.reserveCapacity(count)
        try bytes.withUnsafeBytes { raw in
            for k in 0..<count {
                let length = Int(
                    UInt32(
                        littleEndian: raw.loadUnaligned(
                            fromByteOffset: lengths + 4 * k, as: UInt32.self)))
                guard length <= end - cursor else {
                    throw ModelFileError.truncated(
                        path: source, needed: length, available: end - cursor)
                }
                let utf8 = UnsafeRawBufferPointer(rebasing: raw[cursor..<(cursor + length)])
                    .assumingMemoryBound(to: UInt8.self)
                // ASCII (nearly every word) is valid as it is; anything else is validated.
                if utf8.reduce(0, |) < 0x80 {
                    table.append(String(decoding: utf8, as: UTF8.self))
                } else if let string = String(validating: utf8, as: UTF8.self) {
                    table.append(string)
                } else {
                    throw ModelFileError.malformedHeader(
                        reason: "a string of \(what) is not UTF-8")
                }
                cursor += length
            }
        }
        offset = cursor
        return table
    }

    /// `rows` rows stored in 8 bits: `rows` little-endian float scales, then `rows · columns`
    /// signed bytes. A scale must be finite and not negative.
    mutating func readEightBitRows(rows: Int, columns: Int, what: String) throws
        -> EightBitMatrix
    {
        let scales = try readFloats(count: rows, what: what)
        if let row = scales.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw ModelFileError.malformedHeader(
                reason: "the 8-bit row \(row) of \(what.quotedForMessage) has the scale \(scales[row])")
        }
        let values: [Int8] = try readInBulk(count: rows * columns)
        return EightBitMatrix(rows: rows, columns: columns, scales: scales, values: values)
    }

    /// `count` little-endian floats, copied in one piece.
    mutating func readFloats(count: Int, what: String) throws -> [Float] {
        var scalars: [Float] = try readInBulk(count: count)
        // The format is little-endian; convert on big-endian hosts.
        if UInt32(littleEndian: 1) != 1 {
            for i in scalars.indices {
                scalars[i] = Float(bitPattern: UInt32(littleEndian: scalars[i].bitPattern))
            }
        }
        return scalars
    }

    /// The next `count` values of type `T` as the bytes lay them out, copied in one piece.
    private mutating func readInBulk<T>(count: Int) throws -> [T] {
        let byteCount = count * MemoryLayout<T>.stride
        guard remaining >= byteCount else {
            throw ModelFileError.truncated(path: source, needed: byteCount, available: remaining)
        }
        let start = offset
        let values = [T](unsafeUninitializedCapacity: count) { destination, initialized in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(destination).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[start..<(start + byteCount)]))
            }
            initialized = count
        }
        offset += byteCount
        return values
    }
}

/// The checksums of the model file formats.
enum Checksum {
    /// 64-bit FNV-1a, one byte at a time (format version 1).
    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }

    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func rotate(_ x: UInt64, _ r: UInt64) -> UInt64 {
        x << r | x >> (64 - r)
    }

    @inline(__always) private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotate(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ hash: UInt64, _ accumulator: UInt64) -> UInt64 {
        (hash ^ round(0, accumulator)) &* prime1 &+ prime4
    }

    /// XXH64 with seed 0 (format version 2 and later): four independent lanes over 32-byte
    /// stripes, eight bytes at a time.
    static func xxh64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        @inline(__always) func word(_ at: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        var i = 0
        var hash: UInt64
        if count >= 32 {
            var v1 = prime1 &+ prime2
            var v2 = prime2
            var v3: UInt64 = 0
            var v4 = 0 &- prime1
            while i + 32 <= count {
                v1 = round(v1, word(i))
                v2 = round(v2, word(i + 8))
                v3 = round(v3, word(i + 16))
                v4 = round(v4, word(i + 24))
                i += 32
            }
            hash = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
            hash = merge(merge(merge(merge(hash, v1), v2), v3), v4)
        } else {
            hash = prime5
        }
        hash &+= UInt64(count)
        while i + 8 <= count {
            hash ^= round(0, word(i))
            hash = rotate(hash, 27) &* prime1 &+ prime4
            i += 8
        }
        if i + 4 <= count {
            let half = UInt32(
                littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            hash ^= UInt64(half) &* prime1
            hash = rotate(hash, 23) &* prime2 &+ prime3
            i += 4
        }
        while i < count {
            hash ^= UInt64(bytes[i]) &* prime5
            hash = rotate(hash, 11) &* prime1
            i += 1
        }
        hash ^= hash >> 33
        hash &*= prime2
        hash ^= hash >> 29
        hash &*= prime3
        hash ^= hash >> 32
        return hash
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    /// Appends a length of type `Length` and the UTF-8 bytes of `string`.
    fileprivate mutating func appendString<Length: FixedWidthInteger>(
        _ string: String, length _: Length.Type, what: String
    ) {
        let utf8 = string.utf8
        precondition(
            utf8.count <= Int(Length.max), "\(what) too long (\(utf8.count) bytes): \(string)")
        appendLittleEndian(Length(utf8.count))
        append(contentsOf: utf8)
    }

    /// Appends the rows of `matrix` in 8 bits (`EightBitMatrix`): every row's scale, then
    /// every row's integers. Throws `nonFiniteParameter` for a value that is not finite.
    fileprivate mutating func appendEightBitRows(_ matrix: Matrix<Float>, name: String) throws {
        if let index = matrix.scalars.firstIndex(where: { !$0.isFinite }) {
            throw ModelFileError.nonFiniteParameter(
                name: name, row: index / matrix.columns, column: index % matrix.columns,
                value: matrix.scalars[index])
        }
        let eightBit = EightBitMatrix(quantizing: matrix)
        appendFloats(eightBit.scales)
        eightBit.values.withUnsafeBytes { append(contentsOf: $0) }
    }

    /// Appends `values` as little-endian floats, in one piece on a little-endian host.
    fileprivate mutating func appendFloats(_ values: [Float]) {
        if UInt32(littleEndian: 1) == 1 {
            values.withUnsafeBytes { append(contentsOf: $0) }
        } else {
            reserveCapacity(count + 4 * values.count)
            for value in values { appendLittleEndian(value.bitPattern) }
        }
    }
}

extension ModelFile {
    /// The encoder of configurations stored in model files: JSON with sorted keys, so equal
    /// configurations give equal bytes.
    public static var configurationEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
