import Corpora
import Foundation
import ModelStorage
import Tagging
import Text
import Tokenization

/// What a pipeline can add to a tokenized text.
public enum PipelineComponent: String, CaseIterable, Sendable {
    /// Part-of-speech tags (UPOS) on every word.
    case pos
    /// Named-entity tags on every word, and the entities they make.
    case ner
    /// The sentiment of every sentence and of the whole document.
    case sentiment

    /// The shipped model of the component.
    public var shippedModel: ShippedModel {
        switch self {
        case .pos: return .pos
        case .ner: return .ner
        case .sentiment: return .sentiment
        }
    }
}

/// The sentence splitters a pipeline can use on running text.
public enum SplitterKind: String, CaseIterable, Sendable {
    /// The BiLSTM boundary model (`models/sentence-en.model`), the default.
    case neural
    /// The tokenizer lexicon's averaged perceptron: no model file, faster, less accurate.
    case perceptron
}

/// A component's model that does not do that component's task.
public enum PipelineError: LocalizedError, Equatable {
    /// The model at `path` does `found` where the component needs `expected`.
    case wrongTask(path: String, found: String, expected: String)
    /// A joint POS+NER model was given together with a POS or NER model, or without asking
    /// for POS or NER.
    case jointModelConflict(reason: String)

    /// A one-line message that says what to do.
    public var errorDescription: String? {
        switch self {
        case .wrongTask(let path, let found, let expected):
            return
                "\(path) is a \(found) model, not a \(expected) model; pass a \(expected) model or leave the option out for the shipped one"
        case .jointModelConflict(let reason):
            return "\(reason); give a joint POS+NER model or POS and NER models, not both"
        }
    }
}

/// Text in, annotated document out: tokenizer → sentence splitter → any of POS, NER and
/// sentiment. The text is tokenized and split once, and every model reads the same words.
///
/// ```swift
/// let pipeline = try Pipeline()   // the shipped models: POS, NER and sentiment
/// let document = pipeline.annotate("Alice Smith moved to Paris. She loves it.")
/// ```
///
/// A pipeline is immutable once made, so one value can annotate from any number of
/// threads at once. Long sentences are read in windows of
/// ``InputLimits/windowWords`` words and batches stay within ``InputLimits/wordsPerCall``
/// words, so memory is bounded whatever the input.
public struct Pipeline: @unchecked Sendable {
    /// The tokenizer.
    public let tokenizer: Tokenizer
    /// The sentence splitter for running text.
    public let segmenter: any SentenceSegmenter
    /// The part-of-speech tagger, if the pipeline tags POS.
    public let pos: TaggerModel?
    /// The named-entity tagger, if the pipeline finds entities.
    public let ner: TaggerModel?
    /// The joint POS+NER model, when `pos` and `ner` are its two tasks: the pipeline then
    /// runs its encoder once for both (`pos` and `ner` are ``JointTaggerModel/pos`` and
    /// ``JointTaggerModel/ner``, which give the same tags one task at a time).
    public let joint: JointTaggerModel?
    /// The sentiment classifier, if the pipeline classifies sentiment.
    public let sentiment: SentimentModel?
    /// Threads used by each call (1 or 2): two batches at once, or a batch's two directions.
    public private(set) var threads: Int

    /// The components the pipeline runs, in order.
    public var components: [PipelineComponent] {
        [pos.map { _ in .pos }, ner.map { _ in .ner }, sentiment.map { _ in .sentiment }]
            .compactMap { $0 }
    }

    /// A pipeline of the given parts. A tagger passed as `pos` must be a POS model and one
    /// passed as `ner` an NER model (``PipelineError/wrongTask(path:found:expected:)``).
    /// A `joint` POS+NER model tags both in one encoder pass; `pos` and `ner` must then be
    /// `nil` (``PipelineError/jointModelConflict(reason:)``). To use one task of a joint
    /// model alone, pass its ``JointTaggerModel/pos`` or ``JointTaggerModel/ner`` as `pos`
    /// or `ner`.
    public init(
        tokenizer: Tokenizer = .english, segmenter: any SentenceSegmenter,
        pos: TaggerModel? = nil, ner: TaggerModel? = nil, joint: JointTaggerModel? = nil,
        sentiment: SentimentModel? = nil, threads: Int = 1
    ) throws {
        precondition(threads >= 1, "thread count must be positive, got \(threads)")
        if joint != nil, pos != nil || ner != nil {
            throw PipelineError.jointModelConflict(
                reason:
                    "a joint POS+NER model tags both POS and entities, and a separate \(pos != nil ? "POS" : "NER") model was given too"
            )
        }
        let pos = joint?.pos ?? pos
        let ner = joint?.ner ?? ner
        if let pos, pos.task != .pos {
            throw PipelineError.wrongTask(
                path: "the pos model", found: pos.task.rawValue, expected: "pos")
        }
        if let ner, ner.task != .ner {
            throw PipelineError.wrongTask(
                path: "the ner model", found: ner.task.rawValue, expected: "ner")
        }
        self.tokenizer = tokenizer
        self.segmenter = Self.segmenter(segmenter, threads: threads)
        self.pos = pos
        self.ner = ner
        self.joint = joint
        self.sentiment = sentiment
        self.threads = threads
    }

