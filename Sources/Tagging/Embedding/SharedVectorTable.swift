import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text

/// A table of pretrained word vectors stored once, beside the models that refer to it, so
/// that models fine-tuned from the same vectors keep only the rows they changed.
///
/// On disk it is a model file (magic, version, checksum) of architecture
/// `SharedVectors.v1` with the vocabulary `words` and the parameter `vectors`
/// `[words, dimension]`, the rows exactly as `PretrainedVectors.load` reads them, or in 8
/// bits a value (`ParameterStorage.eightBitRows`, a quarter of the size; models then read
/// the values that storage gives back). A model
/// refers to it by file name and by the checksum stored at the end of the file (see
/// `ModelFile.SharedRowsReference`); the table must be in the model file's folder.
///
/// Tables are shared in memory: `shared(at:checksum:)` keeps one copy per file and
/// contents for as long as some model uses it. Models read a table's rows by number; a
/// word listed twice is found at its first row, as in a vectors text file.
public final class SharedVectorTable: @unchecked Sendable {
    /// The architecture name of table files.
    public static let architecture = ModelArchitecture.sharedVectors

    /// The path the table was read from (resolved, without symbolic links).
    public let path: String
    /// The file name, as models record it.
    public var fileName: String { URL(fileURLWithPath: path).lastPathComponent }
    /// The checksum stored at the end of the file.
    public let checksum: UInt64
    /// The words, in the file's order.
    public let words: [String]
    /// The rows as models read them: exact, or in 8 bits a value as the file stores them
    /// (a quarter of the memory; each row expanded as a model copies it).
    public let rows: SharedRows<Float>.Table
    /// The vector length.
    public var dimension: Int { rows.columns }
    /// How the file stores the vectors: exactly, or in 8 bits a value.
    public var storage: ParameterStorage {
        if case .eightBit = rows { return .eightBitRows }
        return .float32
    }

    private let lock = NSLock()
    private var indexed: PretrainedVectors?

    private init(path: String, checksum: UInt64, words: [String], rows: SharedRows<Float>.Table)
    {
        self.path = path
        self.checksum = checksum
        self.words = words
        self.rows = rows
    }

    /// The vectors `[words.count, dimension]` as 32-bit floats, row `i` for `words[i]`: the
    /// rows themselves for an exact table; for an 8-bit one the values they stand for,
    /// expanded into a new matrix at each call.
    public var matrix: Matrix<Float> { rows.expanded() }

    /// The words and their vectors with a word index, built on first use (taggers read rows
    /// by number and never need it) and kept: the same buffers as `words` and `rows`.
    public var vectors: PretrainedVectors {
        lock.lock()
        defer { lock.unlock() }
        if let indexed { return indexed }
        let built = PretrainedVectors(words: words, rows: rows)
        indexed = built
        return built
    }

    /// What the configuration of a table file holds.
    struct Configuration: Codable {
        /// The vector length.
        var dimension: Int
        /// The vectors file the table was made from (its name only), if known.
        var source: String?
    }

    // MARK: Files

    /// Writes `vectors` as a table file at `path` (atomically), stored as `storage` says,
    /// and returns its checksum; `source` names the vectors file they were read from.
    @discardableResult
    public static func write(
        _ vectors: PretrainedVectors, source: String? = nil, storage: ParameterStorage = .float32,
        to path: String
    ) throws -> UInt64 {
        let configuration = Configuration(dimension: vectors.dimension, source: source)
        let file = ModelFile(
            architecture: architecture,
            configuration: try ModelFile.configurationEncoder.encode(configuration),
            vocabularies: ["words": vectors.words],
            parameters: [
                ModelFile.NamedMatrix(name: "vectors", matrix: vectors.vectors, storage: storage)
            ])
        let bytes = try file.serialized()
        do {
            try AtomicFile.write(bytes: bytes, to: path)
        } catch let error as AtomicFile.WriteError {
            throw ModelFileError.writeFailed(path: path, reason: error.reason)
        }
        return ModelFile.storedChecksum(bytes)
    }

