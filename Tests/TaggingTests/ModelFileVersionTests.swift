import Foundation
import LinearAlgebra
import ModelStorage
import Tagging
import XCTest

/// Format version 2 (binary header, XXH64 checksum) beside version 1 (JSON header, FNV-1a
/// checksum), which is still read: a file written by the earlier build loads to the same
/// contents and is written again as version 2.
final class ModelFileVersionTests: XCTestCase {
    private func sample() -> ModelFile {
        var random = SeededRandom(seed: 7)
        return ModelFile(
            architecture: "TestModel.v1", configuration: Data(#"{"hidden":3,"name":"é"}"#.utf8),
            vocabularies: [
                "words": ["<pad>", "<unk>", "the", "naïve", "😀", "", "e\u{301}", "\t\"\\"],
                "tags": ["NOUN", "VERB"], "empty": [],
            ],
            parameters: [
                .init(
                    name: "Wx",
                    matrix: Initializer.uniform(rows: 4, columns: 3, limit: 1, using: &random)),
                .init(name: "b", matrix: Matrix(rows: 1, columns: 3, repeating: -0.0)),
                .init(name: "empty", matrix: Matrix(rows: 0, columns: 7)),
            ])
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// 64-bit FNV-1a, written out here so that the test does not depend on the code it checks.
    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    /// The bytes the earlier build wrote for `file` (format version 1): a JSON header with
    /// sorted keys, the parameters, and an FNV-1a checksum.
    static func version1Bytes(_ file: ModelFile) throws -> [UInt8] {
        struct Header: Encodable {
            var architecture: String
            var configuration: String
            var vocabularies: [String: [String]]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Array(
            try encoder.encode(
                Header(
                    architecture: file.architecture,
                    configuration: String(decoding: file.configuration, as: UTF8.self),
                    vocabularies: file.vocabularies)))
        var out = ModelFile.magic
        append(UInt32(1), to: &out)
        append(UInt32(header.count), to: &out)
        out += header
        append(UInt32(file.parameters.count), to: &out)
        for p in file.parameters {
            append(UInt16(p.name.utf8.count), to: &out)
            out += p.name.utf8
            append(UInt32(p.matrix.rows), to: &out)
            append(UInt32(p.matrix.columns), to: &out)
            for value in p.matrix.scalars { append(value.bitPattern, to: &out) }
        }
        append(fnv1a(out), to: &out)
        return out
    }

    /// A version-2 file with the given header bytes, no parameters and a valid checksum.
    private static func version2File(header: [UInt8]) -> [UInt8] {
        var bytes = ModelFile.magic
        append(UInt32(2), to: &bytes)
        append(UInt32(header.count), to: &bytes)
        bytes += header
        append(UInt32(0), to: &bytes)
        append(ModelFile.checksum(bytes[...]), to: &bytes)
        return bytes
    }

    /// A version-2 header: architecture `X`, configuration `{}`, and `vocabularies` given as
    /// names with raw symbol bytes and the lengths to state for them.
    private static func header(_ vocabularies: [(String, [(length: UInt32, bytes: [UInt8])])])
        -> [UInt8]
    {
        var out: [UInt8] = []
        append(UInt16(1), to: &out)
        out += Array("X".utf8)
        append(UInt32(2), to: &out)
        out += Array("{}".utf8)
        append(UInt32(vocabularies.count), to: &out)
        for (name, symbols) in vocabularies {
            append(UInt16(name.utf8.count), to: &out)
            out += name.utf8
            append(UInt32(symbols.count), to: &out)
            for symbol in symbols { append(symbol.length, to: &out) }
            for symbol in symbols { out += symbol.bytes }
        }
        return out
    }

    private static func symbol(_ text: String) -> (length: UInt32, bytes: [UInt8]) {
        (UInt32(text.utf8.count), Array(text.utf8))
    }

    private func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modelfile-version-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(
            at: FileManager.default.temporaryDirectory.appendingPathComponent(
                "modelfile-version-tests-\(getpid())"))
    }

    // MARK: Checksums

    func testChecksumsMatchTheirReferenceValues() {
        // XXH64 with seed 0, as the reference implementation gives it.
        let xxh64: [([UInt8], UInt64)] = [
            ([], 0xef46_db37_51d8_e999),
            (Array("a".utf8), 0xd24e_c4f1_a98c_6e5b),
            (Array("abc".utf8), 0x44bc_2cf5_ad77_0999),
            (Array(0..<12), 0x424a_f23f_1f08_dca5),
            (Array("Nobody inspects the spammish repetition".utf8), 0xfbce_a83c_8a37_8bf1),
            (Array(0..<47), 0x0d98_83a0_3e7b_fbb8),
            (Array((0..<3).flatMap { _ in 0...255 }) + Array("xyz".utf8), 0xe921_a1b4_5bd7_79f8),
        ]
        for (bytes, expected) in xxh64 {
            XCTAssertEqual(ModelFile.checksum(bytes[...], version: 2), expected, "\(bytes.count)")
        }
        // 64-bit FNV-1a, the checksum of version 1.
        let fnv: [(String, UInt64)] = [
            ("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ]
        for (text, expected) in fnv {
            XCTAssertEqual(ModelFile.checksum(Array(text.utf8)[...], version: 1), expected, text)
        }
        // Without a version, the one the body states in its bytes 8..<12.
        let version1 = ModelFile.magic + [1, 0, 0, 0, 42]
        let version2 = ModelFile.magic + [2, 0, 0, 0, 42]
        XCTAssertEqual(ModelFile.checksum(version1[...]), Self.fnv1a(version1))
        XCTAssertEqual(
            ModelFile.checksum(version2[...]), ModelFile.checksum(version2[...], version: 2))
        XCTAssertNotEqual(
            ModelFile.checksum(version1[...]), ModelFile.checksum(version1[...], version: 2))
        // A slice that does not start at index 0.
        let padded = [9, 9] + version1
        XCTAssertEqual(ModelFile.checksum(padded[2...]), Self.fnv1a(version1))
    }

    // MARK: Version 1 is still read

    func testAVersion1FileLoadsToTheSameContentsAndIsWrittenAsVersion2() throws {
        let model = sample()
        let old = try Self.version1Bytes(model)
        XCTAssertEqual(old[8], 1)
        let loaded = try ModelFile(bytes: old, source: "old.model")
        XCTAssertEqual(loaded, model)
        let path = temporaryPath("old.model")
        try Data(old).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ModelFile.read(from: path), model)
        let new = try loaded.serialized()
        XCTAssertEqual(Array(new[8..<12]), [2, 0, 0, 0])
        XCTAssertEqual(new, try model.serialized())
        XCTAssertEqual(try ModelFile(bytes: new, source: "new.model"), model)
        // Version 1 files keep their checksum: a flipped byte is still caught.
        var corrupt = old
        corrupt[old.count / 2] ^= 0x10
        XCTAssertThrowsError(try ModelFile(bytes: corrupt, source: "old.model")) { error in
            guard case .checksumMismatch? = error as? ModelFileError else {
                return XCTFail("\(error)")
            }
        }
    }

    func testAVersion1TaggerTagsAsTheVersion2One() throws {
        let tagger = TinyTagger.train(width: 8, epochs: 1, batchSize: 2, dropout: 0)
        let file = try tagger.modelFile()
        let old = try TaggerModel(
            file: ModelFile(bytes: try Self.version1Bytes(file), source: "old"), path: "old")
        let new = try TaggerModel(file: ModelFile(bytes: try file.serialized(), source: "new"))
        XCTAssertEqual(try old.modelFile(), file)
        let sentences = [["The", "cat", "sat", "."], ["Dogs", "bark", "naïvely", "😀"], ["x"]]
        XCTAssertEqual(old.tag(sentences), tagger.tag(sentences))
        XCTAssertEqual(new.tag(sentences), tagger.tag(sentences))
    }

    // MARK: Version 2

    func testVersion2LayoutIsTheDocumentedOne() throws {
        let file = ModelFile(
            architecture: "A.v1", configuration: Data("{}".utf8),
            vocabularies: ["z": ["é"], "a": ["x", ""]],
            parameters: [.init(name: "W", matrix: Matrix(rows: 1, columns: 2, scalars: [1, -2]))])
        var expected = ModelFile.magic
        Self.append(UInt32(2), to: &expected)
        let header: [UInt8] =
            [4, 0] + Array("A.v1".utf8) + [2, 0, 0, 0] + Array("{}".utf8) + [2, 0, 0, 0]
            + [1, 0] + Array("a".utf8) + [2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] + Array("x".utf8)
            + [1, 0] + Array("z".utf8) + [1, 0, 0, 0, 2, 0, 0, 0] + Array("é".utf8)
        Self.append(UInt32(header.count), to: &expected)
        expected += header
        expected += [1, 0, 0, 0, 1, 0] + Array("W".utf8) + [1, 0, 0, 0, 2, 0, 0, 0]
        expected += [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        Self.append(ModelFile.checksum(expected[...], version: 2), to: &expected)
        XCTAssertEqual(try file.serialized(), expected)
        XCTAssertEqual(try ModelFile(bytes: expected, source: "a"), file)
    }

    func testVersion2RoundTripsEveryStringAndScalarExactly() throws {
        var model = sample()
        model.parameters.append(
            .init(
                name: "extremes",
                matrix: Matrix(
                    rows: 1, columns: 3,
                    // Every finite value survives bit for bit; NaN and infinities are
                    // refused on reading (HostileModelFileTests).
                    scalars: [-0.0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude])))
        let bytes = try model.serialized()
        let loaded = try ModelFile(bytes: bytes, source: "m")
        XCTAssertEqual(loaded.vocabularies, model.vocabularies)
        XCTAssertEqual(loaded.configuration, model.configuration)
        for (a, b) in zip(loaded.parameters, model.parameters) {
            XCTAssertEqual(a.matrix.scalars.map(\.bitPattern), b.matrix.scalars.map(\.bitPattern))
        }
        // The words keep their exact code points (no normalisation on the way).
        XCTAssertEqual(loaded.vocabularies["words"]?[6].unicodeScalars.count, 2)
        XCTAssertEqual(try loaded.serialized(), bytes)
    }

    func testBadVocabularyTablesAreNamedEvenWithAValidChecksum() throws {
        func assertRejected(
            _ header: [UInt8], _ check: (ModelFileError) -> Bool, line: UInt = #line
        ) {
            XCTAssertThrowsError(
                try ModelFile(bytes: Self.version2File(header: header), source: "v"), line: line
            ) { error in
                guard let error = error as? ModelFileError, check(error) else {
                    return XCTFail("unexpected \(error)", line: line)
                }
            }
        }
        // Well formed, it loads.
        let good = Self.header([("words", [Self.symbol("a"), Self.symbol("bé")])])
        XCTAssertEqual(
            try ModelFile(bytes: Self.version2File(header: good), source: "v").vocabularies,
            ["words": ["a", "bé"]])
        // A symbol that is not UTF-8.
        assertRejected(Self.header([("words", [(2, [0xC3, 0x28])])])) {
            if case .malformedHeader(let reason) = $0 { return reason.contains("not UTF-8") }
            return false
        }
        assertRejected(Self.header([("words", [(1, [0xFF])])])) {
            if case .malformedHeader(let reason) = $0 { return reason.contains("not UTF-8") }
            return false
        }
        // A symbol that states more bytes than the header holds.
        assertRejected(Self.header([("words", [(1_000_000, Array("abc".utf8))])])) {
            if case .truncated(path: "v", needed: 1_000_000, _) = $0 { return true }
            return false
        }
        // A symbol count of 2^32 − 1 is rejected before anything of that size is allocated.
        var huge = Self.header([("words", [])])
        huge.replaceSubrange((huge.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
        assertRejected(huge) {
            if case .truncated(path: "v", needed: 0x3_FFFF_FFFC, _) = $0 { return true }
            return false
        }
        // The same name twice.
        assertRejected(Self.header([("tags", [Self.symbol("A")]), ("tags", [])])) {
            $0 == .malformedHeader(reason: "the vocabulary \"tags\" appears twice")
        }
        // Bytes left over inside the header.
        assertRejected(good + [0]) {
            $0 == .malformedHeader(reason: "1 unexpected bytes at the end of the header")
        }
        // A vocabulary count beyond what the header can hold.
        var many = Self.header([])
        many.replaceSubrange((many.count - 4)..., with: [0x00, 0x00, 0x00, 0x10])
        assertRejected(many) {
            if case .truncated = $0 { return true }
            return false
        }
    }

    /// Every byte of a version-2 header (vocabularies included), changed and re-checksummed,
    /// either still loads or gives a named error; none traps.
    func testEveryVersion2HeaderByteRewrittenNeverTraps() throws {
        let bytes = try sample().serialized()
        let headerEnd = 16 + Int(bytes[12]) + Int(bytes[13]) << 8 + Int(bytes[14]) << 16
        var rejected = 0
        for i in 12..<headerEnd {
            for replacement: UInt8 in [0x00, 0xFF, bytes[i] ^ 0x01, bytes[i] &+ 1] {
                var edited = bytes
                edited[i] = replacement
                let checksum = ModelFile.checksum(edited[..<(edited.count - 8)])
                for k in 0..<8 {
                    edited[edited.count - 8 + k] = UInt8(
                        truncatingIfNeeded: checksum >> (8 * UInt64(k)))
                }
                do {
                    _ = try ModelFile(bytes: edited, source: "e")
                } catch is ModelFileError {
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, headerEnd - 16)
    }
}
