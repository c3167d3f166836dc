import Corpora
import Evaluation
import Text
import Tokenization

extension TokenizationEvaluation {
    /// Tokenizes the raw text of `gold` with `tokenizer` and scores it: with `runningText`
    /// false each sentence's text is one sentence; with it true each document's sentence
    /// texts are laid out as `layout` says and split into sentences by `segmenter` (by default
    /// the tokenizer lexicon's averaged-perceptron ``SentenceSplitter`` behind a
    /// ``LineBreakSegmenter``).
    public static func evaluate(
        tokenizer: Tokenizer, gold: [CoNLLUSentence], runningText: Bool,
        layout: RunningTextLayout = .spaces, segmenter: SentenceSegmenter? = nil
    ) throws -> (score: TokenizationScore, gold: SegmentedText, system: SegmentedText) {
        var goldSide = SegmentedText()
        var systemSide = SegmentedText()
        for sentence in gold {
            goldSide.appendSentence(sentence.surfaceTokens.map { ($0.form, $0.words) })
        }
        if runningText {
            let segmenter =
                segmenter ?? LineBreakSegmenter(base: SentenceSplitter(lexicon: tokenizer.lexicon))
            var texts = CoNLLUSentence.runningTexts(gold, layout: layout).map(\.text)
            // The shared task's file is one text: documents are separated like paragraphs.
            // One document or paragraph a line is one text too, as a user's file would be.
            switch layout {
            case .spaces: break
            case .paragraphs: texts = [texts.joined(separator: "\n\n")]
            case .lines, .paragraphLines: texts = [texts.joined(separator: "\n")]
            }
            for document in tokenizer.documents(texts, segmenter: segmenter) {
                systemSide.append(document)
            }
        } else {
            for sentence in gold {
                systemSide.append(tokenizer.document(sentence.rawText, sentences: .whole))
            }
        }
        return (try score(gold: goldSide, system: systemSide), goldSide, systemSide)
    }

    /// End-to-end tagging from raw text, scored like CoNLL 2018: each gold sentence's text is
    /// tokenized as one sentence by `tokenizer` and tagged by `model` (a POS model); Tokens,
    /// Words and UPOS precision, recall and F1 against the gold words (UPOS: aligned words
    /// whose tag is also right).
    public static func evaluateTagging(
        model: TaggerModel, tokenizer: Tokenizer, gold: [CoNLLUSentence], threads: Int = 1
    ) throws -> TokenizationScore {
        var goldSide = SegmentedText()
        for sentence in gold {
            let tokens = sentence.surfaceTokens.map { ($0.form, $0.words) }
            let wordCount = tokens.reduce(0) { $0 + max(1, $1.1.count) }
            let tags = sentence.words.map(\.upos)
            goldSide.appendSentence(tokens, tags: tags.count == wordCount ? tags : nil)
        }
        let documents = gold.map { tokenizer.document($0.rawText, sentences: .whole) }
        let sentences = documents.flatMap { document in
            document.sentences.map { Array(document.tokens[$0]) }
        }
        let predictions = model.tag(
            sentences.map { $0.flatMap(\.syntacticWords) }, threads: threads)
        var systemSide = SegmentedText()
        for (tokens, prediction) in zip(sentences, predictions) {
            systemSide.appendSentence(
                tokens.map { ($0.text, $0.words) }, tags: prediction.map(\.tag))
        }
        return try score(gold: goldSide, system: systemSide)
    }
}
