import Text

/// The ID column of a CoNLL-U line.
public enum CoNLLUID: Hashable, Sendable, CustomStringConvertible {
    /// A syntactic word, numbered from 1 in each sentence.
    case word(Int)
    /// A multiword token spanning words `first...last` (written `first-last`).
    case range(first: Int, last: Int)
    /// An empty node after word `after` (0 = before the first word), the
    /// `index`-th one there (written `after.index`).
    case empty(after: Int, index: Int)

    /// The ID as written in the file: `3`, `3-4` or `8.1`.
    public var description: String {
        switch self {
        case .word(let n): return String(n)
        case .range(let first, let last): return "\(first)-\(last)"
        case .empty(let after, let index): return "\(after).\(index)"
        }
    }
}

/// One CoNLL-U line: a syntactic word, a multiword token (range) line or an
/// empty node. Every column is kept verbatim (`_` stays `_`), so writing it
/// back reproduces the line exactly.
public struct CoNLLUEntry: Hashable, Sendable {
    /// Column 1, ID.
    public var id: CoNLLUID
    /// Column 2, FORM: the word form or, for a range line, the surface token.
    public var form: String
    /// Column 3, LEMMA.
    public var lemma: String
    /// Column 4, UPOS: universal part-of-speech tag.
    public var upos: String
    /// Column 5, XPOS: language-specific part-of-speech tag.
    public var xpos: String
    /// Column 6, FEATS: morphological features (`Number=Sing|…` or `_`).
    public var feats: String
    /// Column 7, HEAD: ID of the syntactic head (`0` for the root, `_` on range lines).
    public var head: String
    /// Column 8, DEPREL: dependency relation to the head.
    public var deprel: String
    /// Column 9, DEPS: enhanced dependency graph.
    public var deps: String
    /// Column 10, MISC: other annotation (`SpaceAfter=No|…` or `_`).
    public var misc: String

    /// Creates an entry; columns default to `_`.
    public init(
        id: CoNLLUID, form: String, lemma: String = "_", upos: String = "_", xpos: String = "_",
        feats: String = "_", head: String = "_", deprel: String = "_", deps: String = "_",
        misc: String = "_"
    ) {
        self.id = id
        self.form = form
        self.lemma = lemma
        self.upos = upos
        self.xpos = xpos
        self.feats = feats
        self.head = head
        self.deprel = deprel
        self.deps = deps
        self.misc = misc
    }

    /// The ten columns in file order, the ID rendered as in the file.
    public var columns: [String] {
        [id.description, form, lemma, upos, xpos, feats, head, deprel, deps, misc]
    }

    /// The line as written in a file (columns joined by tabs, no terminator).
    public var line: String { columns.joined(separator: "\t") }

    /// The value of `key=value` in MISC, e.g. `miscValue("SpaceAfter")`.
    public func miscValue(_ key: String) -> String? {
        guard misc != "_" else { return nil }
        for item in misc.split(separator: "|", omittingEmptySubsequences: false) {
            if item.count > key.count, item.hasPrefix(key),
                item[item.index(item.startIndex, offsetBy: key.count)] == "="
            {
                return String(item.dropFirst(key.count + 1))
            }
        }
        return nil
    }

    /// False when MISC says `SpaceAfter=No` (or `SpacesAfter=` is empty).
    /// Meaningful on plain words and on range lines (the words inside a
    /// multiword token do not carry it).
    public var spaceAfter: Bool { !spacesAfter.isEmpty }

    /// The exact whitespace after the token in the raw text: the decoded
    /// `SpacesAfter=` value if present (escapes `\s`, `\t`, `\n`, `\r`,
    /// `\p` for `|`, `\\`, `\uXXXX`), else "" for `SpaceAfter=No`, else " ".
    public var spacesAfter: String {
        if let raw = miscValue("SpacesAfter") { return Self.unescapeSpaces(raw) }
        return miscValue("SpaceAfter") == "No" ? "" : " "
    }

