import Foundation
import Text

/// How one white-space-delimited chunk is cut into tokens: for each token, the lengths in
/// Unicode scalars of its syntactic words (one length for a plain token).
public struct ChunkSegmentation: Hashable, Sendable {
    /// Per token, the scalar lengths of its words, in order.
    public var tokens: [[Int]]

    /// A segmentation from per-token word lengths.
    public init(tokens: [[Int]]) { self.tokens = tokens }

    /// The segmentation in the lexicon file's notation: tokens separated by spaces, the
    /// word lengths of a multiword token joined by `+` (`do+n't.` → `2+3 1`).
    public var notation: String {
        tokens.map { $0.map(String.init).joined(separator: "+") }.joined(separator: " ")
    }

    /// Parses ``notation``; nil when it is not a list of positive lengths.
    public init?(notation: String) {
        var tokens: [[Int]] = []
        for part in notation.split(separator: " ") {
            let lengths = part.split(separator: "+").map { Int($0) ?? 0 }
            guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else { return nil }
            tokens.append(lengths)
        }
        guard !tokens.isEmpty else { return nil }
        self.tokens = tokens
    }

    /// The total length in scalars.
    public var length: Int { tokens.reduce(0) { $0 + $1.reduce(0, +) } }
}

/// Everything the tokenizer learns from a treebank: abbreviations, multiword tokens,
/// hyphenated prefixes kept whole, emoticons, chunk-level exceptions to the rules and the
/// weights of the sentence-boundary model. Stored as a small tab-separated text file.
public struct TokenizerLexicon: Sendable, Equatable {
    /// The header line that starts every lexicon file.
    public static let formatHeader = "# tokenizer-lexicon v1"

    /// Abbreviations with their final period, as written (`Mr.`, `U.S.`, `etc.`).
    public var abbreviations: Set<String> = []
    /// Multiword tokens: case-folded NFC form → scalar offsets where a new word starts
    /// (`don't` → `[2]`, `cannot` → `[3]`).
    public var multiwords: [String: [Int]] = [:]
    /// Case-folded word parts that keep a following hyphen and word attached (`e` in `e-mail`).
    public var hyphenPrefixes: Set<String> = []
    /// Emoticons kept whole (`:)`, `:-(`, `^_^`).
    public var emoticons: Set<String> = []
    /// Whole chunks (NFC, white-space free) whose segmentation overrides the rules.
    public var chunkExceptions: [String: ChunkSegmentation] = [:]
    /// Weights of the sentence-boundary perceptron by feature name.
    public var boundaryWeights: [String: Double] = [:]
    /// Free-text provenance (which file, which command) written as a comment.
    public var provenance: String = ""

    /// An empty lexicon: the tokenizer then uses its rules alone.
    public init() {}

    /// Parses a lexicon file's text. Lines end with `\n` (or `\r\n`); fields are separated
    /// by tabs. The text is scanned as UTF-8 bytes and only the fields kept become strings.
    public init(tsv: String) throws {
        var text = tsv
        self = try text.withUTF8 { try Self.parse($0) }
    }

