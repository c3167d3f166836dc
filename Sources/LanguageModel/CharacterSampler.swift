import Foundation
import LinearAlgebra
import NeuralNetwork

/// Characters sampled one at a time from a `CharacterLanguageModel`, each fed back in as
/// the next input: an endless `Sequence` that is its own iterator (take a `prefix`).
///
/// Made by `CharacterLanguageModel.samples(prime:temperature:topK:seed:)`. Each `next()`
/// runs one step of the network, so characters can be shown as they are drawn.
public struct CharacterSampler: Sequence, IteratorProtocol {
    /// A sampled Unicode scalar.
    public typealias Element = Unicode.Scalar

    private let model: CharacterLanguageModel
    /// The sharpening of the distribution; `0` is greedy.
    public let temperature: Double
    /// Draw only among this many most probable characters, if set.
    public let topK: Int?
    private var random: SeededRandom
    private var states: [RecurrentState<Float>]?
    /// The inputs not yet run: `<s>` and the prime at first, then the last character drawn.
    private var pending: [Int]

    init(
        model: CharacterLanguageModel, prime: String, temperature: Double, topK: Int?, seed: UInt64
    ) {
        precondition(
            temperature >= 0 && temperature.isFinite,
            "temperature must be finite and non-negative, got \(temperature)")
        precondition(topK.map { $0 >= 1 } ?? true, "topK must be positive, got \(topK!)")
        self.model = model
        self.temperature = temperature
        self.topK = topK
        random = SeededRandom(seed: seed)
        pending = [CharacterVocabulary.startID] + model.vocabulary.encode(prime)
    }

    /// The next character; `nil` only when the vocabulary holds no characters at all.
    public mutating func next() -> Unicode.Scalar? {
        let vocabulary = model.vocabulary
        let symbols = vocabulary.count
        guard symbols > CharacterVocabulary.specialCount else { return nil }
        let r = model.network.predict(ids: pending, streams: 1, states: states, lengths: nil)
        states = r.states
        let last = Array(r.logits.scalars[((pending.count - 1) * symbols)...])
        let id = choose(from: last)
        pending = [id]
        return vocabulary.scalar(for: id)
    }

    /// The id drawn from one row of logits, specials excluded.
    private mutating func choose(from logits: [Float]) -> Int {
        var candidates = Array(CharacterVocabulary.specialCount..<logits.count)
        if temperature == 0 {
            // Greedy: the first of the most probable characters.
            return candidates.max {
                logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1)
            }!
        }
        if let topK, topK < candidates.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates.removeLast(candidates.count - topK)
        }
        let maximum = Double(candidates.map { logits[$0] }.max()!)
        let weights = candidates.map {
            Foundation.exp((Double(logits[$0]) - maximum) / temperature)
        }
        var u = random.nextUnit() * weights.reduce(0, +)
        for (k, w) in weights.enumerated() {
            u -= w
            if u < 0 { return candidates[k] }
        }
        return candidates[weights.lastIndex { $0 > 0 } ?? 0]
    }
}
