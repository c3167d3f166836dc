import ArgumentParser
import Foundation
import Pipeline
import Text

/// `tagger annotate`: the whole pipeline (POS, entities, sentiment) over text, tokens or
/// CoNLL-U, streamed in batches.
struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Annotate text with part-of-speech tags, named entities and sentiment at once.",
        discussion: """
            The text is tokenized and split into sentences once, and every component reads the \
            same words.

            Input (--input): text is raw UTF-8, one sentence a line, each line a document (with \
            --split-sentences: running text, whose paragraphs, up to a blank line, are documents \
            split into sentences; with --line-documents: each line is one document split into \
            sentences); tokens is one token a line with a blank line after each sentence; conllu \
            keeps the gold tokens and every column.

            Output (--format): json is one object a document: {"text", "offsets", "sentences": \
            [{"start", "end", "text", "tokens": [{"text", "start", "end"}], "words": [{"text", \
            "token", "upos", "uposProbability", "ner", "nerProbability"}], "entities": [{"type", \
            "text", "start", "end", "tokens"}], "sentiment": {"label", "probability", \
            "probabilities"}}], "sentiment"}; start and end count from the start of the \
            document's text in --offsets units (default utf16, as JavaScript and Java count; \
            scalars are code points, as Python counts; utf8 are bytes); "token" is the word's \
            token in the sentence and an entity's "tokens" is [first, last + 1]. conllu fills \
            UPOS, puts NER=TAG in MISC and # sentiment = LABEL PROBABILITY before each sentence, \
            with the placeholder tree of `tagger tokenize` for text input, so UD's evaluation \
            script reads it. text is one sentence a line, word/POS/NER, then a tab and the \
            sentiment. conll is word<TAB>POS<TAB>NER a line, a # sentiment comment before and a \
            blank line after each sentence.

            --line-documents is for stream processors (Spark, Hadoop Streaming): exactly one \
            JSON object per input line, in order, flushed after each batch of whatever has \
            arrived; an empty line, a line with invalid UTF-8 or one of too many tokens gets \
            {"line", "error"} naming the problem, and the input goes on.

            Models: the shipped ones (pos-en, ner-en, sentiment-en and sentence-en) from \
            --models, else $TAGGER_MODELS, else the package's models/ directory, else a models/ \
            directory beside or above the executable, else ./models; --pos-model, --ner-model \
            and --sentiment-model take other files. When POS and NER are both run, a joint \
            POS+NER model tags both in one encoder pass: the one --joint-model names, else the \
            shipped pos-ner-en.model when it is present (and neither --pos-model nor \
            --ner-model is given).
            """)

    @Option(
        help: ArgumentHelp(
            "The components to run, comma-separated: pos, ner, sentiment (default: all three).",
            valueName: "list"))
    var components: ComponentList?

    @Option(help: "Input format: text, tokens or conllu.")
    var input: InputFormat = .text

    @Option(help: "Output format: json, conllu, text or conll.")
    var format: OutputFormat = .json

    @Option(help: "How JSON offsets are counted: utf16, scalars or utf8.")
    var offsets: OffsetUnit = .utf16

    @Flag(help: "Treat text input as running text: paragraphs are documents split into sentences.")
    var splitSentences = false

    @Flag(
        help:
            "Each input line is one document, split into sentences; one output line per input line."
    )
    var lineDocuments = false

    @Option(help: "The directory of the shipped models.")
    var models: String?

    @Option(help: "A POS model instead of the shipped one.")
    var posModel: String?

    @Option(help: "An NER model instead of the shipped one.")
    var nerModel: String?

    @Option(
        help:
            "A joint POS+NER model (`tagger train pos+ner`) for both POS and NER, one encoder pass for both; not with --pos-model or --ner-model."
    )
    var jointModel: String?

    @Option(help: "A sentiment model instead of the shipped one.")
    var sentimentModel: String?

    @OptionGroup var stream: StreamInputOptions

    @OptionGroup var segmentation: SegmentationOptions

    @Option(help: "Threads: 1 or 2.")
    var threads = 2

    @OptionGroup var stray: StrayFileArgument

    func validate() throws {
        guard threads == 1 || threads == 2 else {
            throw ValidationError("--threads must be 1 or 2")
        }
        if (splitSentences || lineDocuments) && input != .text {
            throw ValidationError(
                "--split-sentences and --line-documents apply to --input text only")
        }
        if jointModel != nil && (posModel != nil || nerModel != nil) {
            throw ValidationError(
                "--joint-model tags both POS and NER: give it, or --pos-model and --ner-model, not both"
            )
        }
        if splitSentences && lineDocuments {
            throw ValidationError("give --split-sentences or --line-documents, not both")
        }
        if lineDocuments && format != .json {
            throw ValidationError(
                "--line-documents writes one JSON object per input line: use --format json")
        }
    }

    func run() throws {
        let chosen = components?.components ?? PipelineComponent.allCases
        var files: [PipelineComponent: String] = [:]
        files[.pos] = posModel
        files[.ner] = nerModel
        files[.sentiment] = sentimentModel
        // Without sentence splitting no splitter model is needed: the perceptron stands by.
        let segmented = splitSentences || lineDocuments
        let pipeline = try Pipeline(
            components: chosen, modelFiles: files, jointModel: jointModel,
            locator: ModelLocator(directory: models),
            splitter: segmented ? segmentation.splitter : .perceptron,
            sentenceModel: segmentation.sentenceModel, lineBreaks: segmentation.lineBreaks,
            tokenizer: stream.tokenizer(),
            threads: threads)
        let layout: TextLayout =
            lineDocuments ? .documentPerLine : splitSentences ? .runningText : .sentencePerLine
        let reader = DocumentReader(
            lines: try stream.lineReader(markInvalid: lineDocuments), format: input,
            layout: layout, pipeline: pipeline)
        let writer = ByteWriter.standardOutput()
        var output = DocumentWriter(
            format: format, components: pipeline.components, offsets: offsets, writer: writer)
        try pipeline.annotate(reader, batchSize: stream.batchSize) { input, document in
            if let problem = input.problem {
                try output.write(problem: problem, line: input.line)
            } else {
                try output.write(document)
            }
        } batchDone: {
            try writer.flush()
        }
        try writer.close()
    }
}
