import Corpora
import Foundation
import Text

/// Learns a ``TokenizerLexicon`` from a treebank's training split: abbreviations,
/// hyphenated prefixes, emoticons and multiword tokens by majority vote over the gold
/// tokens, then whole-chunk exceptions where the rules disagree with most gold
/// occurrences, then the sentence-boundary perceptron on running text.
/// Deterministic: the same file and options give the same lexicon.
public struct TokenizerTrainer: Sendable {
    /// A chunk exception is kept when its gold segmentation was seen at least this often.
    public var minimumExceptionCount = 2
    /// Passes of the sentence-boundary perceptron over the training documents.
    public var boundaryEpochs = 6
    /// The largest number of boundary features kept (those with the largest weights).
    public var maximumBoundaryFeatures = 10000
    /// Abbreviations known before training, kept unless the treebank splits their period off
    /// inside a sentence more often than it keeps it (by default ``englishTitles``).
    public var seedAbbreviations: Set<String> = Self.englishTitles

    /// Prefixes known before training that keep a following hyphen and word attached,
    /// unless the treebank splits them more often than it keeps them (by default
    /// ``englishBoundPrefixes``).
    public var seedHyphenPrefixes: Set<String> = Self.englishBoundPrefixes

    /// English prefixes that are not words of their own (`mis-`, `pseudo-`, `ultra-`), which
    /// UD English writes attached to the word after the hyphen as it does the frequent ones
    /// it learns (`non-`, `pre-`, `anti-`).
    public static let englishBoundPrefixes: Set<String> = [
        "anti", "bi", "co", "de", "ex", "extra", "hyper", "inter", "intra", "macro", "micro",
        "mid", "mini", "mis", "multi", "neo", "non", "post", "pre", "pro", "pseudo", "re",
        "semi", "socio", "sub", "super", "trans", "tri", "ultra",
    ]

    /// English titles and honorifics written before a name, which therefore never end a
    /// sentence: their period always belongs to the word.
    public static let englishTitles: Set<String> = [
        "Adm.", "Capt.", "Cmdr.", "Col.", "Cpl.", "Dr.", "Drs.", "Gen.", "Gov.", "Hon.", "Lt.",
        "Maj.", "Messrs.", "Mr.", "Mrs.", "Ms.", "Pres.", "Prof.", "Pvt.", "Rep.", "Reps.",
        "Rev.", "Sen.", "Sgt.", "Sts.", "Supt.",
    ]

    /// A trainer with the default options.
    public init() {}

    /// Statistics of a training run, for the command to report.
    public struct Report: Sendable {
        /// Sentences whose forms could not be found in their `# text`, left out of chunk learning.
        public var unalignedSentences = 0
        /// Chunks examined.
        public var chunks = 0
        /// Chunks where the rules (before exceptions) disagreed with the gold tokens.
        public var ruleErrors = 0
    }

