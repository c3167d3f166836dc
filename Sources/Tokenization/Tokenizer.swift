import Text
/// A rule-based tokenizer for English following the conventions of UD English EWT, with
/// exceptions learned from a treebank (``TokenizerLexicon``).
///
/// It works on the UTF-8 bytes of the text, one white-space-delimited chunk at a time,
/// with table lookups for the class of each scalar; it allocates no string per character.
/// Token ranges are in Unicode scalars (see ``Token``), so they stay aligned with the
/// original text whatever its normalisation; lookups use the NFC form.
public struct Tokenizer: Sendable {
    /// The learned data the rules consult.
    public let lexicon: TokenizerLexicon
    /// Chunks longer than this many scalars are cut into pieces first, so that memory stays
    /// bounded on pathological input (a 10 MB line without spaces).
    public static let maximumChunkLength = 4096

    let emoticonStarts: Set<UInt32>
    let asciiEmoticonStarts: [Bool]
    /// (length, first scalar) of every chunk exception, to skip most lookups without a string.
    let exceptionSignatures: Set<UInt64>
    /// (length, ASCII-lowercased first scalar) of every multiword entry.
    let multiwordSignatures: Set<UInt64>
    let foldedAbbreviations: Set<String>

    /// Whether `word` (with its final period) is a learned abbreviation, as written or case-folded.
    func isAbbreviation(_ word: String) -> Bool {
        lexicon.abbreviations.contains(word)
            || foldedAbbreviations.contains(UnicodeText.caseFold(word))
    }
    let longestEmoticon: Int
    let longestException: Int
    let longestMultiword: Int

    /// A tokenizer using `lexicon`.
    public init(lexicon: TokenizerLexicon) {
        self.lexicon = lexicon
        exceptionSignatures = Set(lexicon.chunkExceptions.keys.map(Self.signature(of:)))
        multiwordSignatures = Set(lexicon.multiwords.keys.map(Self.signature(of:)))
        foldedAbbreviations = Set(lexicon.abbreviations.map(UnicodeText.caseFold))
        asciiEmoticonStarts = (0..<128).map { c in
            lexicon.emoticons.contains { $0.unicodeScalars.first?.value == UInt32(c) }
        }
        emoticonStarts = Set(lexicon.emoticons.compactMap { $0.unicodeScalars.first?.value })
        longestEmoticon = lexicon.emoticons.map { $0.unicodeScalars.count }.max() ?? 0
        longestException = lexicon.chunkExceptions.keys.map { $0.unicodeScalars.count }.max() ?? 0
        longestMultiword = lexicon.multiwords.keys.map { $0.unicodeScalars.count }.max() ?? 0
    }

    @inline(__always) static func signature(_ length: Int, _ first: UInt32, _ last: UInt32)
        -> UInt64
    {
        @inline(__always) func lower(_ v: UInt32) -> UInt64 {
            UInt64(v >= 65 && v <= 90 ? v | 0x20 : v)
        }
        return UInt64(length) << 42 | lower(first) << 21 | lower(last)
    }

    static func signature(of key: String) -> UInt64 {
        let scalars = key.unicodeScalars
        return signature(scalars.count, scalars.first!.value, scalars.last!.value)
    }

    /// The English tokenizer with the lexicon shipped in this module (learned from the UD
    /// English EWT train split by `tagger train --task tokenize`).
    public static let english: Tokenizer = {
        do {
            return Tokenizer(lexicon: try TokenizerLexicon.bundledEnglish())
        } catch {
            preconditionFailure("the Text module's bundled tokenizer lexicon is broken: \(error)")
        }
    }()

