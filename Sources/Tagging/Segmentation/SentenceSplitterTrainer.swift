import Corpora
import Foundation
import LinearAlgebra
import NeuralNetwork
import Text
import Tokenization

/// Trains a ``NeuralSentenceSplitter`` on the running text of a treebank: each document's
/// sentences (from `# newdoc`) are joined with single spaces, tokenized, and every token
/// followed by a space is labelled with whether a gold sentence ends there. Windows of
/// the token stream at a random phase each epoch, Adam, gradient clipping, word dropout;
/// after each epoch the dev Sentences F1 is measured over a grid of thresholds and the best
/// epoch and threshold are kept. Deterministic for a seed (single-threaded BLAS).
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

    /// A trainer with the default options.
    public init() {}

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
    /// is dropped with probability `probability` (when a letter or digit precedes it), and
    /// independently its first letter is lowercased (unless the first word is `I` or written
    /// in capitals), so that boundaries without punctuation or capitals are more frequent.
    public static func augmentedTexts(
        _ sentences: [CoNLLUSentence], probability: Double, random: inout SeededRandom
    ) -> [(text: String, sentenceEnds: [Int])] {
        CoNLLUSentence.documents(sentences).map { document in
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
            var gold = Set<[Int]>()
            var start = 0
            for end in ends {
                gold.insert([start, end])
                start = end + 1
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

    /// Trains on `train` (never dev or test), choosing the epoch and threshold on `dev`.
    /// `tokenizer` tokenizes the running text (its lexicon's abbreviations become a feature).
    /// `progress` is called after each epoch.
    public func train(
        train: [CoNLLUSentence], dev: [CoNLLUSentence], tokenizer: Tokenizer,
        progress: (EpochReport) -> Void = { _ in }
    ) -> NeuralSentenceSplitter {
        precondition(epochs > 0 && batchSize > 0 && trainingWindow > 1, "bad training options")
        var random = SeededRandom(seed: seed)
        var trainDocuments = Self.prepare(train, tokenizer: tokenizer)
        let originalCount = trainDocuments.count
        if augmentedCopies > 0 {
            var augmentationRandom = SeededRandom(seed: seed &+ 1000)
            for _ in 0..<augmentedCopies {
                trainDocuments += Self.prepare(
                    texts: Self.augmentedTexts(
                        train, probability: augmentation, random: &augmentationRandom),
                    tokenizer: tokenizer)
            }
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
        for member in 0..<members {
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
            var adam = Adam<Float>(learningRate: learningRate)
            var best = (
                f1: -1.0, network: splitter.networks[0],
                thresholds: (punctuated: 0.5, unpunctuated: 0.5)
            )
            for epoch in 1...epochs {
                let started = Date()
                var windows: [(document: Int, start: Int, length: Int)] = []
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
                var totalLoss = 0.0
                var batches = 0
                var first = 0
                while first < windows.count {
                    let part = windows[first..<min(windows.count, first + batchSize)]
                    first += batchSize
                    // Concatenate the windows' encodings so one batch can mix documents.
                    var encoded = NeuralSentenceSplitter.Encoded(
                        wordIDs: [], shapeIDs: [], features: [])
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
                            e.features[
                                (w.start * featureCount)..<((w.start + w.length) * featureCount)]
                        targets += document.targets[range]
                        mask += document.mask[range]
                    }
                    let dropout = wordDropout
                    let batch = NeuralSentenceSplitter.batch(
                        encoded, windows: local, targets: targets, mask: mask,
                        wordDropout: { id in random.nextUnit() < dropout ? 0 : id })
                    var dropoutMask: Matrix<Float>? = nil
                    if outputDropout > 0 {
                        var m = Matrix<Float>(
                            rows: batch.wordIDs.count, columns: 2 * configuration.hiddenSize)
                        let keep = Float(1 / (1 - outputDropout))
                        for k in 0..<m.count {
                            m.scalars[k] = random.nextUnit() < outputDropout ? 0 : keep
                        }
                        dropoutMask = m
                    }
                    let (loss, computed) = splitter.networks[0].lossAndGradient(
                        batch, dropoutMask: dropoutMask)
                    var gradient = computed
                    let norm = gradient.norm
                    if norm.isFinite && norm > maximumGradientNorm {
                        gradient.scale(by: maximumGradientNorm / norm)
                    }
                    adam.update(&splitter.networks[0].words, along: gradient.words, prefix: "words")
                    adam.update(
                        &splitter.networks[0].shapes, along: gradient.shapes, prefix: "shapes")
                    adam.update(
                        &splitter.networks[0].encoder, along: gradient.encoder, prefix: "encoder")
                    for l in gradient.upper.indices {
                        adam.update(
                            &splitter.networks[0].upper[l], along: gradient.upper[l],
                            prefix: "upper.\(l)")
                    }
                    adam.update(
                        &splitter.networks[0].output, along: gradient.output, prefix: "output")
                    totalLoss += Double(loss)
                    batches += 1
                }
                adam.learningRate *= learningRateDecay

                let probabilities = devDocuments.map {
                    splitter.boundaryProbabilities($0.tokens, in: $0.text)
                }
                let epochBest = Self.bestThresholds(
                    devDocuments, probabilities: probabilities, splitter: splitter)
                if epochBest.f1 > best.f1 || devDocuments.isEmpty {
                    best = (
                        epochBest.f1, splitter.networks[0],
                        (epochBest.punctuated, epochBest.unpunctuated)
                    )
                }
                progress(
                    EpochReport(
                        member: member + 1, epoch: epoch, loss: totalLoss / Double(max(1, batches)),
                        devF1: epochBest.f1,
                        threshold: epochBest.punctuated,
                        unpunctuatedThreshold: epochBest.unpunctuated,
                        seconds: Date().timeIntervalSince(started)))
            }
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
        return splitter
    }
}
