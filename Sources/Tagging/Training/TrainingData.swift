import Corpora
import Foundation
import Text
import Tokenization

/// A sentence with one gold tag per word.
public struct TrainingSentence: Equatable, Sendable {
    /// The words.
    public var words: [String]
    /// The tags, one per word.
    public var tags: [String]
    /// Where the sentence starts in its file (for messages), `0` if unknown.
    public var line: Int
    /// The sentence's `# sent_id` comment, if its file gives one.
    public var sentenceID: String?

    /// A sentence from its parts.
    public init(words: [String], tags: [String], line: Int = 0, sentenceID: String? = nil) {
        precondition(words.count == tags.count, "\(words.count) words but \(tags.count) tags")
        self.words = words
        self.tags = tags
        self.line = line
        self.sentenceID = sentenceID
    }
}

/// A sentence with one gold label.
public struct TrainingText: Equatable, Sendable {
    /// The words.
    public var words: [String]
    /// The label.
    public var label: String
    /// The line of the sentence in its file, `0` if unknown.
    public var line: Int

    /// A sentence from its parts.
    public init(words: [String], label: String, line: Int = 0) {
        self.words = words
        self.label = label
        self.line = line
    }
}

/// The file formats training and evaluation read.
public enum CorpusFormat: String, Codable, CaseIterable, Sendable {
    /// CoNLL-U; the tag is UPOS unless a tag column is given.
    case conllu
    /// CoNLL-2003 columns: `token POS chunk NER`, space-separated, tag in the last column.
    case conll
    /// `index<TAB>token<TAB>tag` (Universal NER).
    case iob2
    /// `LABEL TEXT` or `LABEL<TAB>TEXT` lines; `tagger train` and `tagger eval` tokenize the
    /// text as `tagger classify` does.
    case sentiment

    /// The format a task uses by default, refined by the file's extension.
    public static func infer(path: String, task: TaggingTask) -> CorpusFormat {
        let name = path.lowercased()
        if name.hasSuffix(".conllu") { return .conllu }
        if name.hasSuffix(".iob2") || name.hasSuffix(".iob") || name.hasSuffix(".bio") {
            return .iob2
        }
        if name.hasSuffix(".conll") { return .conll }
        switch task {
        case .pos: return .conllu
        case .ner: return .iob2
        case .sentiment: return .sentiment
        }
    }
}

/// Problems with training or evaluation data that a user can fix.
public enum TrainingDataError: LocalizedError, Equatable {
    /// The training file holds no sentence.
    case noSentences(path: String)
    /// The dev (or test) file uses labels the training file never does.
    case unseenLabels(path: String, labels: [String], firstLine: Int)
    /// The format does not fit the task.
    case formatMismatch(path: String, format: CorpusFormat, task: TaggingTask)
    /// The tag column is outside the file's columns.
    case badTagColumn(path: String, column: Int, line: Int)
    /// Tags that are not valid in the declared scheme.
    case invalidTags(path: String, line: Int, reason: String)
    /// A tag or label that no output format could write (see `TagValidation`).
    case unwritableTag(path: String, line: Int, tag: String, reason: String)

    /// A message that says what is wrong and what to do.
    public var errorDescription: String? {
        switch self {
        case .noSentences(let path):
            return "\(path): the file holds no sentences; check the path and --format"
        case .unseenLabels(let path, let labels, let line):
            return
                "\(path):\(line): labels never seen in the training file: \(labels.joined(separator: ", ")); train on data that has them or fix the file"
        case .formatMismatch(let path, let format, let task):
            return "\(path): format \(format.rawValue) cannot be used for --task \(task.rawValue)"
        case .badTagColumn(let path, let column, let line):
            return
                "\(path):\(line): tag column \(column) does not exist on this line; check --tag-column (counted from 1)"
        case .invalidTags(let path, let line, let reason):
            return "\(path):\(line): \(reason); check --tag-scheme"
        case .unwritableTag(let path, let line, let tag, let reason):
            return
                "\(path):\(line): the tag or label \(tag.quotedForMessage) cannot be used: \(reason); \(TagValidation.rule)"
        }
    }
}

