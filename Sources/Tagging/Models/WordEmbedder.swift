import LinearAlgebra
import NeuralNetwork

/// The representation of each token: a learned word embedding, beside the final states of
/// a character BiLSTM over the word's characters (so unseen words still get a vector), and
/// optionally a capitalisation-shape embedding.
///
/// Output `[time·batch, outputSize]` (time-major, padding rows zero), columns in the order
/// word `[wordDimension]`, characters `[2·characterHidden]` (forward final state, then the
/// reverse direction's state after the first character), shape `[shapeDimension]`.
/// All distinct words of a batch go through the character BiLSTM in one call, time-major by
/// character position, longest word first. Parameter names: `words.E`, `characters.E`,
/// `characterEncoder.forward.Wx` … `characterEncoder.reverse.b`, `shapes.E`. The word table
/// may read rows from a table shared with other models (`Embedding.shared`).
public struct WordEmbedder<Scalar: BLASScalar> {
    /// The settings.
    public let configuration: EmbedderConfiguration
    /// The word table `[words, wordDimension]`.
    public var words: Embedding<Scalar>
    /// The character table `[characters, characterDimension]`, if characters are used.
    public var characters: Embedding<Scalar>?
    /// The character BiLSTM, `characterHidden` per direction.
    public var characterEncoder: Bidirectional<LSTMCell<Scalar>>?
    /// The shape table `[InputEncoder.shapeCount, shapeDimension]`, if used.
    public var shapes: Embedding<Scalar>?

    /// A seeded embedder for vocabularies of the given sizes.
    public init(
        configuration: EmbedderConfiguration, wordCount: Int, characterCount: Int,
        random: inout SeededRandom
    ) {
        self.configuration = configuration
        words = Embedding(
            vocabularySize: wordCount, dimension: configuration.wordDimension, random: &random)
        if configuration.characterDimension > 0 {
            characters = Embedding(
                vocabularySize: characterCount, dimension: configuration.characterDimension,
                random: &random)
            characterEncoder = Bidirectional(
                inputSize: configuration.characterDimension,
                hiddenSize: configuration.characterHidden,
                random: &random)
        }
        if configuration.shapeDimension > 0 {
            shapes = Embedding(
                vocabularySize: InputEncoder.shapeCount, dimension: configuration.shapeDimension,
                random: &random)
        }
    }

    /// The width of the output.
    public var outputSize: Int { configuration.outputSize }

    /// Whether the two directions of the character BiLSTM run on two threads.
    public var runsDirectionsConcurrently: Bool {
        get { characterEncoder?.runsDirectionsConcurrently ?? false }
        set { characterEncoder?.runsDirectionsConcurrently = newValue }
    }