    /// `segmenter` running on `threads` threads where it is a neural splitter (also in front
    /// of a ``LineBreakSegmenter``).
    private static func segmenter(_ segmenter: any SentenceSegmenter, threads: Int)
        -> any SentenceSegmenter
    {
        if var neural = segmenter as? NeuralSentenceSplitter {
            neural.threads = threads
            return neural
        }
        if var lines = segmenter as? LineBreakSegmenter {
            lines.base = Self.segmenter(lines.base, threads: threads)
            return lines
        }
        return segmenter
    }

    /// A pipeline of the shipped models (or the files in `modelFiles`, which take the
    /// place of a component's shipped model), found by `locator`.
    ///
    /// POS and entities come from one joint POS+NER model, one encoder pass for both, when
    /// `jointModel` names one, or when both are asked for, neither has a file in
    /// `modelFiles`, and the locator finds the shipped `pos-ner-en.model` (beside
    /// `pos-en.model`, or without it), or when `modelFiles` names the same joint model file
    /// for both; otherwise from separate models. A joint model's file given in `modelFiles`
    /// for `.pos` or `.ner` alone serves that task alone.
    ///
    /// - Parameters:
    ///   - components: which of POS, NER and sentiment to run (default: all three).
    ///   - modelFiles: model files to use instead of the shipped ones, by component.
    ///   - jointModel: a joint POS+NER model file for both POS and NER (`components` must
    ///     hold at least one of them, and `modelFiles` neither).
    ///   - locator: where the shipped models are looked for (``ModelLocator``).
    ///   - splitter: the sentence splitter for running text; `.neural` uses
    ///     `sentenceModel`, else the shipped `sentence-en.model`.
    ///   - sentenceModel: a sentence-splitter model file.
    ///   - lineBreaks: how the splitter reads single line breaks in running text
    ///     (``LineBreakSegmenter``; by default they end sentences unless the text is
    ///     hard-wrapped).
    ///   - tokenizer: the tokenizer (default: the bundled English lexicon).
    ///   - threads: 1 or 2.
    /// - Throws: ``ModelLocatorError`` when a shipped model is missing, model-file errors
    ///   for an unreadable or foreign file, ``PipelineError`` for a model of the wrong task
    ///   or a joint model given beside a POS or NER model.
    public init(
        components: [PipelineComponent] = PipelineComponent.allCases,
        modelFiles: [PipelineComponent: String] = [:], jointModel: String? = nil,
        locator: ModelLocator = ModelLocator(), splitter: SplitterKind = .neural,
        sentenceModel: String? = nil, lineBreaks: LineBreaks = .auto,
        tokenizer: Tokenizer = .english, threads: Int = 1
    ) throws {
        func path(_ component: PipelineComponent) throws -> String {
            try modelFiles[component] ?? locator.existingPath(of: component.shippedModel)
        }
        func tagger(_ component: PipelineComponent) throws -> TaggerModel? {
            guard components.contains(component) else { return nil }
            let file = try path(component)
            let modelFile = try ModelFile.read(from: file)
            let model: TaggerModel
            if modelFile.architecture == JointTaggerModel.architecture {
                let joint = try JointTaggerModel(file: modelFile, path: file)
                model = component == .pos ? joint.pos : joint.ner
            } else {
                model = try TaggerModel(file: modelFile, path: file)
            }
            guard model.task.rawValue == component.rawValue else {
                throw PipelineError.wrongTask(
                    path: file, found: model.task.rawValue, expected: component.rawValue)
            }
            return model
        }
        let wantsPOS = components.contains(.pos)
        let wantsNER = components.contains(.ner)
        var joint: JointTaggerModel?
        if let jointModel {
            guard wantsPOS || wantsNER else {
                throw PipelineError.jointModelConflict(
                    reason:
                        "a joint POS+NER model was given, but neither pos nor ner is among the components"
                )
            }
            guard modelFiles[.pos] == nil, modelFiles[.ner] == nil else {
                throw PipelineError.jointModelConflict(
                    reason:
                        "a joint POS+NER model (\(jointModel)) was given with a \(modelFiles[.pos] != nil ? "POS" : "NER") model file"
                )
            }
            joint = try JointTaggerModel.load(path: jointModel)
        } else if wantsPOS, wantsNER, let file = modelFiles[.pos], modelFiles[.ner] == file {
            // One file for both: a joint model runs once for both tasks.
            let contents = try ModelFile.read(from: file)
            if contents.architecture == JointTaggerModel.architecture {
                joint = try JointTaggerModel(file: contents, path: file)
            }
        } else if wantsPOS, wantsNER, modelFiles[.pos] == nil, modelFiles[.ner] == nil,
            let shipped = locator.path(of: .posNER)
        {
            let folder = { (path: String) in
                URL(fileURLWithPath: path).deletingLastPathComponent().path
            }
            if locator.path(of: .pos).map({ folder($0) == folder(shipped) }) ?? true {
                joint = try JointTaggerModel.load(path: shipped)
            }
        }
        var segmenter: any SentenceSegmenter
        switch splitter {
        case .perceptron: segmenter = SentenceSplitter(lexicon: tokenizer.lexicon)
        case .neural:
            segmenter = try NeuralSentenceSplitter(
                contentsOf: sentenceModel ?? locator.existingPath(of: .sentences))
        }
        if lineBreaks != .wrap {
            segmenter = LineBreakSegmenter(base: segmenter, lineBreaks: lineBreaks)
        }
        let sentiment =
            components.contains(.sentiment) ? try SentimentModel.load(path: path(.sentiment)) : nil
        if let joint, !(wantsPOS && wantsNER) {
            // One task of the joint model.
            try self.init(
                tokenizer: tokenizer, segmenter: segmenter, pos: wantsPOS ? joint.pos : nil,
                ner: wantsNER ? joint.ner : nil, sentiment: sentiment, threads: threads)
        } else if let joint {
            try self.init(
                tokenizer: tokenizer, segmenter: segmenter, joint: joint, sentiment: sentiment,
                threads: threads)
        } else {
            try self.init(
                tokenizer: tokenizer, segmenter: segmenter, pos: tagger(.pos), ner: tagger(.ner),
                sentiment: sentiment, threads: threads)
        }
    }