    /// The tokens of `text` in order, with ranges relative to its start.
    public func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        forEachToken(in: text) { tokens.append($0) }
        return tokens
    }

    /// The syntactic words of `text` in order (a multiword token gives its words): what
    /// the models of a pipeline read when `text` is one sentence.
    public func words(_ text: String) -> [String] {
        document(text, sentences: .whole).tokens.flatMap(\.syntacticWords)
    }

    /// Calls `body` with each token of `text` in order, without collecting them.
    public func forEachToken(in text: String, _ body: (Token) throws -> Void) rethrows {
        var copy = text
        // A token that may be a contraction written without its apostrophe (`its a`,
        // `your not`) waits for the next one, which decides it.
        var pending: Token? = nil
        try copy.withUTF8 { bytes in
            var scanner = ChunkScanner(tokenizer: self)
            try scanner.run(bytes) { token in
                if let previous = pending {
                    pending = nil
                    try body(Self.resolvingContraction(previous, next: token))
                }
                if Self.mayBeContraction(token) {
                    pending = token
                } else {
                    try body(token)
                }
            }
        }
        if let last = pending { try body(Self.resolvingContraction(last, next: nil)) }
    }

    /// Contractions written without their apostrophe that are also words: the case-folded
    /// form and the scalar offset of the second word (`its` is `it` `s` when it stands for
    /// "it's", `your` is `you` `r` for "you're").
    static let ambiguousContractions: [String: Int] = ["its": 2, "your": 3]

    /// Words that follow "it's" or "you're" but not the possessive `its` or `your`, which a
    /// noun or an adjective follows: articles and possessives, negation, adverbs of degree
    /// and stance, prepositions, and the participles of the progressive and the perfect.
    static let contractionCues: Set<String> = [
        "a", "an", "the", "this", "these", "those", "my", "his", "her", "our", "their", "your",
        "its", "not", "never", "no", "always", "just", "also", "still", "even",
        "really", "very", "so", "too", "pretty", "quite", "simply", "definitely", "probably",
        "actually", "totally", "truly", "certainly", "obviously", "already", "almost", "like",
        "about", "in", "on", "at", "for", "from", "with", "between", "into", "over", "under",
        "by", "of", "going", "gonna", "getting", "being", "been", "doing", "now", "here",
        "there",
    ]

    /// Whether `token` could be an ``ambiguousContractions`` form that the next token
    /// decides: a single word of 3 or 4 bytes starting with `i` or `y`, white space after it
    /// (checked without making a string).
    @inline(__always) static func mayBeContraction(_ token: Token) -> Bool {
        let utf8 = token.text.utf8
        guard utf8.count == 3 || utf8.count == 4, let first = utf8.first else { return false }
        return (first | 0x20 == 0x69 || first | 0x20 == 0x79) && token.spaceAfter
            && token.words.isEmpty
    }

    /// `token` as two words when it is an ambiguous contraction (``ambiguousContractions``)
    /// followed by white space and a ``contractionCues`` word; otherwise unchanged (a chunk
    /// exception of the lexicon may have split it already, as `Its` at a sentence start).
    static func resolvingContraction(_ token: Token, next: Token?) -> Token {
        guard mayBeContraction(token), let next,
            let offset = ambiguousContractions[token.text.lowercased()],
            contractionCues.contains(next.text.lowercased())
        else { return token }
        var resolved = token
        let scalars = token.text.unicodeScalars
        let cut = scalars.index(scalars.startIndex, offsetBy: offset)
        resolved.words = [String(scalars[..<cut]), String(scalars[cut...])]
        return resolved
    }

    /// The sentences of `tokens` with the period of an abbreviation that ends a sentence
    /// made a token of its own (`… in the U.S.` → `U.S` `.`), as UD English writes a
    /// sentence-final period that an abbreviation absorbs; the ranges of `sentences` move
    /// with the tokens they cover.
    public static func separatingFinalPeriods(_ tokens: [Token], sentences: [Range<Int>]) -> (
        tokens: [Token], sentences: [Range<Int>]
    ) {
        guard
            sentences.contains(where: {
                !$0.isEmpty && endsWithAbbreviationPeriod(tokens[$0.upperBound - 1])
            })
        else { return (tokens, sentences) }
        var outTokens: [Token] = []
        var outSentences: [Range<Int>] = []
        outTokens.reserveCapacity(tokens.count + sentences.count)
        for range in sentences {
            let start = outTokens.count
            guard !range.isEmpty else {
                outSentences.append(start..<start)
                continue
            }
            outTokens.append(contentsOf: tokens[range.dropLast()])
            let last = tokens[range.upperBound - 1]
            if endsWithAbbreviationPeriod(last) {
                var scalars = last.text.unicodeScalars
                scalars.removeLast()
                outTokens.append(
                    Token(
                        text: String(scalars), scalarRange: last.scalarRange.dropLast(),
                        utf8Range: last.utf8Range.dropLast(), spaceAfter: false))
                outTokens.append(
                    Token(
                        text: ".", scalarRange: last.scalarRange.upperBound - 1..<last.scalarRange.upperBound,
                        utf8Range: last.utf8Range.upperBound - 1..<last.utf8Range.upperBound,
                        spaceAfter: last.spaceAfter))
            } else {
                outTokens.append(last)
            }
            outSentences.append(start..<outTokens.count)
        }
        return (outTokens, outSentences)
    }

    /// Whether `token` is a single word of letters (and periods) ending with a period after
    /// a letter: an abbreviation or initial (`etc.`, `U.S.`, `K.`).
    static func endsWithAbbreviationPeriod(_ token: Token) -> Bool {
        guard token.words.isEmpty else { return false }
        let scalars = token.text.unicodeScalars
        guard scalars.count >= 2, scalars.last == "." else { return false }
        let before = scalars[scalars.index(scalars.endIndex, offsetBy: -2)]
        return ScalarClass.of(before.value).isLetter
    }
}

