import Foundation

/// A labelled stretch of tokens, e.g. a named entity: tokens `range` of a
/// sentence have type `type` (`PER`, `ORG`, …).
public struct Span: Hashable, Sendable, CustomStringConvertible {
    /// Half-open range of token indices (0-based), never empty.
    public var range: Range<Int>
    /// The span's type, without any scheme prefix.
    public var type: String

    /// Creates a span; `range` must not be empty.
    public init(_ range: Range<Int>, type: String) {
        precondition(!range.isEmpty, "a span must cover at least one token, got \(range)")
        self.range = range
        self.type = type
    }

    /// `TYPE[start, end)`, for messages and test failures.
    public var description: String { "\(type)[\(range.lowerBound), \(range.upperBound))" }
}

/// A tag sequence that a scheme rejects.
public enum TagSchemeError: Error, Hashable, Sendable {
    /// A tag that is not `O` or `P-TYPE` with a prefix the scheme allows.
    case invalidTag(index: Int, tag: String, scheme: TagScheme)
    /// A well-formed tag in a place the strict scheme forbids, such as `I-X`
    /// continuing nothing or continuing another type.
    case invalidSequence(index: Int, tag: String, reason: String)

    /// The 0-based index of the offending token.
    public var index: Int {
        switch self {
        case .invalidTag(let index, _, _), .invalidSequence(let index, _, _): return index
        }
    }
}

extension TagSchemeError: LocalizedError {
    /// A one-line description naming the token index.
    public var errorDescription: String? {
        switch self {
        case .invalidTag(let index, let tag, let scheme):
            return
                "token \(index): tag '\(tag)' is not valid in \(scheme.name) (expected O or one of "
                + scheme.prefixes.map { "\($0)-TYPE" }.joined(separator: ", ") + ")"
        case .invalidSequence(let index, let tag, let reason):
            return "token \(index): tag '\(tag)': \(reason)"
        }
    }
}

/// How spans are written as one tag per token.
///
/// - ``iob1``: `I-X` inside a span; `B-X` only on the first token of a span
///   that directly follows another span of type X.
/// - ``iob2``: `B-X` on the first token of every span, `I-X` on the rest.
/// - ``bioes``: `S-X` for single-token spans; otherwise `B-X`, `I-X`…, `E-X`.
///
/// All conversions are pure functions of their arguments.
public enum TagScheme: String, CaseIterable, Hashable, Sendable {
    /// IOB1 (CoNLL-2003 original release).
    case iob1
    /// IOB2, also called BIO.
    case iob2
    /// BIOES, also called BILOU with other letters.
    case bioes

    /// How malformed sequences are decoded.
    public enum Mode: Hashable, Sendable {
        /// Throw ``TagSchemeError/invalidSequence(index:tag:reason:)`` on any
        /// sequence the scheme cannot produce.
        case strict
        /// Like conlleval: a tag that cannot continue the open span starts a
        /// new one (`I-X` after `O`, `E-X` without `B-X`, …); a span left open
        /// ends where the next begins.
        case lenient
    }

    /// The tag outside every span.
    public static let outside = "O"

    /// Display name: `IOB1`, `IOB2`, `BIOES`.
    public var name: String { rawValue.uppercased() }

    /// The prefix letters this scheme uses.
    public var prefixes: [Character] {
        switch self {
        case .iob1, .iob2: return ["B", "I"]
        case .bioes: return ["B", "I", "E", "S"]
        }
    }

    private enum Prefix { case begin, inside, end, single }