    /// Parses the UTF-8 bytes of a lexicon file.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> TokenizerLexicon {
        let newline = UInt8(ascii: "\n")
        let tab = UInt8(ascii: "\t")
        var lexicon = TokenizerLexicon()
        var lineNumber = 0
        var sawHeader = false
        var start = 0
        var fields: [Range<Int>] = []
        // Nearly every line is a boundary weight: room for all of them at once.
        var lines = 0
        for byte in bytes where byte == newline { lines += 1 }
        lexicon.boundaryWeights.reserveCapacity(lines)
        // `text` is valid UTF-8 and the cuts fall on ASCII bytes, so every piece is too.
        func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
            range.count == literal.utf8CodeUnitCount
                && memcmp(bytes.baseAddress! + range.lowerBound, literal.utf8Start, range.count)
                    == 0
        }
        while start < bytes.count {
            let base = bytes.baseAddress!
            var end = bytes.count
            if let found = memchr(base + start, Int32(newline), bytes.count - start) {
                end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            let next = end + 1
            lineNumber += 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            defer { start = next }
            if end == start { continue }
            if bytes[start] == UInt8(ascii: "#") {
                // A comment, unless a combining mark joins the `#` into another character.
                let line = string(start..<end)
                if line.hasPrefix("#") {
                    if lineNumber == 1 {
                        guard line == Self.formatHeader else {
                            throw TokenizerError.unsupportedLexiconFormat(
                                found: line, supported: Self.formatHeader)
                        }
                        sawHeader = true
                    } else if line.hasPrefix("# provenance: ") {
                        lexicon.provenance = String(line.dropFirst("# provenance: ".count))
                    }
                    continue
                }
            }
            guard sawHeader else {
                throw TokenizerError.unsupportedLexiconFormat(
                    found: String(string(start..<end).prefix(40)), supported: Self.formatHeader)
            }
            fields.removeAll(keepingCapacity: true)
            var fieldStart = start
            for i in start..<end where bytes[i] == tab {
                fields.append(fieldStart..<i)
                fieldStart = i + 1
            }
            fields.append(fieldStart..<end)
            func need(_ count: Int) throws {
                guard fields.count == count, fields.allSatisfy({ !$0.isEmpty }) else {
                    throw TokenizerError.malformedLexicon(
                        line: lineNumber,
                        reason:
                            "\(string(fields[0]).quotedForMessage) needs \(count - 1) non-empty tab-separated fields"
                    )
                }
            }
            let kind = fields[0]
            if equals(kind, "boundary") {
                try need(3)
                let value = string(fields[2])
                guard let weight = Double(value), weight.isFinite else {
                    throw TokenizerError.malformedLexicon(
                        line: lineNumber, reason: "weight \(value.quotedForMessage) is not a finite number")
                }
                lexicon.boundaryWeights[string(fields[1])] = weight
            } else if equals(kind, "abbrev") {
                try need(2)
                lexicon.abbreviations.insert(string(fields[1]))
            } else if equals(kind, "hyphen") {
                try need(2)
                lexicon.hyphenPrefixes.insert(string(fields[1]))
            } else if equals(kind, "emoticon") {
                try need(2)
                lexicon.emoticons.insert(string(fields[1]))
            } else if equals(kind, "mwt") {
                try need(3)
                let word = string(fields[1])
                let offsets = string(fields[2])
                let breaks = offsets.split(separator: " ").compactMap { Int($0) }
                guard !breaks.isEmpty, breaks == breaks.sorted(), breaks.first! > 0,
                    breaks.last! < word.unicodeScalars.count
                else {
                    throw TokenizerError.malformedLexicon(
                        line: lineNumber, reason:
                            "bad word offsets \(offsets.quotedForMessage) for \(word.quotedForMessage)")
                }
                lexicon.multiwords[word] = breaks
            } else if equals(kind, "chunk") {
                try need(3)
                let chunk = string(fields[1])
                let notation = string(fields[2])
                guard let segmentation = ChunkSegmentation(notation: notation),
                    segmentation.length == chunk.unicodeScalars.count
                else {
                    throw TokenizerError.malformedLexicon(
                        line: lineNumber,
                        reason:
                            "segmentation \(notation.quotedForMessage) does not cover \(chunk.quotedForMessage)")
                }
                lexicon.chunkExceptions[chunk] = segmentation
            } else {
                throw TokenizerError.malformedLexicon(
                    line: lineNumber, reason: "unknown entry kind \(string(kind).quotedForMessage)")
            }
        }
        if !sawHeader {
            throw TokenizerError.unsupportedLexiconFormat(found: "", supported: Self.formatHeader)
        }
        return lexicon
    }

    /// The largest lexicon file read: 64 MiB (the bundled English one is 0.3 MB).
    public static let maximumFileBytes = 64 << 20

    /// Reads a lexicon file of at most `maximumFileBytes`; a file that cannot be opened or
    /// read (a directory, a missing file, no permission) or is larger is a
    /// `TokenizerError` naming the path and saying why in words.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw TokenizerError.cannotReadLexicon(path: path, reason: Self.reason(for: error))
        }
        defer { try? handle.close() }
        var data = Data()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                data += chunk
                guard data.count <= Self.maximumFileBytes else {
                    throw TokenizerError.lexiconTooLarge(path: path, limit: Self.maximumFileBytes)
                }
            }
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.cannotReadLexicon(path: path, reason: Self.reason(for: error))
        }
        try self.init(tsv: String(decoding: data, as: UTF8.self))
    }

    /// The operating system's reason for a failed open or read, in words (`strerror`), not
    /// Foundation's description, which guesses (a directory read as root is "You don't
    /// have permission").
    private static func reason(for error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(nsError.code)))
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: return "the file cannot be read"
        }
    }

    /// The lexicon file's text, sorted so that the same lexicon always gives the same bytes.
    public var tsv: String {
        var lines = [Self.formatHeader]
        if !provenance.isEmpty { lines.append("# provenance: " + provenance) }
        lines += abbreviations.sorted().map { "abbrev\t\($0)" }
        lines += hyphenPrefixes.sorted().map { "hyphen\t\($0)" }
        lines += emoticons.sorted().map { "emoticon\t\($0)" }
        lines += multiwords.keys.sorted().map {
            "mwt\t\($0)\t\(multiwords[$0]!.map(String.init).joined(separator: " "))"
        }
        lines += chunkExceptions.keys.sorted().map {
            "chunk\t\($0)\t\(chunkExceptions[$0]!.notation)"
        }
        lines += boundaryWeights.keys.sorted().map {
            "boundary\t\($0)\t\(String(format: "%.4g", boundaryWeights[$0]!))"
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The file name of the English lexicon shipped with the module, learned from the UD
    /// English EWT train split.
    public static let bundledEnglishName = "tokenizer-en.tsv"

    /// The English lexicon shipped as a resource of this module.
    public static func bundledEnglish() throws -> TokenizerLexicon {
        guard let url = Bundle.module.url(forResource: "tokenizer-en", withExtension: "tsv") else {
            throw TokenizerError.missingBundledLexicon(name: bundledEnglishName)
        }
        return try TokenizerLexicon(contentsOf: url)
    }
}