@inline(__always)
func decodeScalar(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
    let b0 = UInt32(b[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(b[i + 1]) & 0x3F, 2) }
    if b0 < 0xF0 {
        return ((b0 & 0x0F) << 12 | (UInt32(b[i + 1]) & 0x3F) << 6 | UInt32(b[i + 2]) & 0x3F, 3)
    }
    return (
        (b0 & 0x07) << 18 | (UInt32(b[i + 1]) & 0x3F) << 12 | (UInt32(b[i + 2]) & 0x3F) << 6
            | UInt32(b[i + 3]) & 0x3F, 4
    )
}

/// ' ’ `
@inline(__always) private func isApostrophe(_ v: UInt32) -> Bool {
    v == 0x27 || v == 0x2019 || v == 0x60
}
/// . ! ? …
@inline(__always) private func isSentenceFinal(_ v: UInt32) -> Bool {
    v == 0x2E || v == 0x21 || v == 0x3F || v == 0x2026
}
private let clitics: Set<String> = ["'s", "'m", "'re", "'ve", "'ll", "'d"]
private let fileAndDomainSuffixes: Set<String> = [
    "com", "org", "net", "gov", "edu", "mil", "info", "biz", "uk", "ca", "au", "de", "nz", "us",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "txt", "htm", "html", "url", "jpg", "jpeg",
    "gif",
    "png", "zip", "exe", "mp3", "wav", "avi", "mpg", "csv", "dat",
]

/// One segment of a chunk: scalar offsets within the chunk and, for a multiword token,
/// the offsets (from the segment's start) where its second, third… words start.
struct Segment {
    var start: Int
    var end: Int
    var breaks: [Int] = []
}