    /// Reads and validates a table file, not through the cache. Every problem is a
    /// `SharedVectorsError.unreadableTable` naming the file.
    public static func read(from path: String) throws -> SharedVectorTable {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        func unusable(_ reason: String) -> SharedVectorsError {
            .unreadableTable(table: path, reason: reason)
        }
        let file: ModelFile
        let checksum: UInt64
        do {
            (file, checksum) = try ModelFile.readWithChecksum(from: path)
        } catch let error as ModelFileError {
            // The reason without the path the message starts with (the error names it).
            var reason = error.localizedDescription
            if reason.hasPrefix(path + ": ") { reason.removeFirst(path.count + 2) }
            throw unusable(reason)
        }
        guard file.architecture == architecture else {
            throw unusable(
                "it is \(ModelKind(architecture: file.architecture).description), not a shared vector table"
            )
        }
        guard file.sharedRows.isEmpty,
            let configuration = try? JSONDecoder().decode(Configuration.self, from: file.configuration),
            let words = file.vocabularies["words"], file.parameters.count == 1,
            file.parameters[0].name == "vectors"
        else {
            throw unusable("its contents are not those of a shared vector table")
        }
        let matrix = file.parameters[0].matrix
        guard configuration.dimension > 0, matrix.columns == configuration.dimension,
            matrix.rows == words.count, !words.isEmpty
        else {
            throw unusable(
                "\(words.count) words, vectors \(matrix.shapeDescription), dimension \(configuration.dimension)"
            )
        }
        // An 8-bit table is kept in 8 bits, as the file stores it.
        return SharedVectorTable(
            path: resolved, checksum: checksum, words: words,
            rows: file.parameters[0].eightBit.map { .eightBit($0) } ?? .exact(matrix))
    }

    // MARK: The process-wide cache

    private struct Key: Hashable {
        var path: String
        var checksum: UInt64
    }

    private final class Entry {
        weak var table: SharedVectorTable?
        init(_ table: SharedVectorTable) { self.table = table }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var entries: [Key: Entry] = [:]

    /// The table at `path` from the process-wide cache, read when no live model uses it yet.
    /// With `checksum`, the contents must be the ones with that checksum
    /// (`SharedVectorsError.checksumMismatch` otherwise; `model` names the model that refers
    /// to it in errors). The cache holds tables weakly: a table is freed when the last model
    /// using it is.
    public static func shared(at path: String, checksum: UInt64? = nil, model: String? = nil)
        throws -> SharedVectorTable
    {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        lock.lock()
        defer { lock.unlock() }
        entries = entries.filter { $0.value.table != nil }
        if let checksum, let table = entries[Key(path: resolved, checksum: checksum)]?.table {
            return table
        }
        if checksum == nil,
            let table = entries.first(where: { $0.key.path == resolved })?.value.table
        {
            return table
        }
        let table = try read(from: path)
        if let checksum, table.checksum != checksum {
            throw SharedVectorsError.checksumMismatch(
                model: model ?? "the model", table: path, expected: checksum,
                found: table.checksum)
        }
        entries[Key(path: resolved, checksum: table.checksum)] = Entry(table)
        return table
    }

    /// How many tables the cache holds that some model still uses.
    public static var cachedTableCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.values.filter { $0.table != nil }.count
    }

    /// The table a model at `modelPath` refers to with `reference`, from the cache: the
    /// file `reference.tableName` in the model's folder, with the recorded checksum.
    public static func table(
        for reference: ModelFile.SharedRowsReference, modelPath: String
    ) throws -> SharedVectorTable {
        guard modelPath != "<memory>" else {
            throw SharedVectorsError.noLocation(table: reference.tableName)
        }
        let folder = URL(fileURLWithPath: modelPath).deletingLastPathComponent()
        let tablePath = folder.appendingPathComponent(reference.tableName).path
        guard FileManager.default.fileExists(atPath: tablePath) else {
            throw SharedVectorsError.missingTable(model: modelPath, table: tablePath)
        }
        return try shared(at: tablePath, checksum: reference.tableChecksum, model: modelPath)
    }