/// Reading training and evaluation files into sentences.
public enum TrainingData {
    /// Reads tagged sentences. `tagColumn` is counted from 1 (CoNLL-U default 4, UPOS;
    /// column files default to the last column).
    public static func readTagged(path: String, format: CorpusFormat, tagColumn: Int? = nil) throws
        -> [TrainingSentence]
    {
        switch format {
        case .conllu:
            let column = (tagColumn ?? 4) - 1
            var result: [TrainingSentence] = []
            for sentence in try CoNLLUReader.read(path: path) {
                let words = sentence.words.map(\.form)
                var tags: [String] = []
                for entry in sentence.words {
                    let columns = entry.columns
                    guard column >= 0, column < columns.count else {
                        throw TrainingDataError.badTagColumn(
                            path: path, column: column + 1, line: sentence.lineNumber)
                    }
                    tags.append(columns[column])
                }
                try checkWritable(tags, path: path, line: sentence.lineNumber)
                if !words.isEmpty {
                    result.append(
                        TrainingSentence(
                            words: words, tags: tags, line: sentence.lineNumber,
                            sentenceID: sentence.sentenceID))
                }
            }
            return result
        case .conll, .iob2:
            var columnFormat: ColumnFormat = format == .iob2 ? .indexTokenTag : .conll2003
            columnFormat.tagScheme = nil
            if format == .conll { columnFormat.columnCount = nil; columnFormat.tagColumn = nil }
            if let tagColumn {
                columnFormat.tagColumn = tagColumn - 1
                if let count = columnFormat.columnCount, tagColumn - 1 >= count || tagColumn < 1 {
                    throw TrainingDataError.badTagColumn(path: path, column: tagColumn, line: 1)
                }
            }
            var result: [TrainingSentence] = []
            for item in try ColumnReader.read(path: path, format: columnFormat) {
                guard let sentence = item.sentence, !sentence.rows.isEmpty else { continue }
                guard sentence.rows.allSatisfy({ sentence.tagColumn < $0.count }) else {
                    throw TrainingDataError.badTagColumn(
                        path: path, column: sentence.tagColumn + 1, line: sentence.lineNumber)
                }
                try checkWritable(sentence.tags, path: path, line: sentence.lineNumber)
                result.append(
                    TrainingSentence(
                        words: sentence.tokens, tags: sentence.tags, line: sentence.lineNumber,
                        sentenceID: sentence.sentenceID))
            }
            return result
        case .sentiment:
            throw TrainingDataError.formatMismatch(path: path, format: format, task: .pos)
        }
    }

    /// Reads labelled sentences (`LABEL TEXT` lines), with any labels. With a `tokenizer`
    /// each text becomes the tokenizer's words (``Tokenizer/words(_:)``), the words a
    /// pipeline gives the model for that text as one sentence (`tagger classify`);
    /// without one it is split on spaces and tabs. Texts without words are skipped.
    public static func readLabelled(
        path: String, format: CorpusFormat = .sentiment, tokenizer: Tokenizer? = nil
    ) throws -> [TrainingText] {
        guard format == .sentiment else {
            throw TrainingDataError.formatMismatch(path: path, format: format, task: .sentiment)
        }
        return try SentimentReader.read(path: path, labels: nil).map { example in
            try checkWritable([example.label], path: path, line: example.lineNumber)
            let words =
                tokenizer?.words(example.text)
                ?? example.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(
                    String.init)
            return TrainingText(words: words, label: example.label, line: example.lineNumber)
        }.filter { !$0.words.isEmpty }
    }

    /// Checks that `sentences` decode in `scheme` (lenient decoding is used anyway; this
    /// rejects tags the scheme does not have).
    public static func validate(_ sentences: [TrainingSentence], scheme: TagScheme, path: String)
        throws
    {
        for sentence in sentences {
            do {
                _ = try scheme.spans(from: sentence.tags, mode: .lenient)
            } catch let error as TagSchemeError {
                throw TrainingDataError.invalidTags(
                    path: path, line: sentence.line, reason: describe(error))
            }
        }
    }

    /// A tag-scheme error in words, the tag quoted, the word counted from 1.
    private static func describe(_ error: TagSchemeError) -> String {
        switch error {
        case .invalidTag(let index, let tag, let scheme):
            let allowed = scheme.prefixes.map { "\($0)-TYPE" }.joined(separator: ", ")
            return
                "word \(index + 1) of the sentence has the tag \(tag.quotedForMessage), which is not O or one of \(allowed) as \(scheme.name) requires"
        case .invalidSequence(let index, let tag, let reason):
            return
                "word \(index + 1) of the sentence has the tag \(tag.quotedForMessage): \(reason)"
        }
    }

    /// Throws `unwritableTag` for the first tag of `tags` that `TagValidation` rejects.
    private static func checkWritable(_ tags: [String], path: String, line: Int) throws {
        for tag in tags {
            if let problem = TagValidation.problem(with: tag) {
                throw TrainingDataError.unwritableTag(
                    path: path, line: line, tag: tag, reason: problem)
            }
        }
    }
}
