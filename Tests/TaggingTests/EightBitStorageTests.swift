import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import XCTest

/// Parameters stored in 8 bits a value (format version 4): each value within half a step of
/// the exact one, a file rewritten unchanged keeps its bytes, damaged 8-bit data is a named
/// error; a shared vector table stored in 8 bits, and models pointed at it.
final class EightBitStorageTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "eight-bit-\(getpid())-\(name.hashValue)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Rows of assorted magnitudes: ordinary values, one large outlier, tiny values, zeros,
    /// all negative.
    private static func rows() -> Matrix<Float> {
        var random = SeededRandom(seed: 7)
        var scalars: [Float] = []
        for row in 0..<6 {
            for column in 0..<9 {
                let u = Float(random.nextUnit() * 2 - 1)
                switch row {
                case 1: scalars.append(column == 4 ? 37.5 : u)
                case 2: scalars.append(u * 1e-6)
                case 3: scalars.append(0)
                case 4: scalars.append(-abs(u) - 0.01)
                default: scalars.append(u * Float(row + 1))
                }
            }
        }
        return Matrix(rows: 6, columns: 9, scalars: scalars)
    }

    private static func file(_ storage: ParameterStorage, shared: Bool = false) -> ModelFile {
        ModelFile(
            architecture: "A.v1", configuration: Data("{}".utf8), vocabularies: ["w": ["a", "b"]],
            parameters: [
                .init(name: "E", matrix: rows(), storage: storage),
                .init(name: "W", matrix: Matrix(rows: 1, columns: 3, scalars: [0.1, -2, 3e5])),
            ],
            sharedRows: shared
                ? ["E": .init(tableName: "t.vectors", tableChecksum: 9, rows: [nil, 4] + Array(repeating: nil, count: 5))]
                : [:])
    }

    func testEachValueIsWithinHalfAStepAndTheLargestIsKept() throws {
        let exact = Self.rows()
        let read = try ModelFile(bytes: try Self.file(.eightBitRows).serialized(), source: "m")
        XCTAssertEqual(read.parameters[0].storage, .eightBitRows)
        XCTAssertEqual(read.parameters[1].storage, .float32)
        XCTAssertEqual(read.parameters[1].matrix, Self.file(.float32).parameters[1].matrix)
        let values = read.parameters[0].matrix
        for row in 0..<exact.rows {
            let largest = exact.row(row).map(abs).max()!
            let step = largest / 127
            for column in 0..<exact.columns {
                let (x, y) = (exact[row, column], values[row, column])
                XCTAssertLessThanOrEqual(abs(x - y), step / 2 * 1.0001 + 1e-30, "[\(row), \(column)]")
                XCTAssertEqual(x.sign == y.sign || y == 0, true)
            }
            if largest > 0 {
                XCTAssertEqual(
                    values.row(row).map(abs).max()!, largest, accuracy: largest * 1e-6,
                    "row \(row): the largest magnitude is 127 steps")
            } else {
                XCTAssertEqual(values.row(row), exact.row(row))
            }
        }
        // The outlier row keeps its outlier, the others lose precision only near zero.
        XCTAssertEqual(values[1, 4], 37.5, accuracy: 1e-5)
    }

    func testRowsCopiedFromAnEightBitTableAreTheValuesItStandsFor() {
        let eightBit = EightBitMatrix(quantizing: Self.rows())
        let values = eightBit.dequantized()
        XCTAssertEqual(EightBitMatrix(quantizing: values), eightBit, "quantized again, the same")
        let table = SharedRows<Float>.Table.eightBit(eightBit)
        XCTAssertEqual(table.expanded(), values)
        XCTAssertEqual([table.rows, table.columns], [6, 9])
        var row = [Float](repeating: .nan, count: 9)
        var wide = [Double](repeating: .nan, count: 9)
        for r in 0..<6 {
            row.withUnsafeMutableBufferPointer { table.copyRow(r, into: $0.baseAddress!) }
            XCTAssertEqual(row, values.row(r))
            wide.withUnsafeMutableBufferPointer { eightBit.copyRow(r, into: $0.baseAddress!) }
            XCTAssertEqual(wide, values.row(r).map(Double.init))
        }
        let exact = SharedRows<Float>.Table.exact(Self.rows())
        exact.copyRow(1, into: &row)
        XCTAssertEqual(row, Self.rows().row(1))
        XCTAssertEqual(exact.expanded(), Self.rows())
    }

    func testAFileRewrittenUnchangedKeepsItsBytes() throws {
        for shared in [false, true] {
            let bytes = try Self.file(.eightBitRows, shared: shared).serialized()
            XCTAssertEqual(bytes[8], 4, "a file with an 8-bit parameter is version 4")
            let read = try ModelFile(bytes: bytes, source: "m")
            XCTAssertEqual(read.sharedRows.isEmpty, !shared)
            XCTAssertEqual(try read.serialized(), bytes)
            XCTAssertEqual(try ModelFile(bytes: try read.serialized(), source: "m"), read)
        }
        // Many random rows: the scale is a fixed point of the round trip.
        var random = SeededRandom(seed: 3)
        let wide = Matrix<Float>(
            rows: 2_000, columns: 50,
            scalars: (0..<100_000).map { _ in Float(random.nextUnit() * 8 - 4) })
        let file = ModelFile(
            architecture: "A.v1", configuration: Data("{}".utf8),
            parameters: [.init(name: "E", matrix: wide, storage: .eightBitRows)])
        let once = try file.serialized()
        XCTAssertEqual(try ModelFile(bytes: once, source: "m").serialized(), once)
        XCTAssertEqual(once.count, 8 + 4 + 4 + 20 + 4 + 3 + 8 + 1 + 4 * 2_000 + 100_000 + 8)
        // Without an 8-bit parameter the versions are those written before.
        XCTAssertEqual(try Self.file(.float32).serialized()[8], 2)
        XCTAssertEqual(try Self.file(.float32, shared: true).serialized()[8], 3)
    }

    func testANonFiniteValueCannotBeStoredInEightBits() {
        var file = Self.file(.eightBitRows)
        file.parameters[0].matrix[2, 3] = .nan
        XCTAssertThrowsError(try file.serialized()) { error in
            guard case .nonFiniteParameter(let name, let row, let column, _)? =
                error as? ModelFileError
            else { return XCTFail("\(error)") }
            XCTAssertEqual([name, "\(row)", "\(column)"], ["E", "2", "3"])
        }
    }

    /// `bytes` with the checksum at its end made right again.
    private static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var body = Array(bytes.dropLast(8))
        var checksum = ModelFile.checksum(body[...]).littleEndian
        withUnsafeBytes(of: &checksum) { body += $0 }
        return body
    }

    func testDamagedEightBitDataIsANamedErrorAtEveryCut() throws {
        let bytes = try Self.file(.eightBitRows).serialized()
        let read = try ModelFile(bytes: bytes, source: "m")
        // The storage byte follows the name "E" and the shape.
        let header = Int(UInt32(bytes[12]) | UInt32(bytes[13]) << 8)
        let storageAt = 16 + header + 4 + 2 + 1 + 8
        XCTAssertEqual(bytes[storageAt], 1)
        var unknown = bytes
        unknown[storageAt] = 7
        XCTAssertThrowsError(try ModelFile(bytes: Self.resealed(unknown), source: "m")) { error in
            XCTAssertTrue(error.localizedDescription.contains("unknown way (7)"), "\(error)")
        }
        // A negative or non-finite scale (the first row's) is refused.
        for bad: Float in [-1, .infinity, .nan] {
            var scaled = bytes
            let pattern = bad.bitPattern
            for i in 0..<4 { scaled[storageAt + 1 + i] = UInt8(truncatingIfNeeded: pattern >> (8 * i)) }
            XCTAssertThrowsError(try ModelFile(bytes: Self.resealed(scaled), source: "m")) { error in
                XCTAssertTrue(error.localizedDescription.contains("scale"), "\(error)")
            }
        }
        // Cut anywhere (and resealed, so the checksum holds), the file is an error.
        for cut in stride(from: 20, to: bytes.count - 8, by: 3) {
            let truncated = Self.resealed(Array(bytes.prefix(cut)) + [0, 0, 0, 0, 0, 0, 0, 0])
            XCTAssertThrowsError(try ModelFile(bytes: truncated, source: "m"), "cut at \(cut)")
        }
        // Written and read through a file, with a version this build states it reads.
        let path = directory + "/m.model"
        try read.write(to: path)
        XCTAssertEqual(try ModelFile.read(from: path), read)
        XCTAssertEqual(ModelFile.newestReadableVersion, 4)
        var future = bytes
        future[8] = 5
        XCTAssertThrowsError(try ModelFile(bytes: Self.resealed(future), source: "m")) { error in
            XCTAssertTrue(error.localizedDescription.contains("versions 1 to 4"), "\(error)")
        }
    }

    // MARK: Shared vector tables

    /// Vectors of 4 dimensions for five words.
    private func vectors() -> PretrainedVectors {
        PretrainedVectors(
            words: ["the", "cat", "zurich", "berlin", "sat"],
            vectors: Matrix(
                rows: 5, columns: 4,
                scalars: [
                    0.25, -0.5, 1, 0.125, 1, 1, -1, 0.5, 0.75, 0, -0.25, 2, -1, 0.5, 0.5, -2, 0,
                    0.5, 0.5, 0.01,
                ]))
    }

    func testAnEightBitTableReadsItsValuesBackAtAQuarterOfTheSize() throws {
        let exact = directory + "/exact.vectors"
        let small = directory + "/small.vectors"
        var many = vectors()
        var random = SeededRandom(seed: 5)
        many = PretrainedVectors(
            words: (0..<500).map { "w\($0)" },
            vectors: Matrix(
                rows: 500, columns: 50,
                scalars: (0..<25_000).map { _ in Float(random.nextUnit() * 2 - 1) }))
        try SharedVectorTable.write(many, to: exact)
        let checksum = try SharedVectorTable.write(many, storage: .eightBitRows, to: small)
        let a = try SharedVectorTable.read(from: exact)
        let b = try SharedVectorTable.read(from: small)
        XCTAssertEqual(a.storage, .float32)
        XCTAssertEqual(b.storage, .eightBitRows)
        XCTAssertEqual(b.checksum, checksum)
        XCTAssertEqual(b.words, many.words)
        for row in 0..<500 {
            let step = a.matrix.row(row).map(abs).max()! / 127
            for column in 0..<50 {
                XCTAssertLessThanOrEqual(
                    abs(a.matrix[row, column] - b.matrix[row, column]), step / 2 * 1.0001)
            }
        }
        let sizes = try [exact, small].map {
            try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int
        }
        XCTAssertLessThan(Double(sizes[1]), 0.32 * Double(sizes[0]), "\(sizes)")
        // Written again from what was read, the same bytes (the checksum models refer to).
        try SharedVectorTable.write(b.vectors, storage: .eightBitRows, to: small + "2")
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: small + "2")),
            try Data(contentsOf: URL(fileURLWithPath: small)))
    }

    /// A file of architecture `TokenClassifier`-like layout is not needed here: a model file
    /// that refers to the table by name and checksum is enough for the rewrite.
    private func referringModel(_ name: String, table: SharedVectorTable) throws -> String {
        let path = directory + "/" + name
        let file = ModelFile(
            architecture: "A.v1", configuration: Data("{}".utf8),
            parameters: [
                .init(name: "E", matrix: Matrix(rows: 1, columns: 4, scalars: [1, 2, 3, 4]))
            ],
            sharedRows: [
                "E": .init(
                    tableName: table.fileName, tableChecksum: table.checksum, rows: [2, nil, 0])
            ])
        try file.write(to: path)
        return path
    }

    func testQuantizingATableRepointsItsModelsAndRefusesWhatWouldBreak() throws {
        let tablePath = directory + "/t.vectors"
        try SharedVectorTable.write(vectors(), to: tablePath)
        let table = try SharedVectorTable.read(from: tablePath)
        let first = try referringModel("a.model", table: table)
        let second = try referringModel("b.model", table: table)
        let unrelated = directory + "/c.model"
        try ModelFile(architecture: "A.v1", configuration: Data("{}".utf8)).write(to: unrelated)
        let before = try [tablePath, first, second].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        func unchanged(file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(
                try [tablePath, first, second].map { try Data(contentsOf: URL(fileURLWithPath: $0)) },
                before, "nothing is written", file: file, line: line)
        }

        XCTAssertThrowsError(try SharedVectorTable.storeInEightBits(tableAt: tablePath, models: [first])) {
            XCTAssertEqual($0 as? SharedVectorsError, .unlistedModel(model: second, table: tablePath))
            XCTAssertTrue($0.localizedDescription.contains("give it too"))
        }
        try unchanged()
        XCTAssertThrowsError(
            try SharedVectorTable.storeInEightBits(tableAt: tablePath, models: [first, second, unrelated])
        ) {
            XCTAssertEqual($0 as? SharedVectorsError, .doesNotReadTable(model: unrelated, table: tablePath))
        }
        try unchanged()

        let rewrite = try SharedVectorTable.storeInEightBits(tableAt: tablePath, models: [first, second])
        XCTAssertEqual(rewrite.models, [first, second])
        XCTAssertLessThan(rewrite.bytesAfter, rewrite.bytesBefore)
        let small = try SharedVectorTable.read(from: tablePath)
        XCTAssertEqual(small.storage, .eightBitRows)
        XCTAssertEqual(small.checksum, rewrite.checksum)
        for path in [first, second] {
            let model = try ModelFile.read(from: path)
            let reference = try XCTUnwrap(model.sharedRows["E"])
            XCTAssertEqual(reference.tableChecksum, small.checksum)
            XCTAssertEqual(reference.rows, [2, nil, 0])
            XCTAssertEqual(model.parameters[0].matrix.scalars, [1, 2, 3, 4], "own rows stay exact")
            XCTAssertEqual(model.parameters[0].storage, .float32)
            // The shared rows are now the table's 8-bit values.
            let dense = try model.materialised(modelPath: path).parameters[0].matrix
            XCTAssertEqual(dense.row(0), small.matrix.row(2))
            XCTAssertEqual(dense.row(2), small.matrix.row(0))
            XCTAssertNotEqual(dense.row(0), table.matrix.row(2), "zurich's 2 is not a step of 8 bits")
        }
        XCTAssertThrowsError(try SharedVectorTable.storeInEightBits(tableAt: tablePath, models: [])) {
            XCTAssertEqual($0 as? SharedVectorsError, .alreadyEightBit(table: tablePath))
        }
    }
}
