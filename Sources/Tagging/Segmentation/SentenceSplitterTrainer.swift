import Corpora
import Foundation
import LinearAlgebra
import NeuralNetwork
import Text

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
    /// The seed of initialisation, window phases, shuffling and word dropout.
    public var seed: UInt64 = 1

    /// A trainer with the default options.
    public init() {}

    /// The progress of one epoch.
    public struct EpochReport: Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean training loss.
        public var loss: Double
        /// Best dev Sentences F1 over the threshold grid.
        public var devF1: Double
        /// The threshold that gave it.
        public var threshold: Double
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
        CoNLLUSentence.runningTexts(sentences).map { text, ends in
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
        threshold: Double
    ) -> Double {
        var correct = 0
        var gold = 0
        var system = 0
        for (d, document) in documents.enumerated() {
            let ranges = splitter.sentences(
                of: document.tokens, in: document.text, probabilities: probabilities[d],
                threshold: threshold)
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
        let devDocuments = Self.prepare(dev, tokenizer: tokenizer)

        var wordCounts: [String: Int] = [:]
        var shapeCounts: [String: Int] = [:]
        for document in trainDocuments {
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
        let network = SentenceBoundaryNetwork<Float>(
            wordCount: words.count, wordDimension: configuration.wordDimension,
            shapeCount: shapes.count, shapeDimension: configuration.shapeDimension,
            featureCount: BoundaryFeatures.count, hiddenSize: configuration.hiddenSize,
            random: &random)
        var splitter = NeuralSentenceSplitter(
            configuration: configuration, network: network, words: words, shapes: shapes,
            abbreviations: tokenizer.lexicon.abbreviations)
        for d in trainDocuments.indices {
            trainDocuments[d].encoded = splitter.encode(
                trainDocuments[d].tokens, in: trainDocuments[d].text)
        }

        var adam = Adam<Float>(learningRate: learningRate)
        var best = (f1: -1.0, network: splitter.network, threshold: 0.5)
        let thresholds = stride(from: 0.1, through: 0.8, by: 0.05).map { $0 }
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
                    encoded.features += e.features[
                        (w.start * BoundaryFeatures.count)..<((w.start + w.length)
                            * BoundaryFeatures.count)]
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
                let (loss, computed) = splitter.network.lossAndGradient(
                    batch, dropoutMask: dropoutMask)
                var gradient = computed
                let norm = gradient.norm
                if norm.isFinite && norm > maximumGradientNorm {
                    gradient.scale(by: maximumGradientNorm / norm)
                }
                adam.update(&splitter.network.words, along: gradient.words, prefix: "words")
                adam.update(&splitter.network.shapes, along: gradient.shapes, prefix: "shapes")
                adam.update(&splitter.network.encoder, along: gradient.encoder, prefix: "encoder")
                adam.update(&splitter.network.output, along: gradient.output, prefix: "output")
                totalLoss += Double(loss)
                batches += 1
            }
            adam.learningRate *= learningRateDecay

            let probabilities = devDocuments.map {
                splitter.boundaryProbabilities($0.tokens, in: $0.text)
            }
            var epochBest = (f1: -1.0, threshold: 0.5)
            for t in thresholds {
                let f1 = Self.sentenceF1(
                    devDocuments, probabilities: probabilities, splitter: splitter, threshold: t)
                if f1 > epochBest.f1 { epochBest = (f1, t) }
            }
            if epochBest.f1 > best.f1 || devDocuments.isEmpty {
                best = (epochBest.f1, splitter.network, epochBest.threshold)
            }
            progress(
                EpochReport(
                    epoch: epoch, loss: totalLoss / Double(max(1, batches)), devF1: epochBest.f1,
                    threshold: epochBest.threshold, seconds: Date().timeIntervalSince(started)))
        }
        splitter.network = best.network
        splitter.configuration.threshold = best.threshold
        return splitter
    }
}
