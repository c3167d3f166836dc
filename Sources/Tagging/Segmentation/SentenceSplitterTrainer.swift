import Corpora
import Foundation
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Text
import Tokenization

/// Trains a ``NeuralSentenceSplitter`` on the running text of a treebank: each document's
/// sentences (from `# newdoc`) are joined with single spaces, tokenized, and every token
/// followed by a space is labelled with whether a gold sentence ends there. Windows of
/// the token stream at a random phase each epoch, Adam, gradient clipping, word dropout;
/// after each epoch the dev Sentences F1 is measured over a grid of thresholds and the best
/// epoch and threshold are kept; last, the weight of the perceptron's score and the thresholds
/// are chosen on dev, those for text with paragraphs on dev laid out in paragraphs
/// (``tuneCombination(_:dev:tokenizer:)``). Deterministic for a seed (single-threaded BLAS).
public struct SentenceSplitterTrainer {
    /// The network's hyper-parameters (`threshold` is chosen on dev).
    public var configuration = SentenceBoundaryConfiguration()
    /// Passes over the training documents.
    public var epochs = 10
    /// Windows per batch.
    public var batchSize = 16
    /// Tokens per training window.
    public var trainingWindow = 100
    /// Adam's learning rate.
    public var learningRate: Float = 0.002
    /// The learning rate is multiplied by this after each epoch.
    public var learningRateDecay: Float = 0.85
    /// The largest global gradient norm.
    public var maximumGradientNorm: Float = 5
    /// Probability of replacing a word id by the unknown word during training.
    public var wordDropout = 0.1
    /// Dropout probability on the encoder output.
    public var outputDropout = 0.0
    /// Words seen fewer times in training are unknown.
    public var minimumWordCount = 2
    /// At most this many words (the most frequent).
    public var maximumWords = 8000
    /// Networks trained with seeds `seed`, `seed + 1`, … and averaged.
    public var members = 1
    /// The seed of initialisation, window phases, shuffling and word dropout.
    public var seed: UInt64 = 1
    /// Fixed pretrained word vectors appended to each token's features (stored in the model).
    public var pretrained: PretrainedVectors?
    /// Altered copies of the training documents added to them (see `augmentation`).
    public var augmentedCopies = 0
    /// In an altered copy, the probability of dropping a sentence's final period, and
    /// independently of lowercasing its first letter.
    public var augmentation = 0.3
    /// In an altered copy, the probability that a document loses the final punctuation of
    /// every sentence but its last (see ``strippingFinalPunctuation(_:)``), as list-like
    /// documents (names, tables, headers, signatures) have none. Drawn from a stream of its
    /// own, once per document: 0 leaves the altered copies as they were without it.
    public var documentAugmentation = 0.0
    /// Copies of the training documents laid out in paragraphs (`# newpar`, separated by
    /// blank lines, whose edges the model sees like a text's start and end) added to them.
    public var paragraphCopies = 0

    /// Where checkpoints are written (after each epoch and on a stop); removed after a
    /// finished run.
    public var checkpointPath: String?
    /// Continue from `checkpointPath` if it exists, to the model the uninterrupted run gives.
    public var resume = false
    /// Polled before every batch; returning `true` writes a checkpoint and stops: `train`
    /// then returns `nil`.
    public var shouldStop: (() -> Bool)?

    /// A trainer with the default options.
    public init() {}

    /// What a checkpoint of the splitter's training keeps besides the model and the loop.
    struct CheckpointOptions: Codable {
        /// The ensemble member being trained, from 0.
        var member: Int
        /// Adam's learning rate at the start of each member's training.
        var learningRate: Double
    }

    /// The progress of one epoch.
    public struct EpochReport: Sendable {
        /// 1-based ensemble member; 0 for the final report of the averaged ensemble.
        public var member: Int
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean training loss.
        public var loss: Double
        /// Best dev Sentences F1 over the threshold grid.
        public var devF1: Double
        /// The threshold after sentence-final punctuation that gave it.
        public var threshold: Double
        /// The threshold elsewhere that gave it.
        public var unpunctuatedThreshold: Double
        /// Seconds spent in the epoch (training and dev).
        public var seconds: Double
    }

    /// One document prepared for training or scoring.
    struct Prepared {
        var text: String
        var tokens: [Token]
        var targets: [Int]
        var mask: [Bool]
        var goldSentences: Set<[Int]>
        var encoded: NeuralSentenceSplitter.Encoded?
    }