    static func unescapeSpaces(_ raw: String) -> String {
        var result = ""
        var scalars = raw.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            guard c == "\\" else {
                result.unicodeScalars.append(c)
                continue
            }
            guard let e = scalars.next() else {
                result += "\\"
                break
            }
            switch e {
            case "s": result += " "
            case "t": result += "\t"
            case "n": result += "\n"
            case "r": result += "\r"
            case "p": result += "|"
            case "\\": result += "\\"
            case "u":
                var hex = ""
                for _ in 0..<4 { if let h = scalars.next() { hex.unicodeScalars.append(h) } }
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += "\\u" + hex
                }
            default:
                result += "\\"
                result.unicodeScalars.append(e)
            }
        }
        return result
    }
}

/// A surface token: either a multiword token (a range line) or a plain word
/// that belongs to no range.
public struct CoNLLUToken: Hashable, Sendable {
    /// The surface form (the range line's FORM, or the word's FORM).
    public var form: String
    /// Indices into ``CoNLLUSentence/words`` of the syntactic words making up
    /// the token (a single index for a plain word). Word `i` has ID `i + 1`.
    public var wordIndices: Range<Int>
    /// Whether a space follows the token in the raw text (`SpaceAfter=No` absent).
    public var spaceAfter: Bool { !spacesAfter.isEmpty }
    /// The exact whitespace after the token (see ``CoNLLUEntry/spacesAfter``).
    public var spacesAfter: String
    /// Whether the token is a multiword token (has a range line).
    public var isMultiword: Bool
}

/// One CoNLL-U sentence: its comment lines, syntactic words, multiword token
/// range lines and empty nodes.
///
/// Writing a sentence emits, in the canonical CoNLL-U order: the comments,
/// the empty nodes `0.n`, then for each word any range line starting at it,
/// the word, and its empty nodes. ``CoNLLUReader`` only accepts files in that
/// order, so reading then writing reproduces a file byte for byte.
public struct CoNLLUSentence: Hashable, Sendable {
    /// Comment lines verbatim, including the leading `#` (e.g. `# text = Hi.`).
    public var comments: [String]
    /// Syntactic words; `words[i].id == .word(i + 1)`.
    public var words: [CoNLLUEntry]
    /// Multiword token range lines, in order.
    public var multiwordTokens: [CoNLLUEntry]
    /// Empty nodes (enhanced dependencies), in order.
    public var emptyNodes: [CoNLLUEntry]
    /// Line terminators and blank lines around the sentence in its file.
    public var layout: BlockLayout
    /// Line number of the sentence's first line in its file (0 if built in code).
    public var lineNumber: Int

    /// Creates a sentence.
    public init(
        comments: [String] = [], words: [CoNLLUEntry], multiwordTokens: [CoNLLUEntry] = [],
        emptyNodes: [CoNLLUEntry] = [], layout: BlockLayout = BlockLayout(), lineNumber: Int = 0
    ) {
        self.comments = comments
        self.words = words
        self.multiwordTokens = multiwordTokens
        self.emptyNodes = emptyNodes
        self.layout = layout
        self.lineNumber = lineNumber
    }

    /// The value of the first comment `# key = value` (spaces around `=` optional).
    public func comment(_ key: String) -> String? { commentValue(key, in: comments) }

    /// The `# text =` comment: the sentence's raw text, if given.
    public var text: String? { comment("text") }

    /// The `# sent_id =` comment, if given.
    public var sentenceID: String? { comment("sent_id") }

    /// The surface tokens in order: each multiword token with its words, and
    /// each word outside any multiword token.
    public var tokens: [CoNLLUToken] {
        var result: [CoNLLUToken] = []
        result.reserveCapacity(words.count)
        var ranges = multiwordTokens.makeIterator()
        var nextRange = ranges.next()
        var i = 0
        while i < words.count {
            let id = i + 1
            if let range = nextRange, case .range(let first, let last) = range.id, first == id {
                let end = min(last, words.count)
                result.append(
                    CoNLLUToken(
                        form: range.form, wordIndices: i..<end, spacesAfter: range.spacesAfter,
                        isMultiword: true))
                i = end
                nextRange = ranges.next()
            } else {
                result.append(
                    CoNLLUToken(
                        form: words[i].form, wordIndices: i..<(i + 1),
                        spacesAfter: words[i].spacesAfter, isMultiword: false))
                i += 1
            }
        }
        return result
    }