    // MARK: Tokenizing and splitting

    /// `text` tokenized and cut into sentences by the pipeline's splitter.
    public func document(_ text: String) -> Document {
        tokenizer.document(text, segmenter: segmenter)
    }

    /// Several running texts tokenized and cut into sentences (their windows share the
    /// splitter's batches).
    public func documents(_ texts: [String]) -> [Document] {
        tokenizer.documents(texts, segmenter: segmenter)
    }

    // MARK: Annotating

    /// Annotates running text: tokenized, split into sentences, tagged and classified.
    public func annotate(_ text: String) -> AnnotatedDocument {
        annotate(documents: [document(text)])[0]
    }

    /// Annotates several independent texts at once (batched across texts), in order.
    public func annotate(_ texts: [String]) -> [AnnotatedDocument] {
        annotate(documents: documents(texts))
    }

    /// Annotates pre-tokenized sentences, one array of tokens each; the document's text
    /// is the tokens joined by single spaces, one sentence after another.
    public func annotate(tokens sentences: [[String]]) -> AnnotatedDocument {
        annotate(documents: [Document(tokenizedSentences: sentences)])[0]
    }

    /// Annotates CoNLL-U sentences with their gold tokens and words (multiword tokens
    /// as written); the document's text is rebuilt from FORM and `SpaceAfter`, and the
    /// sentences are kept in ``AnnotatedDocument/conllu`` for writing back.
    public func annotate(conllu sentences: [CoNLLUSentence]) -> AnnotatedDocument {
        annotate(documents: [Document(conllu: sentences)], conllu: [sentences])[0]
    }