    static func prepare(_ sentences: [CoNLLUSentence], tokenizer: Tokenizer) -> [Prepared] {
        prepare(texts: CoNLLUSentence.runningTexts(sentences), tokenizer: tokenizer)
    }

    /// Running texts whose sentences were made harder to split: each sentence's final `.`
    /// is dropped with probability `probability` (when a letter precedes it), and
    /// independently its first letter is lowercased (unless the first word is `I` or written
    /// in capitals), so that boundaries without punctuation or capitals are more frequent.
    public static func augmentedTexts(
        _ sentences: [CoNLLUSentence], probability: Double, random: inout SeededRandom
    ) -> [(text: String, sentenceEnds: [Int])] {
        var unused = SeededRandom(seed: 0)
        return augmentedTexts(
            sentences, probability: probability, random: &random, documentProbability: 0,
            documentRandom: &unused)
    }

    /// The characters ``strippingFinalPunctuation(_:)`` removes from a sentence's end.
    public static let finalPunctuation: Set<Unicode.Scalar> = [".", "!", "?", ":", ";"]

    /// `scalars` without the run of ``finalPunctuation`` that ends them (`.`, `...`, `?!`,
    /// a trailing `:` or `;`), unless nothing would be left or a space precedes the run (the
    /// sentence's last token would then not end where the sentence does). A sentence ending
    /// with a closing quote or bracket (`."`, `.)`) or an emoticon keeps its characters.
    public static func strippingFinalPunctuation(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var end = scalars.count
        while end > 0 && finalPunctuation.contains(scalars[end - 1]) { end -= 1 }
        guard end > 0, end < scalars.count, !scalars[end - 1].properties.isWhitespace else {
            return scalars
        }
        return Array(scalars[..<end])
    }

    /// ``augmentedTexts(_:probability:random:)`` where, besides, each document with
    /// probability `documentProbability` (drawn once per document from `documentRandom`,
    /// only when it is above 0) loses the final punctuation of every sentence but its last
    /// (``strippingFinalPunctuation(_:)``), after the alterations of each sentence, whose
    /// draws from `random` are the same whatever `documentProbability`. With
    /// `documentProbability` 0 the texts are those of ``augmentedTexts(_:probability:random:)``.
    public static func augmentedTexts(
        _ sentences: [CoNLLUSentence], probability: Double, random: inout SeededRandom,
        documentProbability: Double, documentRandom: inout SeededRandom
    ) -> [(text: String, sentenceEnds: [Int])] {
        CoNLLUSentence.documents(sentences).map { document in
            let unpunctuated =
                documentProbability > 0 && documentRandom.nextUnit() < documentProbability
            var texts = document.map(\.rawText)
            for k in texts.indices {
                var scalars = Array(texts[k].unicodeScalars)
                if k + 1 < texts.count && scalars.count >= 2 && scalars.last == "."
                    && scalars[scalars.count - 2].properties.isAlphabetic
                    && random.nextUnit() < probability
                {
                    scalars.removeLast()
                }
                if k > 0, let first = scalars.first, first.properties.isUppercase,
                    random.nextUnit() < probability
                {
                    let word = scalars.prefix { !$0.properties.isWhitespace }
                    let capitals = word.count > 1 && word.allSatisfy { !$0.properties.isLowercase }
                    if !capitals && String(String.UnicodeScalarView(word)) != "I" {
                        scalars[0] = String(first).lowercased().unicodeScalars.first ?? first
                    }
                }
                if unpunctuated && k + 1 < texts.count {
                    scalars = strippingFinalPunctuation(scalars)
                }
                texts[k] = String(String.UnicodeScalarView(scalars))
            }
            var ends: [Int] = []
            var offset = 0
            for t in texts {
                offset += t.unicodeScalars.count
                ends.append(offset)
                offset += 1
            }
            return (texts.joined(separator: " "), ends)
        }
    }

