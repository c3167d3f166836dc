import Text

/// The ids of one padded, time-major batch of sentences, as the `WordEmbedder` reads them.
///
/// Sentence `s` of `lengths.count` occupies rows `t·batch + s` for `t < lengths[s]`; the
/// other rows are padding. Characters are given per distinct word of the batch, so each
/// word type runs through the character encoder once.
public struct EmbedderInput: Sendable {
    /// The length of each sentence.
    public var lengths: [Int]
    /// Word ids, `time·batch`, `0` on padding rows.
    public var wordIDs: [Int]
    /// Shape ids, `time·batch`, `0` on padding rows.
    public var shapeIDs: [Int]
    /// Character ids of each distinct word of the batch, longest word first.
    public var characterIDs: [[Int]]
    /// For each row, the index into `characterIDs` of its word; `-1` on padding rows.
    public var characterSlot: [Int]

    /// The number of sentences.
    public var batch: Int { lengths.count }
    /// The number of padded time steps.
    public var time: Int { lengths.max() ?? 0 }
    /// Whether row `r` holds a token (not padding).
    public func isToken(row r: Int) -> Bool { characterSlot[r] >= 0 }

    /// A batch from its parts.
    public init(
        lengths: [Int], wordIDs: [Int], shapeIDs: [Int], characterIDs: [[Int]], characterSlot: [Int]
    ) {
        self.lengths = lengths
        self.wordIDs = wordIDs
        self.shapeIDs = shapeIDs
        self.characterIDs = characterIDs
        self.characterSlot = characterSlot
    }
}

/// The frozen vocabularies of a model and the conversion of token strings to ids.
public struct InputEncoder: Sendable, Equatable {
    /// Words (`<pad>` 0, `<unk>` 1, then by training frequency).
    public var words: Vocabulary
    /// Characters (Unicode scalars; `<pad>` 0, `<unk>` 1).
    public var characters: Vocabulary
    /// The embedder's settings that affect the ids.
    public var configuration: EmbedderConfiguration

    /// An encoder over given vocabularies.
    public init(words: Vocabulary, characters: Vocabulary, configuration: EmbedderConfiguration) {
        self.words = words
        self.characters = characters
        self.configuration = configuration
    }

    /// Vocabularies built from training sentences: every word seen `minimumCount` times
    /// (plus `extraWords`, e.g. those with pretrained vectors) and every character.
    public init(
        training sentences: [[String]], configuration: EmbedderConfiguration, minimumCount: Int = 1,
        extraWords: [String] = []
    ) {
        var wordCounts: [String: Int] = [:]
        var characterCounts: [String: Int] = [:]
        for sentence in sentences {
            for word in sentence {
                wordCounts[Self.key(word, lowercase: configuration.lowercase), default: 0] += 1
                for c in word.unicodeScalars { characterCounts[String(c), default: 0] += 1 }
            }
        }
        var words = Vocabulary(counts: wordCounts, minimumCount: minimumCount)
        for w in extraWords { words.insert(Self.key(w, lowercase: configuration.lowercase)) }
        self.init(
            words: words, characters: Vocabulary(counts: characterCounts),
            configuration: configuration)
    }

    /// The word-embedding key of `word`.
    @inlinable
    public static func key(_ word: String, lowercase: Bool) -> String {
        lowercase ? word.lowercased() : word
    }

    /// The number of capitalisation shapes.
    public static let shapeCount = 6

    /// The capitalisation shape of `word`: 1 lowercase, 2 capitalised, 3 all caps, 4 mixed
    /// case, 5 no letters (0 is padding).
    public static func shape(of word: String) -> Int {
        var upper = 0
        var lower = 0
        var firstUpper = false
        for (i, c) in word.unicodeScalars.enumerated() {
            if c.properties.isUppercase {
                upper += 1
                if i == 0 { firstUpper = true }
            } else if c.properties.isLowercase {
                lower += 1
            }
        }
        if upper == 0 && lower == 0 { return 5 }
        if upper == 0 { return 1 }
        if lower == 0 { return 3 }
        if firstUpper && upper == 1 { return 2 }
        return 4
    }

