import Corpora
import Foundation
import LanguageModel
import LinearAlgebra
import ModelStorage
import NeuralNetwork
import Tagging
import Text
import Tokenization

/// What each fuzz target does with one input. A check returns normally when the input is
/// handled: read correctly or rejected with the module's typed error. It traps (and so
/// reports a crash to libFuzzer) when an invariant breaks or an unexpected error appears.
///
/// The same checks replay the seed corpora and every saved crasher in `swift test`
/// (`FuzzRegressionTests`), so a crash found once stays fixed.
public enum FuzzChecks {
    /// Small chunks and a small line limit, so buffer refills and the limit are exercised.
    static let readerOptions = [
        LineReader.Options(chunkSize: 7, maximumLineLength: 1 << 16),
        LineReader.Options(chunkSize: 4096, maximumLineLength: 1 << 16, replaceInvalid: true),
    ]

    static let tokenizer = Tokenizer.english

    // MARK: Tokenizer

    /// Reads the bytes as lines (strict and replacing) and tokenizes each line and the whole
    /// text as running text; every token must be a slice of its text at its ranges.
    public static func tokenizer(_ bytes: [UInt8]) {
        for options in readerOptions {
            let reader = LineReader(bytes: bytes, name: "fuzz", options: options)
            var lines: [String] = []
            do {
                while let line = try reader.next() {
                    precondition(
                        String(validating: line.bytes, as: UTF8.self) != nil,
                        "line \(line.number) is not valid UTF-8")
                    lines.append(line.text)
                }
            } catch let error as TextInputError {
                if case .invalidUTF8 = error, options.replaceInvalid {
                    preconditionFailure("replacing reader threw \(error)")
                }
                continue
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
            for line in lines { checkTokens(tokenizer.tokenize(line), of: line) }
            let text = lines.joined(separator: "\n")
            let document = tokenizer.document(text, sentences: .runningText)
            checkTokens(document.tokens, of: text)
            var next = 0
            for sentence in document.sentences {
                precondition(sentence.lowerBound == next, "sentences do not partition the tokens")
                next = sentence.upperBound
            }
            precondition(next == document.tokens.count, "sentences do not cover the tokens")
        }
    }

    /// Tokens in order, without overlap, each the text at its scalar and byte ranges.
    static func checkTokens(_ tokens: [Token], of text: String) {
        let utf8 = Array(text.utf8)
        let scalarCount = text.unicodeScalars.count
        var scalarEnd = 0
        var byteEnd = 0
        for token in tokens {
            precondition(!token.text.isEmpty, "empty token")
            precondition(token.scalarRange.lowerBound >= scalarEnd, "tokens overlap or go back")
            precondition(token.scalarRange.upperBound <= scalarCount, "token beyond the text")
            precondition(token.utf8Range.lowerBound >= byteEnd, "byte ranges overlap")
            precondition(token.utf8Range.upperBound <= utf8.count, "byte range beyond the text")
            precondition(
                Array(token.text.utf8) == Array(utf8[token.utf8Range]),
                "token \(token.text.debugDescription) is not the text at its byte range")
            precondition(
                String(text[token.stringRange(in: text)]) == token.text,
                "token \(token.text.debugDescription) is not the text at its scalar range")
            scalarEnd = token.scalarRange.upperBound
            byteEnd = token.utf8Range.upperBound
        }
    }

    // MARK: Corpus readers

    /// Reads the bytes as CoNLL-U; what is read must be written and read back unchanged.
    public static func coNLLU(_ bytes: [UInt8]) {
        for options in readerOptions {
            let reader = CoNLLUReader(
                lines: LineReader(bytes: bytes, name: "fuzz", options: options))
            let sentences: [CoNLLUSentence]
            do {
                sentences = try reader.readAll()
            } catch let error as CorpusError {
                precondition(error.file == "fuzz" && !(error.errorDescription ?? "").isEmpty)
                continue
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
            for sentence in sentences {
                _ = sentence.reconstructedText
                for token in sentence.tokens {
                    precondition(
                        token.wordIndices.upperBound <= sentence.words.count, "token beyond words")
                }
            }
            let written = CoNLLUWriter.bytes(sentences, byteOrderMark: reader.hadByteOrderMark)
            do {
                let again = try CoNLLUReader(lines: LineReader(bytes: written, name: "again"))
                    .readAll()
                precondition(again == sentences, "CoNLL-U round trip changed the sentences")
            } catch {
                preconditionFailure("written CoNLL-U does not read back: \(error)")
            }
        }
    }

    /// Reads the bytes as CoNLL-2003 columns, index-token-tag columns (strict IOB2) and
    /// sentiment lines; what is read must be written and read back unchanged.
    public static func columns(_ bytes: [UInt8]) {
        var free = ColumnFormat.conll2003
        free.columnCount = nil
        free.tagColumn = nil
        for format in [ColumnFormat.conll2003, .indexTokenTag, free] {
            let reader = ColumnReader(
                lines: LineReader(bytes: bytes, name: "fuzz", options: readerOptions[0]),
                format: format)
            let items: [ColumnItem]
            do {
                items = try reader.readAll()
            } catch let error as CorpusError {
                precondition(error.file == "fuzz")
                continue
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
            for item in items {
                if let sentence = item.sentence {
                    _ = sentence.tokens
                    _ = sentence.tags
                }
            }
            let written = ColumnWriter.bytes(items, byteOrderMark: reader.hadByteOrderMark)
            do {
                let again = try ColumnReader(
                    lines: LineReader(bytes: written, name: "again"), format: format
                ).readAll()
                precondition(again == items, "column round trip changed the items")
            } catch {
                preconditionFailure("written columns do not read back: \(error)")
            }
        }
        for labels in [nil, SentimentReader.binaryLabels] {
            let reader = SentimentReader(
                lines: LineReader(bytes: bytes, name: "fuzz", options: readerOptions[0]),
                labels: labels)
            do {
                let examples = try reader.readAll()
                let written = SentimentWriter.bytes(examples)
                let again = try SentimentReader(
                    lines: LineReader(bytes: written, name: "again"), labels: labels
                ).readAll()
                precondition(
                    again.map(\.label) == examples.map(\.label)
                        && again.map(\.text) == examples.map(\.text),
                    "sentiment round trip changed the examples")
            } catch let error as CorpusError {
                precondition(
                    error.file == "fuzz", "written sentiment lines do not read back: \(error)")
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
        }
    }

    // MARK: Model files

    /// Parses the bytes as a model file as they are, and again with the checksum made to
    /// match (as a deliberately crafted file would), then loads every kind of model from a
    /// file that parses and runs it on a short text. Only typed errors may come out.
    public static func modelFile(_ bytes: [UInt8]) {
        var variants = [bytes]
        if bytes.count >= 20 {
            var fixed = bytes
            let checksum = ModelFile.checksum(fixed[..<(fixed.count - 8)])
            for k in 0..<8 {
                fixed[fixed.count - 8 + k] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(k)))
            }
            variants.append(fixed)
        }
        for variant in variants {
            let file: ModelFile
            do {
                file = try ModelFile(bytes: variant, source: "fuzz")
            } catch is ModelFileError {
                continue
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
            // Written again, the file reads back to the same bytes (NaN payloads included).
            let once = try! file.serialized()
            let again = try? ModelFile(bytes: once, source: "again").serialized()
            precondition(again == once, "model file round trip changed it")
            let words = ["The", "cat", "naïve", "😀", ""]
            expectTypedError {
                let model = try TaggerModel(file: file)
                let tagged = model.tag([words, [], ["x"]])
                precondition(tagged.map(\.count) == [5, 0, 1], "wrong number of tags")
                _ = model.entities(in: tagged[0].map(\.tag))
            }
            expectTypedError {
                let model = try SentimentModel(file: file)
                precondition(model.probabilities([words, []]).count == 2)
            }
            expectTypedError {
                let splitter = try NeuralSentenceSplitter(modelFile: file)
                let text = "It rained. We left early! Did you?"
                _ = splitter.sentences(of: tokenizer.tokenize(text), in: text)
            }
            expectTypedError {
                let model = try CharacterLanguageModel(file: file)
                _ = model.logProbability(of: "ab c")
            }
        }
    }

    // MARK: Checkpoints

    /// A small tagger network (the shape of the seed checkpoint's, which
    /// `FuzzRegressionTests` writes with a one-epoch run), for checking a checkpoint's
    /// optimizer state against a network that is not its own.
    static let smallNetwork: TokenClassifierNetwork<Float> = {
        var configuration = NetworkConfiguration()
        configuration.hidden = 4
        configuration.embedder.wordDimension = 4
        configuration.embedder.characterDimension = 2
        configuration.embedder.characterHidden = 2
        var random = SeededRandom(seed: 1)
        return TokenClassifierNetwork<Float>(
            configuration: configuration, wordCount: 8, characterCount: 8, tagCount: 3,
            random: &random)
    }()

    /// Reads the bytes (and the bytes with a correct checksum) as a tagger's training
    /// checkpoint and, when that parses, checks its options, loop state and optimizer state
    /// the way `--resume` does, against the checkpoint's own network (when it loads) and a
    /// small fixed one; only typed errors may come out.
    public static func checkpoint(_ bytes: [UInt8]) {
        for variant in withFixedChecksum(bytes) {
            expectTypedError {
                let file = try ModelFile(bytes: variant, source: "fuzz")
                let checkpoint = try TrainingCheckpoint<TrainingOptions>(file: file)
                try checkpoint.options.validate()
                var loopOptions = TrainingLoopOptions(
                    epochs: checkpoint.options.epochs, learningRate: checkpoint.options.learningRate)
                loopOptions.clip = checkpoint.options.clip
                loopOptions.patience = checkpoint.options.patience
                try loopOptions.validate()
                try checkpoint.loop.validate(epochs: loopOptions.epochs)
                try? checkpoint.optimizer.validate(
                    against: smallNetwork, moments: Adam<Float>.momentNames)
                let model = try TaggerModel(file: checkpoint.model)
                let moments =
                    checkpoint.options.optimizer == .adam
                    ? Adam<Float>.momentNames : SGD<Float>.momentNames
                try checkpoint.optimizer.validate(against: model.network, moments: moments)
                // A validated state restores and takes a step without trapping.
                var optimizer = Adam<Float>()
                if checkpoint.options.optimizer == .adam {
                    optimizer.restore(checkpoint.optimizer)
                    var network = model.network
                    network.visitParameters { name, value in
                        let gradient = Matrix<Float>(rows: value.rows, columns: value.columns)
                        optimizer.update(&value, along: gradient, name: name)
                    }
                }
            }
        }
    }

    /// The bytes, and (when long enough) the bytes with their last 8 replaced by the
    /// checksum of the rest, so that mutations reach past the checksum check.
    static func withFixedChecksum(_ bytes: [UInt8]) -> [[UInt8]] {
        var variants = [bytes]
        if bytes.count >= 20 {
            var fixed = bytes
            let checksum = ModelFile.checksum(fixed[..<(fixed.count - 8)])
            for k in 0..<8 {
                fixed[fixed.count - 8 + k] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(k)))
            }
            variants.append(fixed)
        }
        return variants
    }

    /// Runs `body`; a thrown error must be one of the model errors.
    static func expectTypedError(_ body: () throws -> Void) {
        do {
            try body()
        } catch is ModelFileError, is ModelError, is CheckpointError {
        } catch {
            preconditionFailure("unexpected error \(type(of: error)): \(error)")
        }
    }
}