    /// Calls `body` with the name and a mutable reference to every parameter.
    public mutating func visitParameters(
        prefix: String, _ body: (String, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        try words.visitMatrices(prefix: prefix + ".words", body)
        if characters != nil { try characters!.visitMatrices(prefix: prefix + ".characters", body) }
        if characterEncoder != nil {
            try characterEncoder!.visitMatrices(prefix: prefix + ".characterEncoder", body)
        }
        if shapes != nil { try shapes!.visitMatrices(prefix: prefix + ".shapes", body) }
    }

    /// Calls `body` with the position (from `first`, in the order of `visitParameters`) and a
    /// mutable reference to every parameter; returns the position after the last.
    public mutating func visitParameterMatrices(
        from first: Int, _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows -> Int {
        var next = try words.modifyParameters(from: first, body)
        if characters != nil { next = try characters!.modifyParameters(from: next, body) }
        if characterEncoder != nil {
            next = try characterEncoder!.modifyParameters(from: next, body)
        }
        if shapes != nil { next = try shapes!.modifyParameters(from: next, body) }
        return next
    }

    /// What `backward` needs.
    public struct Cache {
        /// The ids.
        public var input: EmbedderInput
        /// The distinct character ids of the batch: the rows of the character BiLSTM's
        /// input table.
        var characterIDs: [Int]
        /// The character BiLSTM's cache.
        var characterCache: RecurrentCache<Scalar>?
    }

    /// The character vectors `[distinct words, 2·characterHidden]`, the distinct character
    /// ids and the character BiLSTM's cache.
    func encodeCharacters(_ input: EmbedderInput, keepsCache: Bool) -> (
        Matrix<Scalar>, [Int], RecurrentCache<Scalar>?
    ) {
        guard let characters, let characterEncoder else {
            return (Matrix(rows: 0, columns: 0), [], nil)
        }
        let n = input.characterIDs.count
        guard n > 0 else {
            return (Matrix(rows: 0, columns: 2 * configuration.characterHidden), [], nil)
        }
        let lengths = input.characterIDs.map { $0.count }
        let time = lengths.max()!
        // The distinct characters of the batch, in order of first use, and each time-major
        // position's index among them: the BiLSTM reads its input as rows of their vectors.
        var distinct: [Int] = []
        var slots = [Int](repeating: -1, count: characters.vocabularySize)
        var rows = [Int](repeating: 0, count: time * n)
        for (w, word) in input.characterIDs.enumerated() {
            for (t, id) in word.enumerated() {
                if slots[id] < 0 {
                    slots[id] = distinct.count
                    distinct.append(id)
                }
                rows[t * n + w] = slots[id]
            }
        }
        // Only the final states are read: the output sequence is not written.
        let result = characterEncoder.forward(
            TableRows(table: characters(distinct), rows: rows), lengths: lengths,
            initialStates: [nil, nil], keepsCache: keepsCache, finalStatesOnly: true)
        let h = configuration.characterHidden
        var vectors = Matrix<Scalar>(rows: n, columns: 2 * h)
        let f = result.finalStates[0].hidden
        let r = result.finalStates[1].hidden
        vectors.withUnsafeMutablePointer { out in
            f.withUnsafePointer { pf in
                r.withUnsafePointer { pr in
                    for w in 0..<n {
                        (out + w * 2 * h).update(from: pf + w * h, count: h)
                        (out + w * 2 * h + h).update(from: pr + w * h, count: h)
                    }
                }
            }
        }
        return (vectors, distinct, result.cache)
    }

    /// The token vectors `[time·batch, outputSize]` of a batch and the cache for `backward`.
    @_specialize(where Scalar == Float)
    /// With `keepsCache: false` (inference) the cache cannot be used by `backward`.
    public func forward(_ input: EmbedderInput, keepsCache: Bool = true) -> (
        output: Matrix<Scalar>, cache: Cache
    ) {
        let rows = input.time * input.batch
        let width = outputSize
        let wd = configuration.wordDimension
        let (charVectors, charIDs, charCache) = encodeCharacters(input, keepsCache: keepsCache)
        let cw = charVectors.columns
        let sd = configuration.shapeDimension
        var output = Matrix<Scalar>(rows: rows, columns: width)
        output.withUnsafeMutablePointer { out in
            words.withRowCopier { copyWord in
                charVectors.withUnsafePointer { chars in
                    for r in 0..<rows where input.characterSlot[r] >= 0 {
                        let o = out + r * width
                        copyWord(input.wordIDs[r], o)
                        if cw > 0 {
                            (o + wd).update(from: chars + input.characterSlot[r] * cw, count: cw)
                        }
                    }
                }
            }
            if let shapes, sd > 0 {
                shapes.table.withUnsafePointer { table in
                    for r in 0..<rows where input.characterSlot[r] >= 0 {
                        (out + r * width + wd + cw).update(
                            from: table + input.shapeIDs[r] * sd, count: sd)
                    }
                }
            }
        }
        return (output, Cache(input: input, characterIDs: charIDs, characterCache: charCache))
    }

    /// The parameter gradients (sparse for the tables) from the gradient of the output
    /// `[time·batch, outputSize]`; names are prefixed with `prefix.`.
    @_specialize(where Scalar == Float)
    public func backward(_ dOutput: Matrix<Scalar>, cache: Cache, prefix: String)
        -> ParameterGradients<Scalar>
    {
        let input = cache.input
        let width = outputSize
        let wd = configuration.wordDimension
        let tokenRows = (0..<(input.time * input.batch)).filter { input.characterSlot[$0] >= 0 }
        var gradients = ParameterGradients<Scalar>()
        var dWords = Matrix<Scalar>(rows: tokenRows.count, columns: wd)
        let h = configuration.characterHidden
        let n = input.characterIDs.count
        let hasChars = characterEncoder != nil && n > 0
        var dForward = Matrix<Scalar>(rows: hasChars ? n : 0, columns: h)
        var dReverse = Matrix<Scalar>(rows: hasChars ? n : 0, columns: h)
        let sd = configuration.shapeDimension
        var dShapes = Matrix<Scalar>(rows: shapes != nil ? tokenRows.count : 0, columns: sd)
        let cw = characterEncoder != nil ? 2 * h : 0
        dOutput.withUnsafePointer { d in
            dWords.withUnsafeMutablePointer { dw in
                for (k, r) in tokenRows.enumerated() {
                    (dw + k * wd).update(from: d + r * width, count: wd)
                }
            }
            if hasChars {
                dForward.withUnsafeMutablePointer { df in
                    dReverse.withUnsafeMutablePointer { dr in
                        for r in tokenRows {
                            let slot = input.characterSlot[r]
                            let src = d + r * width + wd
                            for j in 0..<h {
                                df[slot * h + j] += src[j]
                                dr[slot * h + j] += src[h + j]
                            }
                        }
                    }
                }
            }
            if shapes != nil {
                dShapes.withUnsafeMutablePointer { ds in
                    for (k, r) in tokenRows.enumerated() {
                        (ds + k * sd).update(from: d + r * width + wd + cw, count: sd)
                    }
                }
            }
        }
        gradients.sparse[prefix + ".words.E"] = SparseRowGradient(
            ids: tokenRows.map { input.wordIDs[$0] }, gradients: dWords,
            rowCount: words.vocabularySize)
        if hasChars, let characterEncoder, let characters, let charCache = cache.characterCache {
            let back = characterEncoder.backward(
                dFinalStates: [RecurrentState(hidden: dForward), RecurrentState(hidden: dReverse)],
                cache: charCache)
            gradients.add(back.gradient, prefix: prefix + ".characterEncoder")
            gradients.sparse[prefix + ".characters.E"] = SparseRowGradient(
                ids: cache.characterIDs, gradients: back.dInput, rowCount: characters.vocabularySize
            )
        }
        if let shapes {
            gradients.sparse[prefix + ".shapes.E"] = SparseRowGradient(
                ids: tokenRows.map { input.shapeIDs[$0] }, gradients: dShapes,
                rowCount: shapes.vocabularySize)
        }
        return gradients
    }
}
