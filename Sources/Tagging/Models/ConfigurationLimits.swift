import Foundation
import ModelStorage

/// The largest size any single hyper-parameter may state.
private let largestSize = 1 << 20

extension EmbedderConfiguration {
    /// The largest `maximumWordLength` a model may state: the character encoder's cost per
    /// word grows with it, so an unbounded value would let one long token cost gigabytes.
    /// Trained models use 24.
    public static let largestMaximumWordLength = 1024
}

extension SentenceBoundaryConfiguration {
    /// The longest inference window, in tokens, a sentence splitter may state.
    public static let largestWindow = 4096
}

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
        try file.requireSize(
            "embedder.maximumWordLength", embedder.maximumWordLength,
            in: 1...EmbedderConfiguration.largestMaximumWordLength)
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
    ///
    /// Windows advance by `window − 2·margin` tokens, so each token is read
    /// `window / (window − 2·margin)` times; the margin is therefore at most a quarter of
    /// the window (each token read at most twice), and the window at most
    /// `largestWindow` tokens.
    public func checkSizes(against file: ModelFile) throws {
        try file.requireSize("members", members, in: 1...64)
        try file.requireSize("layers", layers, in: 1...8)
        try file.requireSize("wordDimension", wordDimension, in: 1...largestSize)
        try file.requireSize("shapeDimension", shapeDimension, in: 1...largestSize)
        try file.requireSize("hiddenSize", hiddenSize, in: 1...largestSize)
        try file.requireSize("pretrainedDimension", pretrainedDimension, in: 0...1024)
        try file.requireSize("window", window, in: 2...Self.largestWindow)
        try file.requireSize("margin", margin, in: 0...(window / 4))
        try file.requireRate("threshold", threshold, in: 0..<Double.infinity)
        try file.requireRate(
            "unpunctuatedThreshold", unpunctuatedThreshold, in: 0..<Double.infinity)
        if let memberShapes {
            try file.requireSize("memberShapes.count", memberShapes.count, in: members...members)
            for shape in memberShapes {
                try file.requireSize("memberShapes.layers", shape.layers, in: 1...8)
                try file.requireSize(
                    "memberShapes.wordDimension", shape.wordDimension, in: 1...largestSize)
                try file.requireSize(
                    "memberShapes.shapeDimension", shape.shapeDimension, in: 1...largestSize)
                try file.requireSize(
                    "memberShapes.hiddenSize", shape.hiddenSize, in: 1...largestSize)
                if shape.readsPretrained && pretrainedDimension == 0 {
                    throw ModelFileError.implausibleConfiguration(
                        reason: "a member reads pretrained vectors, but pretrainedDimension is 0")
                }
            }
        }
        if let memberWeights {
            try file.requireSize("memberWeights.count", memberWeights.count, in: members...members)
            for weight in memberWeights {
                try file.requireRate("memberWeights", weight, in: 0..<Double.infinity)
            }
            try file.requireRate(
                "the sum of memberWeights", memberWeights.reduce(0, +),
                in: Double.leastNonzeroMagnitude..<Double.infinity)
        }
        var least = ParameterCount()
        for k in 0..<members {
            let shape = memberShape(k)
            let vectors = shape.readsPretrained ? pretrainedDimension : 0
            least.add(file.vocabularySize("words"), shape.wordDimension)
            least.add(file.vocabularySize("shapes"), shape.shapeDimension)
            least.add(
                2, shape.wordDimension + shape.shapeDimension + vectors + shape.hiddenSize,
                shape.hiddenSize)
            least.add(shape.layers - 1, 2, 3, shape.hiddenSize, shape.hiddenSize)
        }
        try file.requireStored(atLeast: least)
    }
}