    /// Runs `body` on the calling thread while the tables that the model files at
    /// `modelPaths` refer to are read into the cache on the helper thread (`TwoThreads`), so
    /// that reading a model and reading its table overlap: the model's own loading then finds
    /// the table in the cache, or waits for the read under way. A model or table that cannot
    /// be read is left for `body`'s loading to report.
    public static func readingTables<R>(
        referencedBy modelPaths: [String], while body: () throws -> R
    ) throws -> R {
        var tables: [SharedVectorTable] = []
        var result: Result<R, Error>?
        TwoThreads.run(
            { result = Result { try body() } },
            {
                for path in modelPaths {
                    guard let references = try? ModelFile.sharedRowsReferences(inFileAt: path)
                    else { continue }
                    for reference in references.values {
                        if let table = try? self.table(for: reference, modelPath: path) {
                            tables.append(table)
                        }
                    }
                }
            })
        // The cache holds tables weakly: keep those read until `body` has taken them.
        withExtendedLifetime(tables) {}
        return try result!.get()
    }

    // MARK: Rows of models

    /// The rows of the model parameter `name` of `file` as an embedding reads them: its own
    /// rows and the shared rows from the table beside `modelPath`; `nil` when the parameter
    /// has no shared rows. Checks the table's dimension and rows against the reference.
    static func rows(of name: String, in file: ModelFile, modelPath: String) throws -> (
        own: Matrix<Float>, shared: SharedRows<Float>
    )? {
        guard let reference = file.sharedRows[name],
            let own = file.parameters.first(where: { $0.name == name })?.matrix
        else { return nil }
        let table = try self.table(for: reference, modelPath: modelPath)
        guard table.dimension == own.columns else {
            throw SharedVectorsError.mismatchedTable(
                model: modelPath, table: table.path,
                reason:
                    "its vectors have \(table.dimension) values, \(name.quotedForMessage) has \(own.columns)"
            )
        }
        var rowOfID = [Int32](repeating: 0, count: reference.rows.count)
        var next: Int32 = 0
        for (id, row) in reference.rows.enumerated() {
            if let row {
                guard Int(row) < table.rows.rows else {
                    throw SharedVectorsError.mismatchedTable(
                        model: modelPath, table: table.path,
                        reason: "the model refers to row \(row), the table has \(table.rows.rows)"
                    )
                }
                rowOfID[id] = Int32(row)
            } else {
                rowOfID[id] = -1 - next
                next += 1
            }
        }
        return (
            own,
            SharedRows(owner: table, table: table.rows, rowOfID: rowOfID)
        )
    }

    /// The parameters of each kind of model that may hold rows of a table, with the
    /// vocabulary that names their rows.
    static func shareableParameters(architecture: String) -> [(parameter: String, words: String)] {
        switch architecture {
        case ModelArchitecture.tokenClassifier, ModelArchitecture.jointTagger,
            ModelArchitecture.sentenceClassifier:
            return [("embedder.words.E", "words")]
        case ModelArchitecture.sentenceBoundary:
            return [("pretrained", "pretrained")]
        default:
            return []
        }
    }