    static func prepare(
        texts: [(text: String, sentenceEnds: [Int])], tokenizer: Tokenizer
    ) -> [Prepared] {
        texts.map { text, ends in
            let tokens = tokenizer.tokenize(text)
            let endSet = Set(ends)
            var targets = [Int](repeating: 0, count: tokens.count)
            var mask = [Bool](repeating: false, count: tokens.count)
            for (i, token) in tokens.enumerated() {
                targets[i] = endSet.contains(token.scalarRange.upperBound) ? 1 : 0
                mask[i] = token.spaceAfter && i + 1 < tokens.count
            }
            // A sentence starts at the first non-blank scalar after the previous one's end.
            let scalars = Array(text.unicodeScalars)
            var gold = Set<[Int]>()
            var start = 0
            for end in ends {
                while start < scalars.count && scalars[start].properties.isWhitespace {
                    start += 1
                }
                gold.insert([start, end])
                start = end
            }
            return Prepared(
                text: text, tokens: tokens, targets: targets, mask: mask, goldSentences: gold)
        }
    }

    /// Sentences F1 of `documents` split with `probabilities` at `threshold`: a system
    /// sentence is correct when its first and last characters are a gold sentence's.
    static func sentenceF1(
        _ documents: [Prepared], probabilities: [[Float]], splitter: NeuralSentenceSplitter,
        thresholds: (Double, Double)
    ) -> Double {
        var correct = 0
        var gold = 0
        var system = 0
        for (d, document) in documents.enumerated() {
            let ranges = splitter.sentences(
                of: document.tokens, in: document.text, probabilities: probabilities[d],
                thresholds: thresholds)
            gold += document.goldSentences.count
            system += ranges.count
            for r in ranges {
                let span = [
                    document.tokens[r.lowerBound].scalarRange.lowerBound,
                    document.tokens[r.upperBound - 1].scalarRange.upperBound,
                ]
                if document.goldSentences.contains(span) { correct += 1 }
            }
        }
        return correct == 0 ? 0 : 2 * Double(correct) / Double(gold + system)
    }

    /// The thresholds (after punctuation, elsewhere) with the best Sentences F1 on
    /// `documents`: a common grid first, then each one in turn with the other fixed.
    static func bestThresholds(
        _ documents: [Prepared], probabilities: [[Float]], splitter: NeuralSentenceSplitter
    ) -> (f1: Double, punctuated: Double, unpunctuated: Double) {
        let grid = stride(from: 0.1, through: 0.9, by: 0.05).map { $0 }
        var best = (f1: -1.0, punctuated: 0.5, unpunctuated: 0.5)
        func consider(_ a: Double, _ b: Double) {
            let f1 = sentenceF1(
                documents, probabilities: probabilities, splitter: splitter, thresholds: (a, b))
            if f1 > best.f1 { best = (f1, a, b) }
        }
        for t in grid { consider(t, t) }
        for _ in 0..<2 {
            let fixed = best
            for t in grid { consider(fixed.punctuated, t) }
            let fixed2 = best
            for t in grid { consider(t, fixed2.unpunctuated) }
        }
        return best
    }

    /// `sentences` laid out as the CoNLL 2018 shared task's raw text, prepared for scoring:
    /// one text, paragraphs separated by blank lines (documents too), lines wrapped.
    static func paragraphText(_ sentences: [CoNLLUSentence], tokenizer: Tokenizer) -> [Prepared] {
        var text = ""
        var ends: [Int] = []
        var offset = 0
        for document in CoNLLUSentence.runningTexts(sentences, layout: .paragraphs) {
            if !text.isEmpty {
                text += "\n\n"
                offset += 2
            }
            text += document.text
            ends += document.sentenceEnds.map { $0 + offset }
            offset += document.text.unicodeScalars.count
        }
        return text.isEmpty ? [] : prepare(texts: [(text, ends)], tokenizer: tokenizer)
    }

