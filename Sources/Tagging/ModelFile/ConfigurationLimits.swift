import Foundation

/// A configuration read from a model file whose sizes can be checked against the
/// parameters the file actually holds, before a network of that configuration is built.
///
/// A model file is untrusted input: its checksum catches accidental corruption, but a
/// header that states absurd hyper-parameters (a hidden size of a million, zero layers, a
/// negative dimension) would otherwise make the loader allocate or trap while building the
/// network, before any parameter's shape is compared. `ModelFile.decodeConfiguration`
/// calls `checkSizes(against:)` on every configuration that conforms.
protocol SizeCheckedConfiguration {
    /// Throws `ModelFileError.implausibleConfiguration` when a size is out of range or
    /// when the network this configuration describes needs more parameter values than
    /// `file` stores.
    func checkSizes(against file: ModelFile) throws
}

/// Overflow-safe sums and products of sizes, saturating at `Int.max`.
struct ParameterCount {
    /// The running total.
    private(set) var total = 0

    /// Adds `factors` multiplied together.
    mutating func add(_ factors: Int...) {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(0, factor))
            product = overflow ? Int.max : next
        }
        let (sum, overflow) = total.addingReportingOverflow(product)
        total = overflow ? Int.max : sum
    }
}

extension ModelFile {
    /// The number of scalars all stored parameters hold together.
    var storedScalarCount: Int {
        parameters.reduce(0) { $0 + $1.matrix.count }
    }

    /// Throws unless `value` lies in `range`; `name` is the hyper-parameter's key.
    func requireSize(_ name: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ModelFileError.implausibleConfiguration(
                reason: "\(name) is \(value), expected \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// Throws unless `value` is finite and lies in `range`.
    func requireRate(_ name: String, _ value: Double, in range: Range<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw ModelFileError.implausibleConfiguration(
                reason:
                    "\(name) is \(value), expected at least \(range.lowerBound) and below \(range.upperBound)"
            )
        }
    }

    /// Throws unless the `least` parameter values a configuration implies are stored.
    func requireStored(atLeast least: ParameterCount) throws {
        let stored = storedScalarCount
        guard least.total <= stored else {
            throw ModelFileError.implausibleConfiguration(
                reason:
                    "they need at least \(least.total == Int.max ? "2^63" : String(least.total)) parameter values, the file holds \(stored)"
            )
        }
    }

    /// The number of entries of the vocabulary `name` (0 when absent).
    func vocabularySize(_ name: String) -> Int { vocabularies[name]?.count ?? 0 }
}

/// The largest size any single hyper-parameter may state.
private let largestSize = 1 << 20

extension ModelConfiguration: SizeCheckedConfiguration {
    /// Checks every size of the embedder, encoder and head, then compares a lower bound
    /// of the parameter values they imply (each recurrent cell counted with one gate) with
    /// what the file stores, so that building the network allocates at most a small
    /// multiple of the file's own size.
    func checkSizes(against file: ModelFile) throws {
        let embedder = network.embedder
        try file.requireSize("network.layers", network.layers, in: 1...1024)
        try file.requireSize("network.hidden", network.hidden, in: 1...largestSize)
        try file.requireSize("embedder.wordDimension", embedder.wordDimension, in: 1...largestSize)
        try file.requireSize(
            "embedder.characterDimension", embedder.characterDimension, in: 0...largestSize)
        try file.requireSize(
            "embedder.characterHidden", embedder.characterHidden,
            in: (embedder.characterDimension > 0 ? 1 : 0)...largestSize)
        try file.requireSize(
            "embedder.shapeDimension", embedder.shapeDimension, in: 0...largestSize)
        try file.requireRate("network.dropout", network.dropout, in: 0..<1)
        try file.requireRate("embedder.wordDropout", embedder.wordDropout, in: 0..<Double.infinity)

        let hidden = network.hidden
        let outputs = max(1, file.vocabularySize("tags"), file.vocabularySize("labels"))
        var least = ParameterCount()
        least.add(file.vocabularySize("words"), embedder.wordDimension)
        if embedder.characterDimension > 0 {
            least.add(file.vocabularySize("characters"), embedder.characterDimension)
            least.add(
                2, embedder.characterDimension + embedder.characterHidden, embedder.characterHidden)
        }
        least.add(embedder.shapeDimension)
        least.add(2, embedder.outputSize + hidden, hidden)
        least.add(network.layers - 1, 2, 3, hidden, hidden)
        least.add(2, hidden, outputs)
        try file.requireStored(atLeast: least)
    }
}

extension SentenceBoundaryConfiguration: SizeCheckedConfiguration {
    /// Checks the sizes, the window and the thresholds, then compares a lower bound of
    /// the parameter values of all ensemble members with what the file stores.
    func checkSizes(against file: ModelFile) throws {
        try file.requireSize("members", members, in: 1...64)
        try file.requireSize("wordDimension", wordDimension, in: 1...largestSize)
        try file.requireSize("shapeDimension", shapeDimension, in: 1...largestSize)
        try file.requireSize("hiddenSize", hiddenSize, in: 1...largestSize)
        try file.requireSize("margin", margin, in: 0...largestSize)
        try file.requireSize("window", window, in: 1...largestSize)
        try file.requireRate("threshold", threshold, in: 0..<Double.infinity)
        try file.requireRate(
            "unpunctuatedThreshold", unpunctuatedThreshold, in: 0..<Double.infinity)
        var least = ParameterCount()
        least.add(members, file.vocabularySize("words"), wordDimension)
        least.add(members, file.vocabularySize("shapes"), shapeDimension)
        least.add(members, 2, wordDimension + shapeDimension + hiddenSize, hiddenSize)
        try file.requireStored(atLeast: least)
    }
}