    /// Learns the lexicon from `sentences` (never from dev or test data).
    public func learn(from sentences: [CoNLLUSentence], provenance: String = "") -> (
        TokenizerLexicon, Report
    ) {
        var report = Report()
        var lexicon = TokenizerLexicon()
        lexicon.provenance = provenance
        var abbreviationWhole: [String: Int] = [:]
        var abbreviationSplit: [String: Int] = [:]
        var hyphenKept: [String: Int] = [:]
        var hyphenSplit: [String: Int] = [:]
        var multiwordCounts: [String: [[Int]: Int]] = [:]
        for sentence in sentences {
            let tokens = sentence.surfaceTokens
            for (k, token) in tokens.enumerated() {
                let form = token.form
                let scalars = Array(form.unicodeScalars)
                let letters = scalars.contains { ScalarClass.of($0.value).isLetter }
                if token.words.isEmpty, scalars.count >= 2, scalars.last == ".", letters,
                    !form.contains("@"), !form.contains("/")
                {
                    abbreviationWhole[form, default: 0] += 1
                }
                // A sentence's last period stands alone after an abbreviation too
                // (`Tokenizer.separatingFinalPeriods`): only a period inside the sentence
                // tells that the word is not one.
                if k + 2 < tokens.count, tokens[k + 1].form == ".", !token.spaceAfter, letters,
                    token.words.isEmpty
                {
                    abbreviationSplit[form + ".", default: 0] += 1
                }
                if let dash = scalars.firstIndex(of: "-"), dash > 0, dash + 1 < scalars.count,
                    ScalarClass.of(scalars[dash - 1].value).isLetter,
                    ScalarClass.of(scalars[dash + 1].value).isLetter
                {
                    var prefix = String.UnicodeScalarView()
                    prefix.append(contentsOf: scalars[..<dash])
                    hyphenKept[UnicodeText.caseFold(String(prefix)), default: 0] += 1
                }
                if k + 2 < tokens.count, tokens[k + 1].form == "-", !token.spaceAfter,
                    !tokens[k + 1].spaceAfter, letters,
                    let first = tokens[k + 2].form.unicodeScalars.first,
                    ScalarClass.of(first.value).isLetter
                {
                    hyphenSplit[UnicodeText.caseFold(form), default: 0] += 1
                }
                if Self.isEmoticon(scalars) { lexicon.emoticons.insert(form) }
                let folded = UnicodeText.caseFold(form)
                if folded.unicodeScalars.count <= 12 && letters {
                    multiwordCounts[folded, default: [:]][
                        Self.wordBreaks(token) ?? [], default: 0] += 1
                }
            }
        }
        for (form, whole) in abbreviationWhole where whole > abbreviationSplit[form, default: 0] {
            lexicon.abbreviations.insert(form)
        }
        for form in seedAbbreviations
        where abbreviationWhole[form, default: 0] >= abbreviationSplit[form, default: 0] {
            lexicon.abbreviations.insert(form)
        }
        for (prefix, kept) in hyphenKept
        where kept > hyphenSplit[prefix, default: 0] && prefix.unicodeScalars.count <= 8 {
            lexicon.hyphenPrefixes.insert(prefix)
        }
        for prefix in seedHyphenPrefixes
        where hyphenKept[prefix, default: 0] >= hyphenSplit[prefix, default: 0] {
            lexicon.hyphenPrefixes.insert(prefix)
        }
        for (form, counts) in multiwordCounts {
            let best = counts.max {
                $0.value < $1.value || ($0.value == $1.value && $0.key.count > $1.key.count)
            }!
            if !best.key.isEmpty && best.value * 2 > counts.values.reduce(0, +) {
                lexicon.multiwords[form] = best.key
            }
        }

        // Chunk exceptions: where the rules with the lexicon so far disagree with the gold.
        let rules = Tokenizer(lexicon: lexicon)
        var chunkCounts: [String: [ChunkSegmentation: Int]] = [:]
        var ruleSegmentation: [String: ChunkSegmentation] = [:]
        for sentence in sentences {
            guard
                let goldChunks = Self.chunks(
                    of: sentence.rawText,
                    tokens: sentence.surfaceTokens.map { ($0.form, Self.wordLengths($0)) })
            else {
                report.unalignedSentences += 1
                continue
            }
            let system = rules.document(sentence.rawText, sentences: .whole).tokens
            guard
                let systemChunks = Self.chunks(
                    of: sentence.rawText,
                    tokens: system.map { ($0.text, $0.words.map { $0.unicodeScalars.count }) })
            else { continue }
            for (key, gold) in goldChunks {
                report.chunks += 1
                chunkCounts[key, default: [:]][gold, default: 0] += 1
                if let predicted = systemChunks[key] {
                    ruleSegmentation[key] = predicted
                    if predicted != gold { report.ruleErrors += 1 }
                }
            }
        }
        for (key, counts) in chunkCounts {
            guard let predicted = ruleSegmentation[key] else { continue }
            let best = counts.max {
                $0.value < $1.value || ($0.value == $1.value && $0.key.notation > $1.key.notation)
            }!
            if best.key != predicted && best.value >= minimumExceptionCount
                && best.value > counts[predicted, default: 0]
            {
                lexicon.chunkExceptions[key] = best.key
            }
        }
        lexicon.boundaryWeights = learnBoundaries(sentences, tokenizer: Tokenizer(lexicon: lexicon))
        return (lexicon, report)
    }

    static func isEmoticon(_ s: [Unicode.Scalar]) -> Bool {
        guard (2...6).contains(s.count), Set(s).count > 1 else { return false }
        guard s.contains(where: { ":;=^".unicodeScalars.contains($0) }) else { return false }
        return s.allSatisfy {
            !ScalarClass.of($0.value).isAlphanumeric || "DPpOoXx3".unicodeScalars.contains($0)
        }
    }