    /// Annotates tokenized documents: the core every other entry point runs. Every
    /// sentence of every document goes through each model in shared batches.
    /// - Parameter conllu: for CoNLL-U input, each document's sentences as read.
    public func annotate(documents: [Document], conllu: [[CoNLLUSentence]] = [])
        -> [AnnotatedDocument]
    {
        precondition(
            conllu.isEmpty || conllu.count == documents.count,
            "\(conllu.count) CoNLL-U sentence lists for \(documents.count) documents")
        var sentenceWords: [[String]] = []
        for document in documents {
            for range in document.sentences {
                var words: [String] = []
                words.reserveCapacity(range.count)
                for token in document.tokens[range] { token.appendSyntacticWords(to: &words) }
                sentenceWords.append(words)
            }
        }
        let posTags: [[TokenPrediction]]?
        let nerTags: [[TokenPrediction]]?
        if let joint {
            // One encoder pass for both tasks.
            let tagged = joint.tagBounded(sentenceWords, threads: threads)
            (posTags, nerTags) = (tagged.map(\.pos), tagged.map(\.ner))
        } else {
            posTags = pos?.tagBounded(sentenceWords, threads: threads)
            nerTags = ner?.tagBounded(sentenceWords, threads: threads)
        }
        let sentimentProbabilities = sentiment?.probabilitiesBounded(
            sentenceWords, threads: threads)
        let builder = DocumentBuilder(
            components: components, ner: ner, sentimentLabels: sentiment?.labelNames ?? [])
        var next = 0
        return documents.enumerated().map { d, document in
            let count = document.sentences.count
            defer { next += count }
            return builder.build(
                document, conllu: conllu.isEmpty ? [] : conllu[d],
                words: sentenceWords[next..<(next + count)],
                pos: posTags?[next..<(next + count)], ner: nerTags?[next..<(next + count)],
                sentiment: sentimentProbabilities?[next..<(next + count)])
        }
    }

    /// How long a streaming batch waits to fill once its first document is there, so that
    /// input that keeps up gives full batches. The output does not depend on the batches:
    /// a sentence's tags and probabilities are the same, to the bit, in any batch.
    public static let batchPatience = 0.1

    /// The fewest sentences in a batch of the lanes' shrinking last batches (see
    /// `Prefetcher.nextBatch(maximum:patience:sharedBy:smallestShare:unless:)`): one pass
    /// of the taggers' sorted passes of 32.
    static let smallestTailBatch = 32

    /// Annotates everything `reader` reads, calling `body` with each document in input
    /// order. Reading, tokenizing and splitting run on a second thread while the models
    /// run on this one; documents are annotated in batches of whatever has arrived (at
    /// most `batchSize` sentences, or one document of more, waiting up to
    /// ``batchPatience`` for a batch to fill), and at most twice that many sentences wait,
    /// so memory stays flat however long the input is and a slow producer
    /// sees each result as soon as its batch is done. `batchDone` is called after each
    /// batch (to flush output).
    ///
    /// A pipeline of one thread whose reader splits sentences (running text, a document a
    /// line) reads on this thread instead: the splitter is a model, and the second thread
    /// would make one thread's work take two cores (several single-thread processes side
    /// by side, as on Spark executors, would then compete for cores).
    public func annotate(
        _ reader: DocumentReader, batchSize: Int = 256,
        _ body: (InputDocument, AnnotatedDocument) throws -> Void,
        batchDone: () throws -> Void = {}
    ) throws {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        if threads == 1 && reader.splitsSentences {
            try annotateInline(reader, batchSize: batchSize, body, batchDone: batchDone)
            return
        }
        let prefetcher = Prefetcher(
            capacity: 2 * batchSize, weight: { $0.document.sentences.count }
        ) { try reader.next() }
        if threads >= 2 {
            try annotateInLanes(
                prefetcher, conllu: reader.format == .conllu, batchSize: batchSize, body,
                batchDone: batchDone)
            return
        }
        while true {
            let batch = try prefetcher.nextBatch(maximum: batchSize, patience: Self.batchPatience)
            if batch.isEmpty { break }
            let annotated = annotate(
                documents: batch.map(\.document),
                conllu: reader.format == .conllu ? batch.map(\.conllu) : [])
            for k in batch.indices { try body(batch[k], annotated[k]) }
            try batchDone()
        }
    }

