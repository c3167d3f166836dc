import Foundation
import Text

/// A training sentence of a joint POS+NER model: its words with UPOS tags, entity tags, or
/// both (a sentence annotated in one file only trains that task alone).
public struct JointTrainingSentence: Equatable, Sendable {
    /// The words.
    public var words: [String]
    /// The UPOS tags, one per word, if the POS file has the sentence.
    public var pos: [String]?
    /// The entity tags (in the NER file's scheme), one per word, if the NER file has it.
    public var ner: [String]?
    /// Where the sentence starts in the POS file, `0` if it is not there.
    public var posLine: Int
    /// Where the sentence starts in the NER file, `0` if it is not there.
    public var nerLine: Int

    /// A sentence from its parts; at least one of `pos` and `ner`, each one tag a word.
    public init(
        words: [String], pos: [String]?, ner: [String]?, posLine: Int = 0, nerLine: Int = 0
    ) {
        precondition(pos != nil || ner != nil, "a joint training sentence needs POS or NER tags")
        precondition(
            pos.map { $0.count == words.count } ?? true
                && ner.map { $0.count == words.count } ?? true,
            "\(words.count) words but \(pos?.count ?? 0) POS and \(ner?.count ?? 0) entity tags")
        self.words = words
        self.pos = pos
        self.ner = ner
        self.posLine = posLine
        self.nerLine = nerLine
    }
}

/// What to do with a sentence whose `sent_id` is in both files but whose words differ
/// (the two annotations tokenized it differently).
public enum WordMismatchPolicy: String, CaseIterable, Sendable {
    /// Stop with ``JointDataError/wordMismatch(posFile:posLine:nerFile:nerLine:sentenceID:problem:)``.
    case error
    /// Keep both versions, each training its own task only, and report them.
    case separate
}

/// Problems aligning a POS file with an NER file that a user can fix.
public enum JointDataError: LocalizedError, Equatable {
    /// A sentence without a `# sent_id` comment, so it cannot be matched with the other file.
    case missingSentenceID(file: String, line: Int)
    /// Two sentences of one file with the same `sent_id`.
    case duplicateSentenceID(file: String, line: Int, sentenceID: String, firstLine: Int)
    /// The same `sent_id` with different words in the two files.
    case wordMismatch(
        posFile: String, posLine: Int, nerFile: String, nerLine: Int, sentenceID: String,
        problem: String)
    /// No `sent_id` is in both files.
    case noSharedSentences(posFile: String, nerFile: String)

    /// A message that names the file, the line and what to do.
    public var errorDescription: String? {
        switch self {
        case .missingSentenceID(let file, let line):
            return
                "\(file):\(line): the sentence has no `# sent_id = …` comment, so it cannot be matched with the other file's sentence; a joint model trains on files that carry the same sentence ids"
        case .duplicateSentenceID(let file, let line, let id, let firstLine):
            return
                "\(file):\(line): sent_id \(id.quotedForMessage) was already used at line \(firstLine); sentence ids must be unique within a file"
        case .wordMismatch(let posFile, let posLine, let nerFile, let nerLine, let id, let problem):
            return
                "\(nerFile):\(nerLine): sentence \(id.quotedForMessage) does not have the words of \(posFile):\(posLine): \(problem); fix one file, or train on such sentences one task each with --on-word-mismatch separate"
        case .noSharedSentences(let posFile, let nerFile):
            return
                "\(posFile) and \(nerFile) have no sentence id in common; give the POS and NER files of the same corpus split"
        }
    }
}

/// The sentences of a POS file and an NER file matched by `sent_id`.
public struct JointAlignment: Equatable, Sendable {
    /// Every sentence to train on: those in both files (with both tag sets) in the POS
    /// file's order, then those of one file only (one tag set each), in their file's order.
    public var sentences: [JointTrainingSentence]
    /// Sentences with the same id and words in both files.
    public var aligned: Int
    /// Ids of the POS file's sentences that are not in the NER file, with their lines.
    public var posOnly: [(id: String, line: Int)]
    /// Ids of the NER file's sentences that are not in the POS file, with their lines.
    public var nerOnly: [(id: String, line: Int)]
    /// With ``WordMismatchPolicy/separate``: the sentences whose words differ, each kept
    /// twice (once a task), with the lines and the first difference.
    public var mismatched: [JointDataError]