    /// The weights of the perceptron's score tried by ``tuneCombination(_:dev:tokenizer:)``.
    public static let perceptronWeights = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5]

    /// Chooses on `dev` the ``SentenceBoundaryConfiguration/perceptronWeight`` of `splitter`
    /// with its thresholds (the best dev Sentences F1 of running text, each weight with the
    /// thresholds the usual search finds for it), then the thresholds for text with
    /// paragraphs on `dev` laid out as the CoNLL 2018 shared task's raw text (one text,
    /// paragraphs separated by blank lines, lines wrapped). Returns the two dev F1s and the
    /// weight; `dev` empty: leaves the splitter as it is.
    @discardableResult
    public static func tuneCombination(
        _ splitter: inout NeuralSentenceSplitter, dev: [CoNLLUSentence], tokenizer: Tokenizer
    ) -> (f1: Double, paragraphF1: Double, weight: Double)? {
        let documents = prepare(dev, tokenizer: tokenizer)
        let paragraphs = paragraphText(dev, tokenizer: tokenizer)
        guard !documents.isEmpty, !paragraphs.isEmpty else { return nil }
        func inputs(_ prepared: [Prepared]) -> (network: [[Float]], scores: [[Double]]) {
            let both = splitter.networkProbabilitiesAndScores(
                ofTexts: prepared.map { ($0.tokens, $0.text) })
            return (both.probabilities, both.scores)
        }
        let running = inputs(documents)
        var best: (f1: Double, punctuated: Double, unpunctuated: Double, weight: Double)?
        for weight in perceptronWeights {
            let probabilities = zip(running.network, running.scores).map {
                NeuralSentenceSplitter.combined($0, scores: $1, weight: weight)
            }
            let found = bestThresholds(documents, probabilities: probabilities, splitter: splitter)
            if found.f1 > best?.f1 ?? -1 {
                best = (found.f1, found.punctuated, found.unpunctuated, weight)
            }
        }
        guard let best else { return nil }
        splitter.configuration.perceptronWeight = best.weight
        splitter.configuration.threshold = best.punctuated
        splitter.configuration.unpunctuatedThreshold = best.unpunctuated
        let inParagraphs = inputs(paragraphs)
        let probabilities = zip(inParagraphs.network, inParagraphs.scores).map {
            NeuralSentenceSplitter.combined($0, scores: $1, weight: best.weight)
        }
        let found = bestThresholds(paragraphs, probabilities: probabilities, splitter: splitter)
        splitter.configuration.paragraphThreshold = found.punctuated
        splitter.configuration.paragraphUnpunctuatedThreshold = found.unpunctuated
        return (best.f1, found.f1, best.weight)
    }

    /// Trains on `train` (never dev or test), choosing the epoch and threshold on `dev`.
    /// `tokenizer` tokenizes the running text (its lexicon's abbreviations become a feature).
    /// `progress` is called after each epoch. Returns `nil` when `shouldStop` interrupted
    /// the run (after writing a checkpoint to resume from); throws `TrainingError` when the
    /// loss or a gradient is not finite.
    public func train(
        train: [CoNLLUSentence], dev: [CoNLLUSentence], tokenizer: Tokenizer,
        progress: (EpochReport) -> Void = { _ in }
    ) throws -> NeuralSentenceSplitter? {
        precondition(epochs > 0 && batchSize > 0 && trainingWindow > 1, "bad training options")
        var random = SeededRandom(seed: seed)
        var trainDocuments = Self.prepare(train, tokenizer: tokenizer)
        let originalCount = trainDocuments.count
        if augmentedCopies > 0 {
            var augmentationRandom = SeededRandom(seed: seed &+ 1000)
            var documentRandom = SeededRandom(seed: seed &+ 2000)
            for _ in 0..<augmentedCopies {
                trainDocuments += Self.prepare(
                    texts: Self.augmentedTexts(
                        train, probability: augmentation, random: &augmentationRandom,
                        documentProbability: documentAugmentation,
                        documentRandom: &documentRandom),
                    tokenizer: tokenizer)
            }
        }
        for _ in 0..<paragraphCopies {
            trainDocuments += Self.prepare(
                texts: CoNLLUSentence.runningTexts(train, layout: .paragraphs),
                tokenizer: tokenizer)
        }
        let devDocuments = Self.prepare(dev, tokenizer: tokenizer)

        var wordCounts: [String: Int] = [:]
        var shapeCounts: [String: Int] = [:]
        for document in trainDocuments.prefix(originalCount) {
            for token in document.tokens {
                wordCounts[BoundaryFeatures.key(token.text), default: 0] += 1
                shapeCounts[SentenceSplitter.shape(token.text), default: 0] += 1
            }
        }
        func vocabulary(_ counts: [String: Int], minimum: Int, maximum: Int) -> [String] {
            let kept = counts.filter { $0.value >= minimum }.sorted {
                $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key)
            }
            return ["<unk>"] + kept.prefix(maximum).map(\.key)
        }
        let words = vocabulary(wordCounts, minimum: minimumWordCount, maximum: maximumWords)
        let shapes = vocabulary(shapeCounts, minimum: 2, maximum: 1000)
        let featureCount = BoundaryFeatures.count + (pretrained?.dimension ?? 0)
        let network = SentenceBoundaryNetwork<Float>(
            wordCount: words.count, wordDimension: configuration.wordDimension,
            shapeCount: shapes.count, shapeDimension: configuration.shapeDimension,
            featureCount: featureCount, hiddenSize: configuration.hiddenSize,
            layers: configuration.layers,
            random: &random)
        var splitter = NeuralSentenceSplitter(
            configuration: configuration, networks: [network], words: words, shapes: shapes,
            abbreviations: tokenizer.lexicon.abbreviations,
            perceptronWeights: tokenizer.lexicon.boundaryWeights, pretrained: pretrained)
        // The perceptron score of a training document comes from a perceptron trained on the
        // other half of the documents (two folds), so that it is as reliable as on new text.
        let documents = CoNLLUSentence.documents(train)
        var foldWeights: [[String: Double]] = []
        for fold in 0..<2 {
            let others = documents.enumerated().filter { $0.offset % 2 != fold }.flatMap(\.element)
            foldWeights.append(
                others.isEmpty || tokenizer.lexicon.boundaryWeights.isEmpty
                    ? [:] : TokenizerTrainer().learnBoundaries(others, tokenizer: tokenizer))
        }
        for d in trainDocuments.indices {
            trainDocuments[d].encoded = splitter.encode(
                trainDocuments[d].tokens, in: trainDocuments[d].text,
                perceptron: foldWeights[(d % originalCount) % 2]
            )
        }

        var trained: [SentenceBoundaryNetwork<Float>] = []
        var firstMember = 0
        var learningRate = Double(self.learningRate)
        var checkpoint: TrainingCheckpoint<CheckpointOptions>? = nil
        if resume, let checkpointPath, FileManager.default.fileExists(atPath: checkpointPath) {
            let read = try TrainingCheckpoint<CheckpointOptions>.read(from: checkpointPath)
            do {
                try checkCheckpointValue(
                    (0..<members).contains(read.options.member), "options.member",
                    read.options.member, valid: "in 0..<\(members), the ensemble members")
                try checkCheckpointValue(
                    read.options.learningRate > 0 && read.options.learningRate.isFinite,
                    "options.learningRate", read.options.learningRate,
                    valid: "finite and positive")
            } catch let error as CheckpointError {
                throw error.at(path: checkpointPath)
            }
            let saved = try NeuralSentenceSplitter(modelFile: read.model, path: checkpointPath)
            guard saved.words == words, saved.shapes == shapes,
                saved.networks.count == read.options.member + 1
            else {
                throw ModelError.wrongKind(
                    path: checkpointPath, architecture: "a checkpoint of other training data",
                    expected: "a checkpoint of this training data")
            }
            trained = Array(saved.networks.dropLast())
            firstMember = read.options.member
            learningRate = read.options.learningRate
            splitter.configuration = saved.configuration
            checkpoint = read
        }
        for member in firstMember..<members {
            if member > 0 {
                random = SeededRandom(seed: seed &+ UInt64(member))
                splitter.networks = [
                    SentenceBoundaryNetwork<Float>(
                        wordCount: words.count, wordDimension: configuration.wordDimension,
                        shapeCount: shapes.count, shapeDimension: configuration.shapeDimension,
                        featureCount: featureCount, hiddenSize: configuration.hiddenSize,
                        layers: configuration.layers,
                        random: &random)
                ]
            }
            var task = SentenceSplitterTask(
                trainer: self, splitter: splitter, trainDocuments: trainDocuments,
                devDocuments: devDocuments, random: random)
            var options = TrainingLoopOptions(epochs: epochs, learningRate: learningRate)
            options.clip = Double(maximumGradientNorm)
            options.learningRate.epochDecay = Double(learningRateDecay)
            var loop = TrainingLoop<SentenceSplitterTask, Adam<Float>>(
                options: options, network: splitter.networks[0],
                optimizer: Adam(learningRate: Float(learningRate)))
            if let saved = checkpoint {
                let network = try NeuralSentenceSplitter(
                    modelFile: saved.model, path: checkpointPath ?? "<memory>").networks.last!
                do {
                    try saved.task.validateMatrices(prefix: "best.", against: network)
                    try loop.resume(from: saved.contents(network: network), task: &task)
                } catch let error as CheckpointError {
                    throw error.at(path: checkpointPath ?? "")
                }
                checkpoint = nil
            }
            loop.shouldStop = shouldStop
            if let checkpointPath {
                let (done, base, saved) = (trained, splitter, learningRate)
                loop.saveCheckpoint = { contents in
                    var file = base
                    file.networks = done + [contents.network]
                    try TrainingCheckpoint(
                        model: file.modelFile,
                        options: CheckpointOptions(member: member, learningRate: saved),
                        contents: contents
                    ).write(to: checkpointPath)
                }
            }
            let reports = task.reports
            let interrupted = try withoutActuallyEscaping(progress) { progress in
                loop.onEvent = { event in
                    guard case .epochFinished(let e) = event, let last = reports.last else {
                        return
                    }
                    progress(
                        EpochReport(
                            member: member + 1, epoch: e.epoch, loss: e.loss, devF1: last.f1,
                            threshold: last.punctuated,
                            unpunctuatedThreshold: last.unpunctuated,
                            seconds: e.seconds + last.seconds))
                }
                defer { loop.onEvent = nil }
                do {
                    return try loop.run(&task)
                } catch let error as CheckpointError {
                    // Only a resumed run's place can disagree with its epoch's plan.
                    throw error.at(path: checkpointPath ?? "")
                }
            }
            if interrupted { return nil }
            let best = task.best ?? (network: loop.network, thresholds: (0.5, 0.5))
            trained.append(best.network)
            splitter.configuration.threshold = best.thresholds.punctuated
            splitter.configuration.unpunctuatedThreshold = best.thresholds.unpunctuated
        }
        splitter.networks = trained
        splitter.configuration.members = trained.count
        if members > 1 && !devDocuments.isEmpty {
            let probabilities = devDocuments.map {
                splitter.boundaryProbabilities($0.tokens, in: $0.text)
            }
            let chosen = Self.bestThresholds(
                devDocuments, probabilities: probabilities, splitter: splitter)
            splitter.configuration.threshold = chosen.punctuated
            splitter.configuration.unpunctuatedThreshold = chosen.unpunctuated
            progress(
                EpochReport(
                    member: 0, epoch: 0, loss: 0, devF1: chosen.f1, threshold: chosen.punctuated,
                    unpunctuatedThreshold: chosen.unpunctuated, seconds: 0))
        }
        Self.tuneCombination(&splitter, dev: dev, tokenizer: tokenizer)
        TrainingCheckpoint<CheckpointOptions>.remove(checkpointPath)
        return splitter
    }
}

