import LinearAlgebra
import NeuralNetwork

/// How many sentences the batches of the current epoch hold up to each batch: what the
/// progress of a `Trainer` reports.
final class SentencesDone {
    /// Sentences before batch `b`, for every `b` up to the epoch's batch count.
    var before: [Int] = [0]

    /// Sentences in batches `0..<count`.
    func through(_ count: Int) -> Int { before[min(count, before.count - 1)] }
}

/// The training task of the token and sentence classifiers: length-bucketed batches in a
/// seeded order per epoch, word dropout and dropout drawn from streams derived from
/// `(seed, epoch, batch)` (so a batch needs no state from the batches before it), and the
/// batch split over two threads when `threads ≥ 2`.
struct SentenceBatchTask<N: TrainableNetwork>: TrainingTask where N.Scalar == Float {
    typealias Network = N

    let options: TrainingOptions
    let targets: [N.Target]
    let encoder: InputEncoder
    /// The training sentences with their word types encoded once.
    let corpus: EncodedCorpus
    let evaluate: (N) -> Double
    let saveBest: (N) throws -> Void
    let wordCounts: [Int]
    let lengths: [Int]
    let sentencesDone = SentencesDone()
    private(set) var batches: [[Int]] = []
    private var epoch = 0

    init(
        network: N.Type, options: TrainingOptions, sentences: [[String]], targets: [N.Target],
        encoder: InputEncoder, evaluate: @escaping (N) -> Double,
        saveBest: @escaping (N) throws -> Void
    ) {
        self.options = options
        self.targets = targets
        self.encoder = encoder
        self.corpus = encoder.encodedCorpus(sentences)
        self.evaluate = evaluate
        self.saveBest = saveBest
        var counts = [Int](repeating: 0, count: encoder.words.count)
        for sentence in corpus.types { for type in sentence { counts[corpus.wordIDs[Int(type)]] += 1 } }
        wordCounts = counts
        lengths = sentences.map(\.count)
    }

    mutating func startEpoch(_ epoch: Int) -> (batches: Int, units: Int) {
        self.epoch = epoch
        batches = Trainer.batches(
            lengths: lengths, batchSize: options.batchSize, bucketBatches: options.bucketBatches,
            seed: options.seed, epoch: epoch)
        var before = [0]
        for batch in batches { before.append(before.last! + batch.count) }
        sentencesDone.before = before
        return (batches.count, lengths.reduce(0, +))
    }

    func batch(_ index: Int, network: N) -> TrainingBatch<Float> {
        let batch = batches[index]
        let (loss, gradients) = Trainer.batchLossAndGradients(
            network: network, batch: batch, corpus: corpus, targets: targets,
            encoder: encoder, wordCounts: wordCounts,
            seed: Trainer.derivedSeed(options.seed, epoch, index),
            dataParallel: options.threads >= 2)
        return TrainingBatch(
            loss: loss, gradients: gradients, units: batch.reduce(0) { $0 + lengths[$1] })
    }

    func score(_ network: N) throws -> Double? { evaluate(network) }

    func keepBest(_ network: N, epoch: Int) throws { try saveBest(network) }

    func checkpointState() -> TrainingTaskState<Float> { TrainingTaskState() }

    func restore(_ state: TrainingTaskState<Float>) throws {}
}