    /// `file` (without shared rows) with every row of its word vectors that is bit for bit
    /// this table's row for the same word (found as `PretrainedVectors.row(of:)` finds it:
    /// the exact word, then its lowercase form) read from this table instead of stored.
    /// Throws `SharedVectorsError.nothingToShare` for a kind of model without word vectors.
    public func sharing(_ file: ModelFile, modelPath: String = "<memory>") throws -> ModelFile {
        precondition(file.sharedRows.isEmpty, "sharing(_:) takes a file without shared rows")
        let candidates = Self.shareableParameters(architecture: file.architecture)
        guard !candidates.isEmpty else {
            throw SharedVectorsError.nothingToShare(
                model: modelPath, kind: ModelKind(architecture: file.architecture).description)
        }
        var result = file
        for (name, vocabulary) in candidates {
            guard let index = file.parameters.firstIndex(where: { $0.name == name }),
                let words = file.vocabularies[vocabulary]
            else { continue }
            let dense = file.parameters[index].matrix
            guard dense.rows == words.count, dense.columns == dimension else {
                throw SharedVectorsError.mismatchedTable(
                    model: modelPath, table: path,
                    reason:
                        "\(name.quotedForMessage) is \(dense.shapeDescription) for \(words.count) words, the table's vectors have \(dimension) values"
                )
            }
            var rows: [UInt32?] = []
            rows.reserveCapacity(words.count)
            var kept: [Float] = []
            let width = dimension
            let vectors = self.vectors
            dense.withUnsafePointer { mine in
                matrix.withUnsafePointer { theirs in
                    for (id, word) in words.enumerated() {
                        let row = mine + id * width
                        if let r = vectors.row(of: word),
                            memcmp(row, theirs + r * width, 4 * width) == 0
                        {
                            rows.append(UInt32(r))
                        } else {
                            rows.append(nil)
                            kept.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
                        }
                    }
                }
            }
            result.parameters[index].matrix = Matrix(
                rows: kept.count / width, columns: width, scalars: kept)
            result.sharedRows[name] = ModelFile.SharedRowsReference(
                tableName: fileName, tableChecksum: checksum, rows: rows)
        }
        return result
    }
}

extension ModelFile {
    /// The file with every shared row copied in from its table (the tables are found beside
    /// `modelPath`), so that every parameter is whole again: what training starts from.
    public func materialised(modelPath: String) throws -> ModelFile {
        guard !sharedRows.isEmpty else { return self }
        var result = self
        for name in sharedRows.keys.sorted() {
            guard let (own, shared) = try SharedVectorTable.rows(of: name, in: self, modelPath: modelPath),
                let index = parameters.firstIndex(where: { $0.name == name })
            else { continue }
            result.parameters[index].matrix = shared.dense(own: own)
            result.sharedRows[name] = nil
        }
        return result
    }
}

/// What can be wrong with a shared vector table or a model's reference to one.
public enum SharedVectorsError: Error, LocalizedError, Equatable {
    /// The table a model refers to is not in the model's folder.
    case missingTable(model: String, table: String)
    /// The table file cannot be read, or is not a shared vector table.
    case unreadableTable(table: String, reason: String)
    /// The table's contents are not the ones the model was written with.
    case checksumMismatch(model: String, table: String, expected: UInt64, found: UInt64)
    /// The table does not fit the model (dimension, rows).
    case mismatchedTable(model: String, table: String, reason: String)
    /// A model with shared rows was read from memory, so there is no folder to find them in.
    case noLocation(table: String)
    /// Shared rows on a parameter the model reads whole.
    case unexpectedSharedRows(model: String, parameter: String)
    /// The model has no word vectors that a table could hold.
    case nothingToShare(model: String, kind: String)
    /// A model that refers to a table is written where the table is not.
    case tableNotBesideModel(model: String, table: String)
    /// The table already stores its vectors in 8 bits.
    case alreadyEightBit(table: String)
    /// A model given to be pointed at the rewritten table does not read from the table.
    case doesNotReadTable(model: String, table: String)
    /// A model beside the table reads from it but was not given to be pointed at the
    /// rewritten table, so it would no longer load.
    case unlistedModel(model: String, table: String)