    /// The scalar lengths of a multiword token's words when they spell out its form.
    static func wordLengths(_ token: SurfaceToken) -> [Int] {
        guard wordBreaks(token) != nil else { return [] }
        return token.words.map { $0.unicodeScalars.count }
    }

    static func wordBreaks(_ token: SurfaceToken) -> [Int]? {
        guard !token.words.isEmpty else { return nil }
        guard UnicodeText.caseFold(token.words.joined()) == UnicodeText.caseFold(token.form) else {
            return nil
        }
        var breaks: [Int] = []
        var offset = 0
        for w in token.words.dropLast() {
            offset += w.unicodeScalars.count
            breaks.append(offset)
        }
        return breaks
    }

    /// The white-space-delimited chunks of `text` with the segmentation `tokens` give them,
    /// keyed by the chunk's NFC form (chunks spanning several keys keep the last); nil when
    /// the token forms cannot be found in order in the text.
    static func chunks(of text: String, tokens: [(form: String, words: [Int])]) -> [String:
        ChunkSegmentation]?
    {
        let scalars = Array(text.unicodeScalars)
        var position = 0
        var result: [String: ChunkSegmentation] = [:]
        var current: [[Int]] = []
        var chunkStart = 0
        var chunkEnd = 0
        func close() {
            if !current.isEmpty {
                var key = String.UnicodeScalarView()
                key.append(contentsOf: scalars[chunkStart..<chunkEnd])
                let nfc = UnicodeText.nfc(String(key))
                if nfc.unicodeScalars.count == chunkEnd - chunkStart {
                    result[nfc] = ChunkSegmentation(tokens: current)
                }
            }
            current = []
        }
        for (form, words) in tokens {
            let formScalars = Array(form.unicodeScalars)
            var sawSpace = false
            while position < scalars.count && ScalarClass.of(scalars[position].value) == .space {
                position += 1
                sawSpace = true
            }
            if sawSpace || current.isEmpty {
                close()
                chunkStart = position
            }
            guard position + formScalars.count <= scalars.count,
                Array(scalars[position..<(position + formScalars.count)]) == formScalars,
                !formScalars.contains(where: { ScalarClass.of($0.value) == .space })
            else { return nil }
            position += formScalars.count
            chunkEnd = position
            current.append(words.isEmpty ? [formScalars.count] : words)
        }
        close()
        return result
    }

    /// Averaged-perceptron weights for sentence boundaries on running text: each document's
    /// sentences joined with spaces, tokenized by `tokenizer`.
    public func learnBoundaries(_ sentences: [CoNLLUSentence], tokenizer: Tokenizer) -> [String: Double] {
        var examples: [(features: [String], boundary: Bool)] = []
        for (text, sentenceEnds) in CoNLLUSentence.runningTexts(sentences) {
            let ends = Set(sentenceEnds)
            let tokens = tokenizer.tokenize(text)
            let genre = SentenceSplitter.genre(of: text)
            guard tokens.count > 1 else { continue }
            var start = 0
            for i in 0..<(tokens.count - 1) where tokens[i].spaceAfter {
                let boundary = ends.contains(tokens[i].scalarRange.upperBound)
                examples.append(
                    (
                        SentenceSplitter.features(
                            tokens, after: i, sentenceStart: start, genre: genre), boundary
                    ))
                if boundary { start = i + 1 }
            }
        }
        var weights: [String: Double] = [:]
        var accumulated: [String: Double] = [:]
        var step = 1.0
        for _ in 0..<boundaryEpochs {
            for example in examples {
                var score = 0.0
                for f in example.features { score += weights[f] ?? 0 }
                if (score > 0) != example.boundary {
                    let y: Double = example.boundary ? 1 : -1
                    for f in example.features {
                        weights[f, default: 0] += y
                        accumulated[f, default: 0] += y * step
                    }
                }
                step += 1
            }
        }
        var averaged: [(String, Double)] = []
        for (f, w) in weights {
            let a = w - accumulated[f, default: 0] / step
            if abs(a) > 1e-3 { averaged.append((f, a)) }
        }
        averaged.sort { abs($0.1) > abs($1.1) || (abs($0.1) == abs($1.1) && $0.0 < $1.0) }
        var result: [String: Double] = [:]
        for (f, w) in averaged.prefix(maximumBoundaryFeatures) {
            result[f] = (w * 1000).rounded() / 1000
        }
        return result
    }
}
