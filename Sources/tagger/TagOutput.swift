import ArgumentParser
import Corpora
import Foundation
import Tagging
import Text

/// The output formats of `tagger tag`.
enum TagOutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// `word/TAG` separated by spaces, one sentence a line.
    case text
    /// CoNLL-U with the predicted column filled in.
    case conllu
    /// One JSON object a sentence.
    case json
    /// `word<TAB>tag` a line, a blank line after each sentence.
    case conll
}

/// The CoNLL-U column that receives the prediction.
enum CoNLLUColumn: String, ExpressibleByArgument, CaseIterable {
    /// Column 4, UPOS.
    case upos
    /// Column 5, XPOS.
    case xpos
    /// Column 10, MISC, as `KEY=TAG` (`NER=B-PER`), replacing an earlier value of the key.
    case misc
}

/// Minimal JSON text helpers: string escaping and fixed-precision numbers.
enum JSONText {
    /// `string` as a JSON string literal with its quotes: `"` and `\` escaped, control
    /// characters as `\n`, `\t`, `\r`, `\b`, `\f` or `\u00XX`, everything else verbatim UTF-8.
    static func quoted(_ string: String) -> String {
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
    static func probability(_ value: Float) -> String {
        guard value.isFinite else { return "0.0000" }
        let scaled = Int((min(max(value, 0), 1) * 10_000).rounded())
        let fraction = String(scaled % 10_000)
        return "\(scaled / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}

/// Writes tagged sentences in one of the output formats.
struct TagWriter {
    /// The format.
    let format: TagOutputFormat
    /// The model's task (the MISC key is its upper-cased name).
    let task: TaggingTask
    /// Where CoNLL-U output puts the prediction.
    let column: CoNLLUColumn
    /// The destination.
    let writer: ByteWriter
    private var sentenceNumber = 0
    private var buffer: [UInt8] = []

    /// A writer of `format` to `writer`.
    init(format: TagOutputFormat, task: TaggingTask, column: CoNLLUColumn, writer: ByteWriter) {
        self.format = format
        self.task = task
        self.column = column
        self.writer = writer
    }

    /// Writes one sentence with its predictions (one per word) and entity spans (over words).
    /// A sentence without words (a blank input line) gives an empty line in `text` format,
    /// an object without tokens in `json`, and nothing in `conll` and `conllu`.
    mutating func write(
        _ sentence: InputSentence, predictions: [TokenPrediction], entities: [Span]
    ) throws {
        precondition(
            predictions.count == sentence.words.count,
            "\(predictions.count) predictions for \(sentence.words.count) words")
        switch format {
        case .text:
            var line = ""
            for (k, word) in sentence.words.enumerated() {
                if k > 0 { line += " " }
                line += word + "/" + predictions[k].tag
            }
            try writer.write(line + "\n")
        case .conll:
            guard !sentence.words.isEmpty else { return }
            var lines = ""
            for (k, word) in sentence.words.enumerated() {
                lines += word + "\t" + predictions[k].tag + "\n"
            }
            try writer.write(lines + "\n")
        case .json:
            try writer.write(json(sentence, predictions: predictions, entities: entities) + "\n")
        case .conllu:
            guard !sentence.words.isEmpty else { return }
            sentenceNumber += 1
            if var gold = sentence.conllu {
                for k in gold.words.indices {
                    fill(&gold.words[k], with: predictions[k].tag)
                }
                buffer.removeAll(keepingCapacity: true)
                CoNLLUWriter.append(gold, to: &buffer)
                try writer.write(buffer)
            } else {
                try writer.write(conllu(sentence, predictions: predictions))
            }
        }
    }

    /// Puts `tag` into the chosen column of `entry`.
    func fill(_ entry: inout CoNLLUEntry, with tag: String) {
        switch column {
        case .upos: entry.upos = tag
        case .xpos: entry.xpos = tag
        case .misc:
            let key = task.rawValue.uppercased()
            var items = entry.misc == "_" ? [] : entry.misc.split(separator: "|").map(String.init)
            items.removeAll { $0.hasPrefix(key + "=") }
            items.append(key + "=" + tag)
            entry.misc = items.joined(separator: "|")
        }
    }

    /// A tokenized sentence as CoNLL-U: `# sent_id` and `# text` comments, multiword token
    /// lines, `SpaceAfter=No`, and the same placeholder tree as `tagger tokenize` (HEAD 0 and
    /// `root` for the first word, 1 and `dep` for the others) so UD's evaluation script reads it.
    func conllu(_ sentence: InputSentence, predictions: [TokenPrediction]) -> String {
        var text = sentence.text
        if let first = sentence.tokens.first, let last = sentence.tokens.last {
            text = String(
                text[first.stringRange(in: text).lowerBound..<last.stringRange(in: text).upperBound]
            )
        }
        if text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            text = text.split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
        }
        var result = "# sent_id = \(sentenceNumber)\n# text = \(text)\n"
        var id = 1
        for (index, token) in sentence.tokens.enumerated() {
            let spacing = token.spaceAfter || index == sentence.tokens.count - 1
            if token.isMultiword {
                result +=
                    "\(id)-\(id + token.words.count - 1)\t\(token.text)\t_\t_\t_\t_\t_\t_\t_\t"
                    + (spacing ? "_" : "SpaceAfter=No") + "\n"
            }
            for word in token.syntacticWords {
                var entry = CoNLLUEntry(
                    id: .word(id), form: word, head: id == 1 ? "0" : "1",
                    deprel: id == 1 ? "root" : "dep",
                    misc: token.isMultiword || spacing ? "_" : "SpaceAfter=No")
                fill(&entry, with: predictions[id - 1].tag)
                result += entry.line + "\n"
                id += 1
            }
        }
        return result + "\n"
    }

    /// One JSON line: the text, the words with scalar offsets into it, tags and
    /// probabilities, and the entity spans.
    func json(_ sentence: InputSentence, predictions: [TokenPrediction], entities: [Span])
        -> String
    {
        var result = "{\"text\":" + JSONText.quoted(sentence.text) + ",\"tokens\":["
        for (k, word) in sentence.words.enumerated() {
            let range = sentence.tokens[sentence.wordTokens[k]].scalarRange
            if k > 0 { result += "," }
            result +=
                "{\"text\":" + JSONText.quoted(word)
                + ",\"start\":\(range.lowerBound),\"end\":\(range.upperBound),\"tag\":"
                + JSONText.quoted(predictions[k].tag) + ",\"probability\":"
                + JSONText.probability(predictions[k].probability) + "}"
        }
        result += "],\"entities\":["
        let scalars = entities.isEmpty ? [] : Array(sentence.text.unicodeScalars)
        for (k, span) in entities.enumerated() {
            let start = sentence.tokens[sentence.wordTokens[span.range.lowerBound]].scalarRange
                .lowerBound
            let end = sentence.tokens[sentence.wordTokens[span.range.upperBound - 1]].scalarRange
                .upperBound
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars[start..<end])
            if k > 0 { result += "," }
            result +=
                "{\"start\":\(start),\"end\":\(end),\"type\":" + JSONText.quoted(span.type)
                + ",\"text\":" + JSONText.quoted(String(text)) + "}"
        }
        return result + "]}"
    }
}