    /// A message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .missingTable(let model, let table):
            return
                "\(model): the model reads its word vectors from the shared vector table \(table), which is missing; copy \(URL(fileURLWithPath: table).lastPathComponent) (it ships in models/) into the model's folder"
        case .unreadableTable(let table, let reason):
            return "\(table): cannot be used as a shared vector table: \(reason)"
        case .checksumMismatch(let model, let table, let expected, let found):
            return
                "\(model): the shared vector table \(table) has other contents (checksum \(String(found, radix: 16))) than the one the model was written with (\(String(expected, radix: 16))); put the model's own table beside it"
        case .mismatchedTable(let model, let table, let reason):
            return "\(model): the shared vector table \(table) does not fit the model: \(reason)"
        case .noLocation(let table):
            return
                "the model reads rows from the shared vector table \(table.quotedForMessage), but it was not read from a file, so there is no folder to find the table in; load it from its file"
        case .unexpectedSharedRows(let model, let parameter):
            return
                "\(model): the parameter \(parameter.quotedForMessage) cannot read rows from a shared table; the file was written by another build"
        case .nothingToShare(let model, let kind):
            return "\(model) is \(kind), which has no word vectors to share"
        case .tableNotBesideModel(let model, let table):
            return
                "\(model): the shared vector table \(table) must be in the same folder as the model, which finds it there by name"
        case .alreadyEightBit(let table):
            return "\(table): the shared vector table already stores its vectors in 8 bits"
        case .doesNotReadTable(let model, let table):
            return
                "\(model): the model does not read rows from the shared vector table \(table) (it must be in the table's folder and refer to its current contents)"
        case .unlistedModel(let model, let table):
            return
                "\(model) reads rows from the shared vector table \(table) and would no longer load once the table is rewritten; give it too"
        }
    }
}

extension SharedVectorTable {
    /// Whether a model written to `modelPath` finds this table: a file of this name and
    /// contents is in its folder.
    public func isBeside(modelPath: String) -> Bool {
        let reference = ModelFile.SharedRowsReference(
            tableName: fileName, tableChecksum: checksum, rows: [])
        return (try? SharedVectorTable.table(for: reference, modelPath: modelPath)) != nil
    }
}

// MARK: Rewriting model files

/// What rewriting one model file changed.
public struct SharedRowsRewrite: Equatable, Sendable {
    /// The model file.
    public var path: String
    /// Its size before and after, in bytes.
    public var bytesBefore: Int, bytesAfter: Int
    /// Rows read from the table, and rows stored in the model, after the rewrite.
    public var sharedRows: Int, storedRows: Int
}

extension SharedVectorTable {
    /// Rewrites the model file at `modelPath` (atomically) so that every word vector row
    /// that is bit for bit this table's row for the same word is read from the table, which
    /// must be in the model's folder. Rows the model already reads from a table (this or
    /// another) are copied in first, so a model can move from one table to another. The
    /// model's outputs do not change.
    public func shareRows(inModelAt modelPath: String) throws -> SharedRowsRewrite {
        guard isBeside(modelPath: modelPath) else {
            throw SharedVectorsError.tableNotBesideModel(model: modelPath, table: path)
        }
        let before = try ModelFile.read(from: modelPath)
        let after = try sharing(before.materialised(modelPath: modelPath), modelPath: modelPath)
        return try SharedVectorTable.rewrite(after, at: modelPath, before: before)
    }

    /// Rewrites the model file at `modelPath` (atomically) with every row it reads from a
    /// shared table copied in, so that it no longer needs the table.
    public static func storeRowsWhole(inModelAt modelPath: String) throws -> SharedRowsRewrite {
        let before = try ModelFile.read(from: modelPath)
        return try rewrite(before.materialised(modelPath: modelPath), at: modelPath, before: before)
    }