    /// `annotate(_:batchSize:_:batchDone:)` with whole batches on `threads` lanes: each
    /// batch is annotated on a thread of its own by this pipeline on one thread, `threads`
    /// batches running at once, while this thread hands the finished ones to `body` in
    /// input order. A lane whose batch ends starts the next one at once, even while an
    /// earlier batch is still running or its output is being written (the batches held,
    /// running or finished, have at most `2 · threads · batchSize` sentences), so
    /// neither the writing nor a longer batch leaves a core idle. Once the input has ended,
    /// the sentences left are shared out in shrinking batches (`Prefetcher`'s `sharedBy`),
    /// so that the lanes finish together. Nothing waits for a fork and join inside a batch.
    /// A slow producer still sees each result as soon as its batch is done: waiting for the
    /// next batch stops when the first one held is done. The output is the same as on one
    /// thread (a sentence's tags and probabilities do not depend on its batch).
    private func annotateInLanes(
        _ prefetcher: Prefetcher<InputDocument>, conllu: Bool, batchSize: Int,
        _ body: (InputDocument, AnnotatedDocument) throws -> Void,
        batchDone: () throws -> Void
    ) throws {
        var lane = self
        lane.threads = 1
        let worker = lane
        // Signalled once by each batch at its end; a wake-up finds the state changed or
        // waits again, so signals left over from batches already handled do no harm.
        let batchEnded = DispatchSemaphore(value: 0)
        var held: [(batch: [InputDocument], sentences: Int, job: LaneJob<[AnnotatedDocument]>)] =
            []
        var ended = false
        var failure: Error?
        while true {
            let running = held.reduce(0) { $0 + ($1.job.isDone ? 0 : 1) }
            // Held batches are bounded by their sentences, so the small last batches of a
            // file keep a lane busy while an earlier, longer batch is still running.
            let heldSentences = held.reduce(0) { $0 + $1.sentences }
            if !ended && failure == nil && running < threads
                && heldSentences + batchSize <= 2 * threads * batchSize
            {
                do {
                    // Stop waiting for input once the first batch held can be written.
                    let first = held.first?.job
                    if let batch = try prefetcher.nextBatch(
                        maximum: batchSize, patience: Self.batchPatience,
                        sharedBy: 2 * threads, smallestShare: Self.smallestTailBatch,
                        unless: { first?.isDone ?? false })
                    {
                        if batch.isEmpty {
                            ended = true
                        } else {
                            let documents = batch.map(\.document)
                            let sentences = conllu ? batch.map(\.conllu) : []
                            let job = LaneJob(then: {
                                batchEnded.signal()
                                prefetcher.wake()
                            }) {
                                worker.annotate(documents: documents, conllu: sentences)
                            }
                            held.append(
                                (batch, documents.reduce(0) { $0 + $1.sentences.count }, job))
                        }
                        continue
                    }
                } catch {
                    failure = error
                }
            }
            guard let first = held.first else { break }
            if first.job.isDone {
                held.removeFirst()
                let annotated = first.job.result()
                // By index: zip's copies of the documents cost retains and releases.
                for k in first.batch.indices { try body(first.batch[k], annotated[k]) }
                try batchDone()
            } else {
                batchEnded.wait()
            }
        }
        if let failure { throw failure }
    }

    /// `annotate(_:batchSize:_:batchDone:)` reading on the calling thread: batches of
    /// `batchSize` sentences (or one document of more). A read error comes after the
    /// documents read before it have been annotated and handed to `body`.
    private func annotateInline(
        _ reader: DocumentReader, batchSize: Int,
        _ body: (InputDocument, AnnotatedDocument) throws -> Void,
        batchDone: () throws -> Void
    ) throws {
        var failure: Error?
        while failure == nil {
            var batch: [InputDocument] = []
            var sentences = 0
            do {
                while sentences < batchSize, let input = try reader.next() {
                    batch.append(input)
                    sentences += max(1, input.document.sentences.count)
                }
            } catch {
                failure = error
            }
            if batch.isEmpty { break }
            let annotated = annotate(documents: batch.map(\.document))
            for k in batch.indices { try body(batch[k], annotated[k]) }
            try batchDone()
        }
        if let failure { throw failure }
    }
}

/// Assembles annotated documents from the models' outputs.
struct DocumentBuilder {
    let components: [PipelineComponent]
    let ner: TaggerModel?
    let sentimentLabels: [String]