/// The per-call state of the tokenizer: buffers for the current chunk, reused across chunks.
struct ChunkScanner {
    let tokenizer: Tokenizer
    var cp: [UInt32] = []
    var cl: [ScalarClass] = []
    var bo: [Int] = []  // byte offset of each scalar in the text, plus the end
    var segments: [Segment] = []
    var hasAt = false
    var hasApostrophe = false
    var isASCII = true
    var bytes: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)

    init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        cp.reserveCapacity(256)
        cl.reserveCapacity(256)
        bo.reserveCapacity(257)
    }

    var n: Int { cp.count }

    mutating func run(_ text: UnsafeBufferPointer<UInt8>, _ body: (Token) throws -> Void) rethrows {
        bytes = text
        let count = text.count
        var i = 0
        var scalarIndex = 0
        while i < count {
            let (v, len) = decodeScalar(text, i)
            if ScalarClass.of(v) == .space {
                i += len
                scalarIndex += 1
                continue
            }
            cp.removeAll(keepingCapacity: true)
            cl.removeAll(keepingCapacity: true)
            bo.removeAll(keepingCapacity: true)
            hasAt = false
            hasApostrophe = false
            isASCII = true
            var j = i
            while j < count {
                let (w, l) = decodeScalar(text, j)
                let c = ScalarClass.of(w)
                if c == .space { break }
                if cp.count >= Tokenizer.maximumChunkLength && c != .mark
                    && !(cl.last?.isAlphanumeric ?? false && c.isAlphanumeric
                        && cp.count < 2 * Tokenizer.maximumChunkLength)
                {
                    break
                }
                if w == 0x40 { hasAt = true }
                if isApostrophe(w) { hasApostrophe = true }
                if w >= 0x80 { isASCII = false }
                cp.append(w)
                cl.append(c)
                bo.append(j)
                j += l
            }
            bo.append(j)
            let spaceFollows = j >= count || ScalarClass.of(decodeScalar(text, j).0) == .space
            segmentChunk()
            for (k, s) in segments.enumerated() {
                let a = bo[s.start]
                let b = bo[s.end]
                var words: [String] = []
                if !s.breaks.isEmpty {
                    var from = s.start
                    for br in s.breaks + [s.end - s.start] {
                        words.append(string(bo[from], bo[s.start + br]))
                        from = s.start + br
                    }
                }
                let token = Token(
                    text: string(a, b),
                    scalarRange: (scalarIndex + s.start)..<(scalarIndex + s.end), utf8Range: a..<b,
                    words: words, spaceAfter: k == segments.count - 1 ? spaceFollows : false)
                try body(token)
            }
            scalarIndex += cp.count
            i = j
        }
    }

    @inline(__always) func string(_ a: Int, _ b: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self)
    }

    /// The NFC string of scalars `a..<b` of the chunk.
    func key(_ a: Int, _ b: Int) -> String {
        let s = string(bo[a], bo[b])
        return isASCII ? s : UnicodeText.nfc(s)
    }

    func lowerKey(_ a: Int, _ b: Int) -> String {
        guard isASCII else { return UnicodeText.caseFold(string(bo[a], bo[b])) }
        let from = bo[a]
        let count = bo[b] - from
        return String(unsafeUninitializedCapacity: count) { buffer in
            for k in 0..<count {
                let byte = bytes[from + k]
                buffer[k] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            }
            return count
        }
    }

    mutating func segmentChunk() {
        segments.removeAll(keepingCapacity: true)
        if n <= tokenizer.longestException
            && (!isASCII
                || tokenizer.exceptionSignatures.contains(Tokenizer.signature(n, cp[0], cp[n - 1])))
        {
            let k = key(0, n)
            if let exception = tokenizer.lexicon.chunkExceptions[k], exception.length == n {
                var p = 0
                for lengths in exception.tokens {
                    let total = lengths.reduce(0, +)
                    var breaks: [Int] = []
                    if lengths.count > 1 {
                        var acc = 0
                        for l in lengths.dropLast() {
                            acc += l
                            breaks.append(acc)
                        }
                    }
                    segments.append(Segment(start: p, end: p + total, breaks: breaks))
                    p += total
                }
                return
            }
        }
        var p = 0
        while p < n {
            var segment = scanToken(p)
            precondition(
                segment.end > p, "tokenizer made no progress at scalar \(p) of a chunk of \(n)")
            segment.end = extend(segment.end)
            segments.append(segment)
            p = segment.end
        }
    }

    /// Moves `end` past combining marks and joiners so that a token never splits a character.
    func extend(_ end: Int) -> Int {
        var e = end
        while e < n {
            if cl[e] == .mark {
                e += 1
            } else if cp[e - 1] == 0x200D {
                e += 1  // the scalar after a zero-width joiner
            } else {
                break
            }
        }
        return e
    }

    @inline(__always) func isAlnum(_ i: Int) -> Bool { i >= 0 && i < n && cl[i].isAlphanumeric }
    @inline(__always) func isLetter(_ i: Int) -> Bool { i >= 0 && i < n && cl[i].isLetter }
    @inline(__always) func isDigit(_ i: Int) -> Bool { i >= 0 && i < n && cl[i] == .digit }
    @inline(__always) func at(_ i: Int) -> UInt32 { i >= 0 && i < n ? cp[i] : 0 }

    func scanToken(_ p: Int) -> Segment {
        let prevAlnum = isAlnum(p - 1)
        if !prevAlnum {
            if let e = matchURL(p) { return Segment(start: p, end: e) }
            if hasAt, let e = matchEmail(p) { return Segment(start: p, end: e) }
        }
        if cl[p].isAlphanumeric { return scanWord(p) }
        let c = cp[p]
        // @handle, #hashtag; `#` before a number is the number sign (`# 1`)
        if (c == 0x40 || c == 0x23) && !prevAlnum && (isAlnum(p + 1) || at(p + 1) == 0x5F) {
            var e = p + 1
            var digits = true
            while e < n && (cl[e].isAlphanumeric || cp[e] == 0x5F) {
                if cl[e] != .digit { digits = false }
                e += 1
            }
            if !(c == 0x23 && digits) { return Segment(start: p, end: e) }
        }
        if !prevAlnum, let e = matchSignedNumber(p) { return Segment(start: p, end: e) }
        if c < 128 ? tokenizer.asciiEmoticonStarts[Int(c)] : tokenizer.emoticonStarts.contains(c),
            let e = matchEmoticon(p)
        {
            return Segment(start: p, end: e)
        }
        if c == 0x2E && !prevAlnum && isLetter(p + 1) {  // .doc
            var r = p + 1
            while r < n && cl[r].isAlphanumeric { r += 1 }
            if r - p - 1 <= 4 && !isAlnum(r) && fileAndDomainSuffixes.contains(lowerKey(p + 1, r)) {
                return Segment(start: p, end: r)
            }
        }
        if cl[p] == .emoji {  // one pictograph, or the two regional indicators of a flag
            let flag: ClosedRange<UInt32> = 0x1F1E6...0x1F1FF
            return Segment(
                start: p, end: flag.contains(c) && flag.contains(at(p + 1)) ? p + 2 : p + 1)
        }
        if isSentenceFinal(c) {
            var e = p + 1
            while e < n && isSentenceFinal(cp[e]) { e += 1 }
            // An ellipsis before a question or exclamation mark is a token of its own (`... ?`).
            var periods = p
            while periods < e && cp[periods] == 0x2E { periods += 1 }
            if periods - p >= 3 && periods < e && (cp[periods] == 0x3F || cp[periods] == 0x21) {
                return Segment(start: p, end: periods)
            }
            return Segment(start: p, end: e)
        }
        if isRuleCharacter(c) {  // ----==, =---, ->, <--, -_-, *~*~*
            var e = p
            var mixed = false
            var line = false
            while e < n && isRuleCharacter(cp[e]) {
                if cp[e] != c { mixed = true }
                if cp[e] == 0x2D || cp[e] == 0x3D || cp[e] == 0x7E { line = true }
                e += 1
            }
            if mixed && line { return Segment(start: p, end: e) }
        }
        var e = p + 1
        while e < n && cp[e] == c { e += 1 }
        return Segment(start: p, end: e)
    }

    /// - = ~ * _ < >: the characters of rules, arrows and frames drawn in plain text (a
    /// run of several of them, one of them - = or ~, is one token).
    @inline(__always) func isRuleCharacter(_ v: UInt32) -> Bool {
        v == 0x2D || v == 0x3D || v == 0x7E || v == 0x2A || v == 0x5F || v == 0x3C || v == 0x3E
    }

    /// The end of a number that starts with its sign or mark at `p`, not after a letter or
    /// digit: a decimal fraction without its zero (`.15`), a country calling code (`+44`)
    /// or a two-digit year with its apostrophe (`'72`, `’60s`); nil for anything else.
    func matchSignedNumber(_ p: Int) -> Int? {
        let c = cp[p]
        guard c == 0x2E || c == 0x2B || c == 0x27 || c == 0x2019, isDigit(p + 1) else {
            return nil
        }
        var e = p + 1
        while e < n && cl[e] == .digit { e += 1 }
        let digits = e - p - 1
        switch c {
        case 0x2E:
            return isAlnum(e) || at(e) == 0x2E ? nil : e
        case 0x2B:
            return digits <= 3 && !isAlnum(e) ? e : nil
        default:
            guard digits == 2 else { return nil }
            if at(e) == 0x73 && !isAlnum(e + 1) { return e + 1 }  // '60s
            return isAlnum(e) ? nil : e
        }
    }

    func matchesASCII(_ p: Int, _ pattern: StaticString) -> Bool {
        let count = pattern.utf8CodeUnitCount
        guard p + count <= n else { return false }
        let base = pattern.utf8Start
        for k in 0..<count {
            var v = cp[p + k]
            if v >= 65 && v <= 90 { v |= 0x20 }
            if v != UInt32(base[k]) { return false }
        }
        return true
    }

    func matchURL(_ p: Int) -> Int? {
        let c = cp[p] | 0x20
        guard c == 0x68 || c == 0x77 || c == 0x66 || c == 0x6D else { return nil }  // h w f m
        guard
            matchesASCII(p, "http://") || matchesASCII(p, "https://") || matchesASCII(p, "www.")
                || matchesASCII(p, "ftp://") || matchesASCII(p, "mailto:")
        else { return nil }
        return trimTrailing(from: p, to: n)
    }

    /// Drops closing punctuation that ends a URL or address but belongs to the sentence.
    func trimTrailing(from p: Int, to end: Int) -> Int {
        var e = end
        var opens = 0
        var closes = 0
        for k in p..<e {
            if cp[k] == 0x28 { opens += 1 } else if cp[k] == 0x29 { closes += 1 }
        }
        while e > p + 1 {
            let v = cp[e - 1]
            if v == 0x29 && closes > opens {
                closes -= 1
                e -= 1
            } else if [0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x22, 0x27, 0x5D, 0x3E, 0x201D, 0x2019]
                .contains(v)
            {
                e -= 1
            } else {
                break
            }
        }
        return e
    }

    func matchEmail(_ p: Int) -> Int? {
        guard cl[p].isAlphanumeric else { return nil }
        var e = p
        func isLocal(_ v: UInt32, _ c: ScalarClass) -> Bool {
            c.isAlphanumeric || v == 0x2E || v == 0x5F || v == 0x25 || v == 0x2B || v == 0x2D
        }
        while e < n && isLocal(cp[e], cl[e]) { e += 1 }
        guard e < n, cp[e] == 0x40, e > p else { return nil }
        e += 1
        let domainStart = e
        var dots = 0
        while e < n && (cl[e].isAlphanumeric || cp[e] == 0x2E || cp[e] == 0x2D || cp[e] == 0x5F) {
            if cp[e] == 0x2E { dots += 1 }
            e += 1
        }
        while e > domainStart && !cl[e - 1].isAlphanumeric { e -= 1 }
        guard e > domainStart, dots > 0 else { return nil }
        return e
    }

    func matchEmoticon(_ p: Int) -> Int? {
        var length = min(tokenizer.longestEmoticon, n - p)
        while length >= 2 {
            let e = p + length
            if !isAlnum(e) || !cl[e - 1].isAlphanumeric {
                if tokenizer.lexicon.emoticons.contains(key(p, e)) { return e }
            }
            length -= 1
        }
        return nil
    }

    /// A run of letters and digits with the joiners EWT keeps inside a token, then the
    /// abbreviation period, the plural possessive apostrophe and the clitic split.
    func scanWord(_ p: Int) -> Segment {
        var e = p
        var partStart = p
        var dotted = false
        var sawLetter = false
        while true {
            while e < n && cl[e].isAlphanumeric {
                if cl[e].isLetter && e > p && isDigit(e - 1) && !sawLetter && !ordinalSuffix(e)
                    && !codeLetter(e)
                {
                    return Segment(start: p, end: e)
                }
                if cl[e].isLetter { sawLetter = true }
                e += 1
            }
            if e >= n { break }
            let v = cp[e]
            if isApostrophe(v) && isLetter(e + 1) && v != 0x60 {
                e += 1
                continue
            }
            if v == 0x2A && isLetter(e - 1) {  // sh*t, f*ck, b****
                var r = e
                while r < n && cp[r] == 0x2A { r += 1 }
                if isLetter(r) {
                    e = r
                    continue
                }
                if r - e >= 2 && e - p == 1 && !isAlnum(r) {
                    e = r
                    break
                }
            }
            if v == 0x2E && isAlnum(e + 1) {
                // 1.5, alt.animals.cats
                if isDigit(e - 1) && isDigit(e + 1) || isLower(e - 1) && isLower(e + 1) {
                    e += 1
                    continue
                }
                if e - partStart == 1 && cl[partStart].isLetter && isLetter(e + 1)
                    && !isAlnum(e + 2)
                {
                    dotted = true
                    e += 1
                    partStart = e
                    continue
                }
                var r = e + 1
                while r < n && cl[r].isAlphanumeric { r += 1 }
                if r - e - 1 <= 5 && !isAlnum(r) && (r >= n || cp[r] != 0x2E || !isAlnum(r + 1))
                    && fileAndDomainSuffixes.contains(lowerKey(e + 1, r))
                {
                    e = r
                    continue
                }
                break
            }
            if v == 0x2E && isLower(e - 1) && isLower(e + 1) {  // alt.animals.cats, carol.st.clair
                e += 1
                continue
            }
            if v == 0x40 && isAlnum(e + 1) && isAlnum(e - 1) {  // Warner@ENRON
                e += 1
                continue
            }
            if v == 0x2F && isDigit(e - 1) && isDigit(e + 1) {  // 08/16/2000, 713/853-3242
                // A fraction of single digits is three tokens (`3 / 4`).
                if !isAlnum(e - 2) && !isAlnum(e + 2) && at(e + 2) != 0x2F && at(e - 2) != 0x2F {
                    break
                }
                e += 1
                partStart = e
                continue
            }
            if v == 0x2F && e - p == 1 && isLetter(p) {  // b/c, w/, w/o, l/c
                var r = e + 1
                while r < n && cl[r].isLetter { r += 1 }
                if r - e - 1 <= 3 && !isAlnum(r) && at(r) != 0x2F {
                    e = r
                    continue
                }
            }
            // 713-853-3242
            if v == 0x2D && isDigit(e - 1) && isDigit(e + 1) && isPhoneHyphen(partStart, e) {
                e += 1
                partStart = e
                continue
            }
            if v == 0x2D && isDigit(e - 1) && isDigit(e + 1), let end = dateEnd(partStart, e) {
                e = end
                partStart = e
                continue
            }
            if (v == 0x2C || v == 0x3A) && isDigit(e - 1) && isDigit(e + 1) {
                e += 1
                continue
            }
            if v == 0x26 && at(e - 1) >= 65 && at(e - 1) <= 90 && at(e + 1) >= 65 && at(e + 1) <= 90
            {
                e += 1
                continue
            }
            if v == 0x5F && isAlnum(e + 1) {
                e += 1
                continue
            }
            // e-mail, co-op; mid-2004 and pre-1990 after a prefix of three letters or more
            if v == 0x2D && isLetter(e - 1) && e - partStart <= 8
                && (isLetter(e + 1) || isDigit(e + 1) && e - partStart >= 3)
                && tokenizer.lexicon.hyphenPrefixes.contains(lowerKey(partStart, e))
            {
                e += 1
                partStart = e
                continue
            }
            break
        }
        // The abbreviation period, unless it starts an ellipsis (`3G...`).
        if e < n && cp[e] == 0x2E && !(at(e + 1) == 0x2E && at(e + 2) == 0x2E) {
            if dotted || (e - p == 1 && cl[p] == .upper) || tokenizer.isAbbreviation(key(p, e + 1))
            {
                return Segment(start: p, end: e + 1)
            }
        }
        // The plural possessive apostrophe (`parents'`) as a multiword token.
        if e < n && (cp[e] == 0x27 || cp[e] == 0x2019) && (at(e - 1) | 0x20) == 0x73
            && !isLetter(e + 1)
            && !startsWithQuote(before: p)
        {
            return Segment(start: p, end: e + 1, breaks: [e - p])
        }
        return Segment(start: p, end: e, breaks: cliticBreaks(p, e))
    }

    @inline(__always) func isLower(_ i: Int) -> Bool { i >= 0 && i < n && cl[i] == .lower }

    /// Whether letters at `i` after a digit are a suffix EWT keeps on the number (`5th`, `1980s`).
    func ordinalSuffix(_ i: Int) -> Bool {
        var r = i
        while r < n && cl[r].isLetter { r += 1 }
        if isAlnum(r) || r - i > 2 { return false }
        let a = cp[i] | 0x20
        let b = r - i == 2 ? cp[i + 1] | 0x20 : 0
        switch (a, b) {
        // s th st nd rd
        case (0x73, 0), (0x74, 0x68), (0x73, 0x74), (0x6E, 0x64), (0x72, 0x64): return true
        default: return false
        }
    }

    /// Whether the hyphen at `e`, after the digits from `partStart`, is inside a phone number
    /// or ZIP code (`555-1234`, `713-853-3242`, `1-800-…`, `77002-7361`).
    func isPhoneHyphen(_ partStart: Int, _ e: Int) -> Bool {
        let before = e - partStart
        var r = e + 1
        while r < n && cl[r] == .digit { r += 1 }
        let after = r - e - 1
        if isAlnum(r) { return false }
        let continues = at(r) == 0x2D && isDigit(r + 1)
        switch (before, after) {
        case (3, 4), (5, 4), (1, 4): return !continues  // 555-1234, 77002-7361, 3-5213
        case (3, 3), (1, 3): return continues
        default: return false
        }
    }

    /// Whether the letter at `i` after digits is a model or code letter kept on the number
    /// (`3G`, `17H`, `1Q`): one capital letter, not the unit letters `K`, `C` and `F`.
    func codeLetter(_ i: Int) -> Bool {
        cl[i] == .upper && !isAlnum(i + 1) && cp[i] != 0x4B && cp[i] != 0x43 && cp[i] != 0x46
    }

    /// The end of a date written with hyphens (`11-20-2000`, `02-05-02`) whose first hyphen
    /// is at `e` after the digits from `partStart`; nil when it is not one.
    func dateEnd(_ partStart: Int, _ e: Int) -> Int? {
        guard (1...2).contains(e - partStart), !isAlnum(partStart - 1) else { return nil }
        var r = e + 1
        while r < n && cl[r] == .digit { r += 1 }
        guard (1...2).contains(r - e - 1), at(r) == 0x2D, isDigit(r + 1) else { return nil }
        let yearStart = r + 1
        r = yearStart
        while r < n && cl[r] == .digit { r += 1 }
        guard r - yearStart == 2 || r - yearStart == 4, !isAlnum(r),
            !(at(r) == 0x2D && isDigit(r + 1))
        else { return nil }
        return r
    }

    func startsWithQuote(before p: Int) -> Bool {
        var k = 0
        while k < p {
            if cp[k] == 0x27 || cp[k] == 0x2018 || cp[k] == 0x2019 || cp[k] == 0x60 { return true }
            k += 1
        }
        return false
    }

    /// Word starts inside a word: learned multiword tokens first, then English clitics.
    func cliticBreaks(_ p: Int, _ e: Int) -> [Int] {
        let length = e - p
        guard length >= 2 else { return [] }
        if length <= tokenizer.longestMultiword
            && (cp[p] >= 0x80
                || tokenizer.multiwordSignatures.contains(
                    Tokenizer.signature(length, cp[p], cp[e - 1])))
        {
            let folded = lowerKey(p, e)
            if let breaks = tokenizer.lexicon.multiwords[folded],
                folded.unicodeScalars.count == length
            {
                return breaks
            }
        }
        guard hasApostrophe else { return [] }
        var a = e - 1
        while a > p && !isApostrophe(cp[a]) { a -= 1 }
        guard a > p, e - a <= 3 else { return [] }
        var suffix = "'"
        for k in (a + 1)..<e {
            var v = cp[k]
            if v >= 65 && v <= 90 { v |= 0x20 }
            suffix.unicodeScalars.append(Unicode.Scalar(v) ?? "?")
        }
        if suffix == "'t" {
            if (cp[a - 1] | 0x20) == 0x6E && a - 1 > p { return [a - 1 - p] }
            return []
        }
        return clitics.contains(suffix) ? [a - p] : []
    }
}