/// The dev results of a splitter's epochs: the best thresholds of the latest epoch and the
/// seconds its scoring took.
final class SplitterEpochResults {
    var last: (f1: Double, punctuated: Double, unpunctuated: Double, seconds: Double)?
}

/// The training task of one network of the sentence splitter: windows of the token stream
/// at a seeded phase per epoch, shuffled and batched, word dropout and output dropout drawn
/// from the same generator; after each epoch the best thresholds on dev and their Sentences
/// F1. The generator and the best network go into checkpoints.
struct SentenceSplitterTask: TrainingTask {
    typealias Network = SentenceBoundaryNetwork<Float>

    let trainer: SentenceSplitterTrainer
    var splitter: NeuralSentenceSplitter
    let trainDocuments: [SentenceSplitterTrainer.Prepared]
    let devDocuments: [SentenceSplitterTrainer.Prepared]
    var random: SeededRandom
    var epochStart: SeededRandom
    var pending: SeededRandom?
    var windows: [(document: Int, start: Int, length: Int)] = []
    let reports = SplitterEpochResults()
    var best: (network: Network, thresholds: (punctuated: Double, unpunctuated: Double))?

    init(
        trainer: SentenceSplitterTrainer, splitter: NeuralSentenceSplitter,
        trainDocuments: [SentenceSplitterTrainer.Prepared],
        devDocuments: [SentenceSplitterTrainer.Prepared], random: SeededRandom
    ) {
        self.trainer = trainer
        self.splitter = splitter
        self.trainDocuments = trainDocuments
        self.devDocuments = devDocuments
        self.random = random
        self.epochStart = random
    }

    mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int) {
        epochStart = random
        let trainingWindow = trainer.trainingWindow
        windows = []
        for (d, document) in trainDocuments.enumerated() {
            let n = document.tokens.count
            guard n > 0 else { continue }
            var start = -random.index(below: trainingWindow)
            while start < n {
                let from = max(0, start)
                let to = min(n, start + trainingWindow)
                if to > from { windows.append((d, from, to - from)) }
                start += trainingWindow
            }
        }
        random.shuffle(&windows)
        if let pending {
            random = pending
            self.pending = nil
        }
        let size = trainer.batchSize
        return ((windows.count + size - 1) / size, windows.count)
    }

    mutating func batch(_ index: Int, network: Network) -> TrainingBatch<Float> {
        let size = trainer.batchSize
        let part = windows[(index * size)..<min(windows.count, (index + 1) * size)]
        let featureCount = network.featureCount
        // Concatenate the windows' encodings so one batch can mix documents.
        var encoded = NeuralSentenceSplitter.Encoded(wordIDs: [], shapeIDs: [], features: [])
        var targets: [Int] = []
        var mask: [Bool] = []
        var local: [(start: Int, length: Int)] = []
        for w in part {
            let document = trainDocuments[w.document]
            let e = document.encoded!
            let range = w.start..<(w.start + w.length)
            local.append((encoded.wordIDs.count, w.length))
            encoded.wordIDs += e.wordIDs[range]
            encoded.shapeIDs += e.shapeIDs[range]
            encoded.features +=
                e.features[(w.start * featureCount)..<((w.start + w.length) * featureCount)]
            targets += document.targets[range]
            mask += document.mask[range]
        }
        let dropout = trainer.wordDropout
        var random = self.random
        let batch = NeuralSentenceSplitter.batch(
            encoded, windows: local, targets: targets, mask: mask,
            wordDropout: { id in random.nextUnit() < dropout ? 0 : id })
        var dropoutMask: Matrix<Float>? = nil
        let outputDropout = trainer.outputDropout
        if outputDropout > 0 {
            var m = Matrix<Float>(
                rows: batch.wordIDs.count, columns: 2 * trainer.configuration.hiddenSize)
            let keep = Float(1 / (1 - outputDropout))
            for k in 0..<m.count { m.scalars[k] = random.nextUnit() < outputDropout ? 0 : keep }
            dropoutMask = m
        }
        self.random = random
        let (loss, gradient) = network.lossAndGradient(batch, dropoutMask: dropoutMask)
        var gradients = ParameterGradients<Float>()
        gradients.sparse["words.E"] = gradient.words
        gradients.sparse["shapes.E"] = gradient.shapes
        gradients.add(gradient.encoder, prefix: "encoder")
        for l in gradient.upper.indices { gradients.add(gradient.upper[l], prefix: "upper.\(l)") }
        gradients.add(gradient.output, prefix: "output")
        return TrainingBatch(loss: loss, gradients: gradients, units: part.count)
    }

    mutating func score(_ network: Network) throws -> Double? {
        let started = Date()
        splitter.networks = [network]
        let probabilities = devDocuments.map {
            splitter.boundaryProbabilities($0.tokens, in: $0.text)
        }
        let epochBest = SentenceSplitterTrainer.bestThresholds(
            devDocuments, probabilities: probabilities, splitter: splitter)
        reports.last = (
            epochBest.f1, epochBest.punctuated, epochBest.unpunctuated,
            Date().timeIntervalSince(started)
        )
        return devDocuments.isEmpty ? nil : epochBest.f1
    }

    mutating func keepBest(_ network: Network, epoch: Int) throws {
        let last = reports.last!
        best = (network, (last.punctuated, last.unpunctuated))
    }

    func checkpointState() -> TrainingTaskState<Float> {
        var state = TrainingTaskState<Float>()
        state.generators = ["epochStart": epochStart, "random": random]
        if let best {
            var network = best.network
            network.visitParameters { name, matrix in state.matrices["best." + name] = matrix }
            state.numbers["best.punctuated"] = best.thresholds.punctuated
            state.numbers["best.unpunctuated"] = best.thresholds.unpunctuated
        }
        return state
    }

    mutating func restore(_ state: TrainingTaskState<Float>) throws {
        if let start = state.generators["epochStart"] { random = start }
        pending = state.generators["random"]
        if let punctuated = state.numbers["best.punctuated"],
            let unpunctuated = state.numbers["best.unpunctuated"]
        {
            var network = splitter.networks[0]
            network.visitParameters { name, matrix in
                if let m = state.matrices["best." + name] { matrix = m }
            }
            best = (network, (punctuated, unpunctuated))
        }
    }
}

extension SentenceBoundaryNetwork: NamedParameters {}