    func build(
        _ document: Document, conllu: [CoNLLUSentence], words sentenceWords: ArraySlice<[String]>,
        pos: ArraySlice<[TokenPrediction]>?, ner nerTags: ArraySlice<[TokenPrediction]>?,
        sentiment: ArraySlice<[Float]>?
    ) -> AnnotatedDocument {
        let offsets = OffsetTable(text: document.text, tokens: document.tokens)
        var tokens: [AnnotatedToken] = []
        var words: [AnnotatedWord] = []
        var sentences: [AnnotatedSentence] = []
        var entities: [Entity] = []
        tokens.reserveCapacity(document.tokens.count)
        words.reserveCapacity(document.tokens.count)
        var sums: [Float] = []
        var weight: Float = 0
        // Tokens outside every sentence (none from the pipeline's own splitting) are kept.
        var tokenIndex = 0
        func addToken(_ index: Int) {
            let token = document.tokens[index]
            let first = words.count
            token.forEachSyntacticWord {
                words.append(AnnotatedWord(text: $0, token: index, pos: nil, ner: nil))
            }
            tokens.append(
                AnnotatedToken(
                    text: token.text, range: offsets.range(of: token, at: index),
                    words: first..<words.count, spaceAfter: token.spaceAfter))
        }
        for (s, range) in document.sentences.enumerated() {
            while tokenIndex < range.lowerBound {
                addToken(tokenIndex)
                tokenIndex += 1
            }
            let firstWord = words.count
            for index in range { addToken(index) }
            tokenIndex = range.upperBound
            let k = sentenceWords.startIndex + s
            precondition(words.count - firstWord == sentenceWords[k].count, "word count changed")
            if let pos {
                for (w, prediction) in pos[k].enumerated() { words[firstWord + w].pos = prediction }
            }
            let firstEntity = entities.count
            if let nerTags, let ner {
                let predictions = nerTags[k]
                for (w, prediction) in predictions.enumerated() {
                    words[firstWord + w].ner = prediction
                }
                for span in ner.entities(in: predictions.map(\.tag)) {
                    let firstToken = words[firstWord + span.range.lowerBound].token
                    let lastToken = words[firstWord + span.range.upperBound - 1].token
                    let entityRange = tokens[firstToken].range.extended(to: tokens[lastToken].range)
                    entities.append(
                        Entity(
                            type: span.type,
                            text: String(Self.slice(document.text, entityRange.utf8)),
                            range: entityRange, tokens: firstToken..<(lastToken + 1),
                            words: (firstWord + span.range.lowerBound)..<(firstWord
                                + span.range.upperBound),
                            sentence: s))
                }
            }
            var sentenceSentiment: Sentiment?
            if let sentiment, !range.isEmpty {
                let p = sentiment[k]
                sentenceSentiment = Sentiment(labels: sentimentLabels, probabilities: p)
                let w = Float(max(1, sentenceWords[k].count))
                if sums.isEmpty { sums = [Float](repeating: 0, count: p.count) }
                for j in p.indices { sums[j] += p[j] * w }
                weight += w
            }
            let sentenceRange =
                range.isEmpty
                ? TextRange(scalars: 0..<0, utf16: 0..<0, utf8: 0..<0)
                : tokens[range.lowerBound].range.extended(to: tokens[range.upperBound - 1].range)
            sentences.append(
                AnnotatedSentence(
                    range: sentenceRange, tokens: range, words: firstWord..<words.count,
                    entities: firstEntity..<entities.count, sentiment: sentenceSentiment))
        }
        while tokenIndex < document.tokens.count {
            addToken(tokenIndex)
            tokenIndex += 1
        }
        return AnnotatedDocument(
            text: document.text, tokens: tokens, words: words, sentences: sentences,
            entities: entities,
            sentiment: sentences.count == 1
                ? sentences[0].sentiment
                : weight > 0
                    ? Sentiment(labels: sentimentLabels, probabilities: sums.map { $0 / weight })
                    : nil,
            components: components, conllu: conllu)
    }

    static func slice(_ text: String, _ range: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return text[start..<utf8.index(start, offsetBy: range.count)]
    }
}

/// Work running on a thread of its own, whose result is waited for once.
final class LaneJob<Result>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false
    private var value: Result?

    /// Starts `work` on a new thread (with the stack of the reading thread, 8 MiB), then
    /// calls `then` on that thread once ``isDone``.
    init(then: @escaping @Sendable () -> Void, _ work: @escaping () -> Result) {
        let thread = Thread { [self] in
            let result = work()
            lock.withLock {
                value = result
                finished = true
            }
            done.signal()
            then()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Whether the work has ended.
    var isDone: Bool { lock.withLock { finished } }

    /// Waits for the work to end and returns its result.
    func result() -> Result {
        done.wait()
        return lock.withLock { value! }
    }
}