    /// The id of `word` in the word vocabulary (the unknown id if unseen).
    public func wordID(_ word: String) -> Int {
        words.id(of: Self.key(word, lowercase: configuration.lowercase)) ?? 1
    }

    /// Character ids of `word`, truncated to the first and last halves of the maximum length.
    func characterIDs(_ word: String) -> [Int] {
        var ids = word.unicodeScalars.map { characters.id(of: String($0)) ?? 1 }
        let limit = max(2, configuration.maximumWordLength)
        if ids.count > limit {
            let head = limit / 2
            ids = Array(ids.prefix(head) + ids.suffix(limit - head))
        }
        if ids.isEmpty { ids = [1] }
        return ids
    }

    /// The padded time-major batch of `sentences` (in the given order; the recurrent
    /// layers are fastest when the sentences are sorted longest first).
    public func encode(_ sentences: [[String]]) -> EmbedderInput {
        // Each word type's ids once, then the batch from them.
        encode(Array(sentences.indices), of: encodedCorpus(sentences))
    }

    /// `sentences` with every word type's ids worked out once: training encodes each of
    /// its sentences once an epoch, and `encode(_:of:)` then does no string work.
    public func encodedCorpus(_ sentences: [[String]]) -> EncodedCorpus {
        var typeOfWord: [String: Int32] = [:]
        var corpus = EncodedCorpus()
        corpus.types = sentences.map { sentence in
            sentence.map { word in
                if let type = typeOfWord[word] { return type }
                let type = Int32(corpus.wordIDs.count)
                typeOfWord[word] = type
                corpus.wordIDs.append(wordID(word))
                corpus.shapeIDs.append(
                    configuration.shapeDimension > 0 ? Self.shape(of: word) : 0)
                corpus.characterIDs.append(characterIDs(word))
                return type
            }
        }
        return corpus
    }

    /// The padded time-major batch of sentences `indices` of `corpus`, in the given order:
    /// the same as `encode` of those sentences (which goes through here).
    public func encode(_ indices: [Int], of corpus: EncodedCorpus) -> EmbedderInput {
        let batch = indices.count
        let lengths = indices.map { corpus.types[$0].count }
        let time = lengths.max() ?? 0
        var wordIDs = [Int](repeating: 0, count: time * batch)
        var shapeIDs = [Int](repeating: 0, count: time * batch)
        var slotOfType = [Int32: Int](minimumCapacity: lengths.reduce(0, +))
        var distinct: [Int32] = []
        var rowSlots = [Int](repeating: -1, count: time * batch)
        for (s, index) in indices.enumerated() {
            for (t, type) in corpus.types[index].enumerated() {
                let r = t * batch + s
                wordIDs[r] = corpus.wordIDs[Int(type)]
                shapeIDs[r] = corpus.shapeIDs[Int(type)]
                if let slot = slotOfType[type] {
                    rowSlots[r] = slot
                } else {
                    slotOfType[type] = distinct.count
                    rowSlots[r] = distinct.count
                    distinct.append(type)
                }
            }
        }
        // The distinct words' characters longest first (stable), slots remapped.
        let characters = distinct.map { corpus.characterIDs[Int($0)] }
        let order = characters.indices.sorted {
            characters[$0].count != characters[$1].count
                ? characters[$0].count > characters[$1].count : $0 < $1
        }
        var newSlot = [Int](repeating: 0, count: order.count)
        for (position, old) in order.enumerated() { newSlot[old] = position }
        for r in rowSlots.indices where rowSlots[r] >= 0 { rowSlots[r] = newSlot[rowSlots[r]] }
        return EmbedderInput(
            lengths: lengths, wordIDs: wordIDs, shapeIDs: shapeIDs,
            characterIDs: order.map { characters[$0] }, characterSlot: rowSlots)
    }
}

/// Sentences whose word types were encoded once (`InputEncoder.encodedCorpus`): each
/// sentence as type numbers, and each type's word id, shape id and character ids.
public struct EncodedCorpus: Sendable {
    /// The type of each word of each sentence.
    public var types: [[Int32]] = []
    /// The word id of each type.
    public var wordIDs: [Int] = []
    /// The shape id of each type (`0` when the embedder has no shapes).
    public var shapeIDs: [Int] = []
    /// The character ids of each type.
    public var characterIDs: [[Int]] = []
}
