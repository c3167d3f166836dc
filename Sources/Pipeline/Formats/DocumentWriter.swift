import Corpora
import Foundation
import Tagging
import Text

/// The output formats of annotated documents.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// One sentence a line: `word/TAG` separated by spaces (`word/POS/NER` with both), the
    /// sentence's sentiment after a tab.
    case text
    /// CoNLL-U: UPOS filled from POS, `NER=TAG` in MISC, `# sentiment = LABEL PROBABILITY`
    /// before each sentence; every other column kept from CoNLL-U input.
    case conllu
    /// One JSON object a line.
    case json
    /// `word<TAB>TAG` a line (`word<TAB>POS<TAB>NER` with both), a blank line after each
    /// sentence; readable by `tagger eval` and `tagger train`.
    case conll
}

/// The CoNLL-U column that receives a tagger's tags.
public enum CoNLLUColumn: String, CaseIterable, Sendable {
    /// Column 4, UPOS.
    case upos
    /// Column 5, XPOS.
    case xpos
    /// Column 10, MISC, as `KEY=TAG` (`NER=B-PER`), replacing an earlier value of the key.
    case misc
}

/// Minimal JSON text helpers: string escaping and fixed-precision numbers.
public enum JSONText {
    /// `string` as a JSON string literal with its quotes: `"` and `\` escaped, control
    /// characters as `\n`, `\t`, `\r`, `\b`, `\f` or `\u00XX`, everything else verbatim UTF-8.
    public static func quoted<S: StringProtocol>(_ string: S) -> String {
        var needsEscape = false
        for byte in string.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape { return "\"" + string + "\"" }
        var result = "\""
        result.reserveCapacity(string.utf8.count + 8)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A probability in `[0, 1]` with four decimals (`0.9876`); clamped into the range.
    public static func probability(_ value: Float) -> String {
        guard value.isFinite else { return "0.0000" }
        let scaled = Int((min(max(value, 0), 1) * 10_000).rounded())
        let fraction = String(scaled % 10_000)
        return "\(scaled / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    /// A sentiment as `{"label": ..., "probability": ..., "probabilities": {...}}`.
    public static func sentiment(_ sentiment: Sentiment) -> String {
        let all = sentiment.labels.indices.map {
            quoted(sentiment.labels[$0]) + ":" + probability(sentiment.probabilities[$0])
        }
        return "{\"label\":" + quoted(sentiment.label) + ",\"probability\":"
            + probability(sentiment.probability) + ",\"probabilities\":{"
            + all.joined(separator: ",") + "}}"
    }
}

/// Writes annotated documents in one of the ``OutputFormat``s. One writer serves
/// `tagger annotate` (every component, one JSON object a document) and `tagger tag`
/// (one tagger, one JSON object a sentence).
public struct DocumentWriter {
    /// How JSON output is cut.
    public enum JSONShape: Sendable {
        /// One object a document (`tagger annotate`): `{"text", "offsets", "sentences":
        /// [{"start", "end", "tokens", "words", "entities", "sentiment"}], "sentiment"}`.
        case documents
        /// One object a sentence (`tagger tag`): `{"text", "tokens": [{"text", "start",
        /// "end", "tag", "probability"}], "entities": [{"start", "end", "type", "text"}]}`,
        /// offsets in Unicode scalars; with POS and NER (a joint model) each token has
        /// `"pos", "posProbability", "ner", "nerProbability"` instead of `"tag", "probability"`.
        case sentences
    }

    /// The format.
    public let format: OutputFormat
    /// The components whose tags are written (POS and NER, in this order), and sentiment.
    public let components: [PipelineComponent]
    /// Where each tagger's tags go in CoNLL-U (default: POS in UPOS, NER in MISC).
    public let columns: [PipelineComponent: CoNLLUColumn]
    /// How offsets are counted in JSON.
    public let offsets: OffsetUnit
    /// How JSON output is cut.
    public let jsonShape: JSONShape
    /// Whether a sentence's `text` and offsets are its own (from its first token to its
    /// last) rather than the document's; `tagger tag --split-sentences`.
    public let sentenceRelative: Bool
    /// The destination.
    public let writer: ByteWriter
    private var sentenceNumber = 0
    private var buffer: [UInt8] = []

    /// A writer of `format` to `writer`.
    public init(
        format: OutputFormat, components: [PipelineComponent],
        columns: [PipelineComponent: CoNLLUColumn] = [:], offsets: OffsetUnit = .utf16,
        jsonShape: JSONShape = .documents, sentenceRelative: Bool = false, writer: ByteWriter
    ) {
        self.format = format
        self.components = components
        self.taggers = components.filter { $0 != .sentiment }
        self.withSentiment = components.contains(.sentiment)
        self.columns = columns
        self.offsets = offsets
        self.jsonShape = jsonShape
        self.sentenceRelative = sentenceRelative
        self.writer = writer
    }

    /// `components` without sentiment, the ones with a tag per word.
    private let taggers: [PipelineComponent]
    private let withSentiment: Bool

    private func tag(_ word: AnnotatedWord, _ component: PipelineComponent) -> TokenPrediction {
        switch component {
        case .pos: return word.pos ?? TokenPrediction(tag: "_", probability: 0)
        case .ner: return word.ner ?? TokenPrediction(tag: "O", probability: 0)
        case .sentiment: preconditionFailure("sentiment is not a word tag")
        }
    }

    /// Writes one document. A document without sentences (a blank input line) gives an
    /// empty line in `text` format, an object without tokens in `json`, and nothing in
    /// `conll` and `conllu`.
    public mutating func write(_ document: AnnotatedDocument) throws {
        if format == .json && jsonShape == .documents {
            return try writer.write(json(document) + "\n")
        }
        if document.sentences.isEmpty {
            switch format {
            case .text: try writer.write("\n")
            case .json:
                try writer.write(
                    "{\"text\":" + JSONText.quoted(document.text)
                        + ",\"tokens\":[],\"entities\":[]}\n")
            case .conll, .conllu: break
            }
            return
        }
        for index in document.sentences.indices {
            try write(sentence: index, of: document)
        }
    }

    /// Writes `problem` for a document that could not be read (``TextLayout/documentPerLine``):
    /// an error object in JSON, a `# error = ...` comment in CoNLL-U and CoNLL, an empty line
    /// in text.
    public func write(problem: String, line: Int) throws {
        switch format {
        case .json:
            try writer.write(
                "{\"line\":\(line),\"error\":" + JSONText.quoted(problem) + "}\n")
        case .text: try writer.write("\n")
        case .conll, .conllu:
            try writer.write("# error = " + Self.oneLine(problem) + "\n\n")
        }
    }

    private mutating func write(sentence index: Int, of document: AnnotatedDocument) throws {
        let sentence = document.sentences[index]
        let words = document.words(of: sentence)
        switch format {
        case .text:
            var line = ""
            for (k, word) in words.enumerated() {
                if k > 0 { line += " " }
                line += word.text
                for component in taggers { line += "/" + tag(word, component).tag }
            }
            if withSentiment, let sentiment = sentence.sentiment {
                line += "\t" + sentiment.label + " " + JSONText.probability(sentiment.probability)
            }
            try writer.write(line + "\n")
        case .conll:
            // Bytes appended straight to the buffer: building a string per sentence and
            // then copying it cost as much as the rest of the writing.
            buffer.removeAll(keepingCapacity: true)
            if withSentiment, let sentiment = sentence.sentiment {
                Self.append("# sentiment = " + sentimentComment(sentiment), to: &buffer)
                buffer.append(UInt8(ascii: "\n"))
            }
            for word in words {
                Self.append(word.text, to: &buffer)
                for component in taggers {
                    buffer.append(UInt8(ascii: "\t"))
                    Self.append(tag(word, component).tag, to: &buffer)
                }
                buffer.append(UInt8(ascii: "\n"))
            }
            buffer.append(UInt8(ascii: "\n"))
            try writer.write(buffer)
        case .json:
            try writer.write(sentenceJSON(sentence, of: document) + "\n")
        case .conllu:
            sentenceNumber += 1
            if index < document.conllu.count {
                var gold = document.conllu[index]
                for (k, word) in words.enumerated() where k < gold.words.count {
                    for component in taggers {
                        fill(&gold.words[k], component, tag(word, component).tag)
                    }
                }
                if withSentiment, let sentiment = sentence.sentiment {
                    gold.comments.removeAll { $0.hasPrefix("# sentiment =") }
                    gold.comments.append("# sentiment = " + sentimentComment(sentiment))
                }
                buffer.removeAll(keepingCapacity: true)
                CoNLLUWriter.append(gold, to: &buffer)
                try writer.write(buffer)
            } else {
                try writer.write(conllu(sentence, of: document))
            }
        }
    }

    /// Appends the UTF-8 bytes of `string`.
    private static func append(_ string: String, to bytes: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private func sentimentComment(_ sentiment: Sentiment) -> String {
        sentiment.label + " " + JSONText.probability(sentiment.probability)
    }

    /// Puts `tag` into the column of `component` in `entry`.
    func fill(_ entry: inout CoNLLUEntry, _ component: PipelineComponent, _ tag: String) {
        switch columns[component] ?? (component == .pos ? .upos : .misc) {
        case .upos: entry.upos = tag
        case .xpos: entry.xpos = tag
        case .misc:
            let key = component.rawValue.uppercased()
            var items = entry.misc == "_" ? [] : entry.misc.split(separator: "|").map(String.init)
            items.removeAll { $0.hasPrefix(key + "=") }
            items.append(key + "=" + tag)
            entry.misc = items.joined(separator: "|")
        }
    }

    /// `text` on one line: line breaks and tabs become spaces (for `# text =` comments).
    static func oneLine<S: StringProtocol>(_ text: S) -> String {
        if text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return text.split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
        }
        return String(text)
    }

    /// A tokenized sentence as CoNLL-U: `# sent_id` and `# text` comments, multiword token
    /// lines, `SpaceAfter=No`, and the same placeholder tree as `tagger tokenize` (HEAD 0 and
    /// `root` for the first word, 1 and `dep` for the others) so UD's evaluation script reads it.
    func conllu(_ sentence: AnnotatedSentence, of document: AnnotatedDocument) -> String {
        var result =
            "# sent_id = \(sentenceNumber)\n# text = \(Self.oneLine(document.text(of: sentence)))\n"
        if withSentiment, let sentiment = sentence.sentiment {
            result += "# sentiment = " + sentimentComment(sentiment) + "\n"
        }
        var id = 1
        let tokens = document.tokens(of: sentence)
        for (index, token) in tokens.enumerated() {
            let spacing = token.spaceAfter || index == tokens.count - 1
            let multiword = token.words.count > 1
            if multiword {
                result +=
                    "\(id)-\(id + token.words.count - 1)\t\(token.text)\t_\t_\t_\t_\t_\t_\t_\t"
                    + (spacing ? "_" : "SpaceAfter=No") + "\n"
            }
            for w in token.words {
                let word = document.words[w]
                var entry = CoNLLUEntry(
                    id: .word(id), form: word.text, head: id == 1 ? "0" : "1",
                    deprel: id == 1 ? "root" : "dep",
                    misc: multiword || spacing ? "_" : "SpaceAfter=No")
                for component in taggers { fill(&entry, component, tag(word, component).tag) }
                result += entry.line + "\n"
                id += 1
            }
        }
        return result + "\n"
    }

    /// One sentence as `tagger tag`'s JSON object: the text, the words with scalar offsets,
    /// the tagger's tags and probabilities, and the entities.
    func sentenceJSON(_ sentence: AnnotatedSentence, of document: AnnotatedDocument) -> String {
        let component = taggers.first ?? .pos
        let base = sentenceRelative ? sentence.range.scalars.lowerBound : 0
        let text = sentenceRelative ? document.text(of: sentence) : Substring(document.text)
        var result = "{\"text\":" + JSONText.quoted(text) + ",\"tokens\":["
        for (k, word) in document.words(of: sentence).enumerated() {
            let range = document.tokens[word.token].range.scalars
            if k > 0 { result += "," }
            result +=
                "{\"text\":" + JSONText.quoted(word.text)
                + ",\"start\":\(range.lowerBound - base),\"end\":\(range.upperBound - base)"
            if taggers.count > 1 {
                // A joint model's two tag sets: "pos", "posProbability", "ner", "nerProbability".
                for tagger in taggers {
                    let prediction = tag(word, tagger)
                    result +=
                        ",\"\(tagger.rawValue)\":" + JSONText.quoted(prediction.tag) + ",\""
                        + tagger.rawValue + "Probability\":"
                        + JSONText.probability(prediction.probability)
                }
                result += "}"
            } else {
                let prediction = tag(word, component)
                result +=
                    ",\"tag\":" + JSONText.quoted(prediction.tag) + ",\"probability\":"
                    + JSONText.probability(prediction.probability) + "}"
            }
        }
        result += "],\"entities\":["
        for (k, entity) in document.entities(of: sentence).enumerated() {
            if k > 0 { result += "," }
            result +=
                "{\"start\":\(entity.range.scalars.lowerBound - base),\"end\":\(entity.range.scalars.upperBound - base),\"type\":"
                + JSONText.quoted(entity.type) + ",\"text\":" + JSONText.quoted(entity.text) + "}"
        }
        return result + "]}"
    }

    /// One document as `tagger annotate`'s JSON object.
    func json(_ document: AnnotatedDocument) -> String { Self.json(document, offsets: offsets) }

    /// One document as the JSON object of `tagger annotate --format json` (without a line
    /// break), offsets counted in `offsets`: what the HTTP service answers too.
    public static func json(_ document: AnnotatedDocument, offsets: OffsetUnit) -> String {
        func range(_ r: TextRange) -> String {
            let o = offsets.of(r)
            return "\"start\":\(o.lowerBound),\"end\":\(o.upperBound)"
        }
        var result =
            "{\"text\":" + JSONText.quoted(document.text) + ",\"offsets\":\"\(offsets.rawValue)\""
            + ",\"sentences\":["
        for (s, sentence) in document.sentences.enumerated() {
            if s > 0 { result += "," }
            result +=
                "{" + range(sentence.range) + ",\"text\":"
                + JSONText.quoted(document.text(of: sentence))
            result += ",\"tokens\":["
            for (k, t) in sentence.tokens.enumerated() {
                let token = document.tokens[t]
                if k > 0 { result += "," }
                result += "{\"text\":" + JSONText.quoted(token.text) + "," + range(token.range)
                if token.words.count > 1 {
                    result +=
                        ",\"words\":["
                        + token.words.map { String($0 - sentence.words.lowerBound) }
                        .joined(separator: ",") + "]"
                }
                result += "}"
            }
            result += "],\"words\":["
            for (k, w) in sentence.words.enumerated() {
                let word = document.words[w]
                if k > 0 { result += "," }
                result +=
                    "{\"text\":" + JSONText.quoted(word.text)
                    + ",\"token\":\(word.token - sentence.tokens.lowerBound)"
                if let pos = word.pos {
                    result +=
                        ",\"upos\":" + JSONText.quoted(pos.tag) + ",\"uposProbability\":"
                        + JSONText.probability(pos.probability)
                }
                if let ner = word.ner {
                    result +=
                        ",\"ner\":" + JSONText.quoted(ner.tag) + ",\"nerProbability\":"
                        + JSONText.probability(ner.probability)
                }
                result += "}"
            }
            result += "],\"entities\":["
            for (k, entity) in document.entities(of: sentence).enumerated() {
                if k > 0 { result += "," }
                result +=
                    "{\"type\":" + JSONText.quoted(entity.type) + ",\"text\":"
                    + JSONText.quoted(entity.text) + "," + range(entity.range)
                    + ",\"tokens\":[\(entity.tokens.lowerBound - sentence.tokens.lowerBound),\(entity.tokens.upperBound - sentence.tokens.lowerBound)]}"
            }
            result += "]"
            if let sentiment = sentence.sentiment {
                result += ",\"sentiment\":" + JSONText.sentiment(sentiment)
            }
            result += "}"
        }
        result += "]"
        if let sentiment = document.sentiment {
            result += ",\"sentiment\":" + JSONText.sentiment(sentiment)
        }
        return result + "}"
    }
}