    /// Splits `tag` into prefix and type; `nil` prefix for `O`.
    private func parse(_ tag: String, at index: Int) throws -> (Prefix, Substring)? {
        if tag == Self.outside { return nil }
        let utf8 = tag.utf8
        guard utf8.count >= 3, utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "-") else {
            throw TagSchemeError.invalidTag(index: index, tag: tag, scheme: self)
        }
        let prefix: Prefix
        switch utf8.first! {
        case UInt8(ascii: "B"): prefix = .begin
        case UInt8(ascii: "I"): prefix = .inside
        case UInt8(ascii: "E") where self == .bioes: prefix = .end
        case UInt8(ascii: "S") where self == .bioes: prefix = .single
        default: throw TagSchemeError.invalidTag(index: index, tag: tag, scheme: self)
        }
        return (prefix, tag.dropFirst(2))
    }

    /// The spans that `tags` (one per token) encode in this scheme, in order.
    /// - Throws: ``TagSchemeError`` naming the first offending token: always
    ///   for tags the scheme does not have, and in ``Mode/strict`` mode also
    ///   for impossible sequences.
    public func spans(from tags: [String], mode: Mode = .strict) throws -> [Span] {
        var spans: [Span] = []
        var open: (start: Int, type: Substring)?

        func close(at end: Int) {
            if let o = open { spans.append(Span(o.start..<end, type: String(o.type))) }
            open = nil
        }
        func fail(_ i: Int, _ reason: String) -> TagSchemeError {
            .invalidSequence(index: i, tag: tags[i], reason: reason)
        }

        for (i, tag) in tags.enumerated() {
            let parsed = try parse(tag, at: i)
            guard let (prefix, type) = parsed else {
                if mode == .strict, self == .bioes, let o = open {
                    throw fail(
                        i,
                        "span \(o.type) opened at token \(o.start) is not closed with E-\(o.type)")
                }
                close(at: i)
                continue
            }
            switch prefix {
            case .begin:
                if mode == .strict {
                    if self == .bioes, let o = open {
                        throw fail(
                            i,
                            "span \(o.type) opened at token \(o.start) is not closed with E-\(o.type)"
                        )
                    }
                    if self == .iob1, open?.type != type {
                        throw fail(
                            i,
                            "in IOB1, B-\(type) may only follow a \(type) span (use I-\(type) to start one)"
                        )
                    }
                }
                close(at: i)
                open = (i, type)
            case .inside, .end:
                if let o = open, o.type == type {
                    // Continues the open span.
                } else {
                    if mode == .strict && self != .iob1 {
                        if let o = open {
                            throw fail(
                                i,
                                "continues span of another type (\(o.type), opened at token \(o.start))"
                            )
                        }
                        throw fail(i, "continues no span (expected B-\(type) first)")
                    }
                    close(at: i)
                    open = (i, type)
                }
                if prefix == .end { close(at: i + 1) }
            case .single:
                if mode == .strict, let o = open {
                    throw fail(
                        i,
                        "span \(o.type) opened at token \(o.start) is not closed with E-\(o.type)")
                }
                close(at: i)
                spans.append(Span(i..<(i + 1), type: String(type)))
            }
        }
        if mode == .strict, self == .bioes, let o = open {
            throw TagSchemeError.invalidSequence(
                index: tags.count - 1, tag: tags[tags.count - 1],
                reason:
                    "span \(o.type) opened at token \(o.start) is not closed with E-\(o.type) before the end"
            )
        }
        close(at: tags.count)
        return spans
    }

    /// The tags (one per token, `count` tokens) that encode `spans` in this
    /// scheme; tokens outside every span get `O`.
    ///
    /// `spans` must lie within `0..<count` and must not overlap (a
    /// precondition: spans come from code, not from users); order does not matter.
    public func tags(for spans: [Span], count: Int) -> [String] {
        var tags = [String](repeating: Self.outside, count: count)
        let sorted = spans.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var previousEnd = 0
        var previousType: String?
        for span in sorted {
            precondition(
                span.range.lowerBound >= previousEnd && span.range.upperBound <= count,
                "span \(span) overlaps another span or lies outside 0..<\(count)")
            let r = span.range
            let adjacentSameType = previousType == span.type && previousEnd == r.lowerBound
            switch self {
            case .iob1:
                tags[r.lowerBound] = (adjacentSameType ? "B-" : "I-") + span.type
                for i in r.dropFirst() { tags[i] = "I-" + span.type }
            case .iob2:
                tags[r.lowerBound] = "B-" + span.type
                for i in r.dropFirst() { tags[i] = "I-" + span.type }
            case .bioes:
                if r.count == 1 {
                    tags[r.lowerBound] = "S-" + span.type
                } else {
                    tags[r.lowerBound] = "B-" + span.type
                    for i in (r.lowerBound + 1)..<(r.upperBound - 1) { tags[i] = "I-" + span.type }
                    tags[r.upperBound - 1] = "E-" + span.type
                }
            }
            previousEnd = r.upperBound
            previousType = span.type
        }
        return tags
    }

    /// Re-encodes `tags` from this scheme into `target`.
    /// - Throws: ``TagSchemeError`` as ``spans(from:mode:)`` does.
    public func convert(_ tags: [String], to target: TagScheme, mode: Mode = .strict) throws
        -> [String]
    {
        target.tags(for: try spans(from: tags, mode: mode), count: tags.count)
    }

    /// Checks that `tags` is a sequence this scheme can produce.
    /// - Throws: the first ``TagSchemeError`` found.
    public func validate(_ tags: [String]) throws {
        _ = try spans(from: tags, mode: .strict)
    }
}