    private static func rewrite(_ file: ModelFile, at path: String, before: ModelFile) throws
        -> SharedRowsRewrite
    {
        let bytesBefore = try before.serialized().count
        let bytes = try file.serialized()
        do {
            try AtomicFile.write(bytes: bytes, to: path)
        } catch let error as AtomicFile.WriteError {
            throw ModelFileError.writeFailed(path: path, reason: error.reason)
        }
        let shared = file.sharedRows.values.reduce(0) {
            $0 + $1.rows.count - $1.storedRowCount
        }
        let stored = file.sharedRows.values.reduce(0) { $0 + $1.storedRowCount }
        return SharedRowsRewrite(
            path: path, bytesBefore: bytesBefore, bytesAfter: bytes.count, sharedRows: shared,
            storedRows: stored)
    }
}

// MARK: 8-bit storage

/// What storing a table in 8 bits changed.
public struct EightBitTableRewrite: Equatable, Sendable {
    /// The table file, its size before and after, in bytes, and its new checksum.
    public var table: String, bytesBefore: Int, bytesAfter: Int, checksum: UInt64
    /// The model files now pointed at the rewritten table.
    public var models: [String]
}

extension SharedVectorTable {
    /// Rewrites the table file at `tablePath` with its vectors in 8 bits a value
    /// (`ParameterStorage.eightBitRows`, a quarter of the size), and the model files at
    /// `modelPaths`, which read rows from it, so that they read from the rewritten table
    /// (their references carry the table's new checksum). Their outputs change by what the
    /// 8-bit values differ from the exact ones.
    ///
    /// Every model must be beside the table and refer to its current contents; and every
    /// other model file (`*.model`) in the table's folder that reads from the table must be
    /// given too, since it would no longer load. Nothing is written unless all that holds.
    /// The table is written first, then the models, each atomically.
    public static func storeInEightBits(tableAt tablePath: String, models modelPaths: [String])
        throws -> EightBitTableRewrite
    {
        let table = try read(from: tablePath)
        guard table.storage == .float32 else {
            throw SharedVectorsError.alreadyEightBit(table: tablePath)
        }
        func readsTable(_ references: [String: ModelFile.SharedRowsReference], at model: String)
            -> Bool
        {
            references.values.contains {
                $0.tableName == table.fileName && $0.tableChecksum == table.checksum
            }
                && URL(fileURLWithPath: model).deletingLastPathComponent()
                    .appendingPathComponent(table.fileName).resolvingSymlinksInPath().path
                    == table.path
        }
        let given = Set(modelPaths.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
        let folder = URL(fileURLWithPath: table.path).deletingLastPathComponent()
        let beside = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in beside.sorted() where name.hasSuffix(".model") {
            let model = folder.appendingPathComponent(name).path
            guard !given.contains(model),
                let references = try? ModelFile.sharedRowsReferences(inFileAt: model),
                readsTable(references, at: model)
            else { continue }
            throw SharedVectorsError.unlistedModel(model: model, table: tablePath)
        }
        var models: [(path: String, file: ModelFile)] = []
        for path in modelPaths {
            let file = try ModelFile.read(from: path)
            guard readsTable(file.sharedRows, at: path) else {
                throw SharedVectorsError.doesNotReadTable(model: path, table: tablePath)
            }
            models.append((path, file))
        }

        var file = try ModelFile.read(from: tablePath)
        let bytesBefore = try file.serialized().count
        file.parameters[0].storage = .eightBitRows
        let bytes = try file.serialized()
        let checksum = ModelFile.storedChecksum(bytes)
        var rewritten: [(path: String, bytes: [UInt8])] = []
        for (path, var model) in models {
            for (name, reference) in model.sharedRows where reference.tableName == table.fileName {
                model.sharedRows[name]!.tableChecksum = checksum
            }
            rewritten.append((path, try model.serialized()))
        }
        for (path, content) in [(tablePath, bytes)] + rewritten {
            do {
                try AtomicFile.write(bytes: content, to: path)
            } catch let error as AtomicFile.WriteError {
                throw ModelFileError.writeFailed(path: path, reason: error.reason)
            }
        }
        return EightBitTableRewrite(
            table: tablePath, bytesBefore: bytesBefore, bytesAfter: bytes.count,
            checksum: checksum, models: modelPaths)
    }
}