    /// See `Equatable`.
    public static func == (a: JointAlignment, b: JointAlignment) -> Bool {
        a.sentences == b.sentences && a.aligned == b.aligned && a.mismatched == b.mismatched
            && a.posOnly.map(\.id) == b.posOnly.map(\.id)
            && a.posOnly.map(\.line)
                == b.posOnly.map(\.line)
            && a.nerOnly.map(\.id) == b.nerOnly.map(\.id)
            && a.nerOnly.map(\.line) == b.nerOnly.map(\.line)
    }

    /// One line for a log: counts of aligned, one-file and mismatched sentences.
    public var summary: String {
        var parts = ["\(aligned) sentences in both files"]
        if !posOnly.isEmpty { parts.append("\(posOnly.count) in the POS file only") }
        if !nerOnly.isEmpty { parts.append("\(nerOnly.count) in the NER file only") }
        if !mismatched.isEmpty {
            parts.append("\(mismatched.count) with different words, trained one task each")
        }
        return parts.joined(separator: ", ")
    }
}

/// Reading the two annotations of a joint POS+NER model as one set of training sentences.
public enum JointTrainingData {
    /// Matches the sentences of a POS file (`pos`, read from `posFile`) and an NER file
    /// (`ner`, from `nerFile`) by their `sent_id` comments and checks that both files give
    /// each shared sentence the same words. Sentences of one file only are kept for their
    /// task and listed; a shared sentence with other words is an error, or with `.separate`
    /// kept once for each task and listed. Every sentence needs an id, unique in its file.
    public static func align(
        pos: [TrainingSentence], posFile: String, ner: [TrainingSentence], nerFile: String,
        onWordMismatch policy: WordMismatchPolicy = .error
    ) throws -> JointAlignment {
        func index(_ sentences: [TrainingSentence], file: String) throws -> [String: Int] {
            var result: [String: Int] = [:]
            for (k, sentence) in sentences.enumerated() {
                guard let id = sentence.sentenceID, !id.isEmpty else {
                    throw JointDataError.missingSentenceID(file: file, line: sentence.line)
                }
                if let first = result[id] {
                    throw JointDataError.duplicateSentenceID(
                        file: file, line: sentence.line, sentenceID: id,
                        firstLine: sentences[first].line)
                }
                result[id] = k
            }
            return result
        }
        let posIndex = try index(pos, file: posFile)
        let nerIndex = try index(ner, file: nerFile)
        var alignment = JointAlignment(
            sentences: [], aligned: 0, posOnly: [], nerOnly: [], mismatched: [])
        var apart: [JointTrainingSentence] = []
        for p in pos {
            guard let k = nerIndex[p.sentenceID!] else {
                alignment.posOnly.append((p.sentenceID!, p.line))
                apart.append(
                    JointTrainingSentence(words: p.words, pos: p.tags, ner: nil, posLine: p.line))
                continue
            }
            let n = ner[k]
            if let problem = difference(p.words, n.words, posFile: posFile, nerFile: nerFile) {
                let error = JointDataError.wordMismatch(
                    posFile: posFile, posLine: p.line, nerFile: nerFile, nerLine: n.line,
                    sentenceID: p.sentenceID!, problem: problem)
                guard policy == .separate else { throw error }
                alignment.mismatched.append(error)
                apart.append(
                    JointTrainingSentence(words: p.words, pos: p.tags, ner: nil, posLine: p.line))
                apart.append(
                    JointTrainingSentence(words: n.words, pos: nil, ner: n.tags, nerLine: n.line))
                continue
            }
            alignment.aligned += 1
            alignment.sentences.append(
                JointTrainingSentence(
                    words: p.words, pos: p.tags, ner: n.tags, posLine: p.line, nerLine: n.line))
        }
        for n in ner where posIndex[n.sentenceID!] == nil {
            alignment.nerOnly.append((n.sentenceID!, n.line))
            apart.append(
                JointTrainingSentence(words: n.words, pos: nil, ner: n.tags, nerLine: n.line))
        }
        guard alignment.aligned > 0 || pos.isEmpty || ner.isEmpty else {
            throw JointDataError.noSharedSentences(posFile: posFile, nerFile: nerFile)
        }
        alignment.sentences += apart
        return alignment
    }

    /// The first difference between two word sequences, in words, or `nil` if they agree.
    private static func difference(
        _ posWords: [String], _ nerWords: [String], posFile: String, nerFile: String
    ) -> String? {
        for (i, (a, b)) in zip(posWords, nerWords).enumerated() where a != b {
            return
                "word \(i + 1) is \(a.quotedForMessage) in the POS file but \(b.quotedForMessage) in the NER file"
        }
        guard posWords.count == nerWords.count else {
            return
                "\(posWords.count) words in the POS file but \(nerWords.count) in the NER file"
        }
        return nil
    }
}