    /// The raw text rebuilt from the surface tokens and their
    /// ``CoNLLUToken/spacesAfter`` (nothing after the last token).
    /// Equals ``text`` for well-annotated sentences.
    public var reconstructedText: String {
        var result = ""
        let tokens = self.tokens
        for (k, token) in tokens.enumerated() {
            result += token.form
            if k < tokens.count - 1 { result += token.spacesAfter }
        }
        return result
    }

    /// The sentence's lines in canonical order, without terminators.
    public var lines: [String] {
        var result = comments
        result.reserveCapacity(
            comments.count + words.count + multiwordTokens.count + emptyNodes.count)
        var empty = 0
        func emitEmpty(after word: Int) {
            while empty < emptyNodes.count, case .empty(let after, _) = emptyNodes[empty].id,
                after <= word
            {
                result.append(emptyNodes[empty].line)
                empty += 1
            }
        }
        var range = 0
        emitEmpty(after: 0)
        for word in words {
            guard case .word(let n) = word.id else {
                preconditionFailure("CoNLLUSentence.words holds a non-word entry \(word.id)")
            }
            while range < multiwordTokens.count,
                case .range(let first, _) = multiwordTokens[range].id, first <= n
            {
                result.append(multiwordTokens[range].line)
                range += 1
            }
            result.append(word.line)
            emitEmpty(after: n)
        }
        while range < multiwordTokens.count {
            result.append(multiwordTokens[range].line)
            range += 1
        }
        while empty < emptyNodes.count {
            result.append(emptyNodes[empty].line)
            empty += 1
        }
        return result
    }
}

/// Writes CoNLL-U: the inverse of ``CoNLLUReader``.
public enum CoNLLUWriter {
    /// Appends the sentence's lines and layout (terminators, blank lines) to `output`.
    public static func append(_ sentence: CoNLLUSentence, to output: inout [UInt8]) {
        sentence.layout.append(lines: sentence.lines, to: &output)
    }

    /// The sentences as file bytes, with a leading byte order mark if asked.
    public static func bytes<S: Sequence>(_ sentences: S, byteOrderMark: Bool = false) -> [UInt8]
    where S.Element == CoNLLUSentence {
        var output: [UInt8] = byteOrderMark ? [0xEF, 0xBB, 0xBF] : []
        for sentence in sentences { append(sentence, to: &output) }
        return output
    }

    /// The sentences as a string.
    public static func string<S: Sequence>(_ sentences: S) -> String
    where S.Element == CoNLLUSentence {
        String(decoding: bytes(sentences), as: UTF8.self)
    }

    /// Writes the sentences to `writer`, a sentence at a time.
    public static func write<S: Sequence>(
        _ sentences: S, to writer: ByteWriter, byteOrderMark: Bool = false
    ) throws
    where S.Element == CoNLLUSentence {
        if byteOrderMark { try writer.write([0xEF, 0xBB, 0xBF] as [UInt8]) }
        var output: [UInt8] = []
        for sentence in sentences {
            output.removeAll(keepingCapacity: true)
            append(sentence, to: &output)
            try writer.write(output)
        }
    }
}

/// The value of the first comment line `# key = value` of `comments` (spaces around `=`
/// optional): what CoNLL-U and column sentences answer for `comment(_:)`.
func commentValue(_ key: String, in comments: [String]) -> String? {
    for line in comments {
        var rest = line.utf8[...]
        guard rest.first == UInt8(ascii: "#") else { continue }
        rest = rest.dropFirst().drop { $0 == 0x20 }
        guard rest.starts(with: key.utf8) else { continue }
        rest = rest.dropFirst(key.utf8.count).drop { $0 == 0x20 }
        guard rest.first == UInt8(ascii: "=") else { continue }
        rest = rest.dropFirst()
        if rest.first == 0x20 { rest = rest.dropFirst() }
        return String(decoding: rest, as: UTF8.self)
    }
    return nil
}
