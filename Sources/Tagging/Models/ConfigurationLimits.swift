import Foundation
import ModelStorage

/// The largest size any single hyper-parameter may state.
private let largestSize = 1 << 20

extension ModelConfiguration: SizeCheckedConfiguration {
    /// Checks every size of the embedder, encoder and head, then compares a lower bound
    /// of the parameter values they imply (each recurrent cell counted with one gate) with
    /// what the file stores, so that building the network allocates at most a small
    /// multiple of the file's own size.
    public func checkSizes(against file: ModelFile) throws {
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
    public func checkSizes(against file: ModelFile) throws {
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
