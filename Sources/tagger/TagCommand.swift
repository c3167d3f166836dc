import ArgumentParser
import Foundation
import ModelStorage
import Pipeline
import Tagging
import Text
import Tokenization

/// The token-level tasks whose shipped model `tagger tag` uses without `--model`.
enum TagTask: String, ExpressibleByArgument, CaseIterable {
    /// Part-of-speech tags (models/pos-en.model).
    case pos
    /// Named entities (models/ner-en.model).
    case ner

    /// The model task.
    var task: TaggingTask { self == .pos ? .pos : .ner }
    /// The pipeline component.
    var component: PipelineComponent { self == .pos ? .pos : .ner }
}

/// Failures of `tagger tag` and `tagger classify` that are not input or model-file errors.
enum TagCommandError: LocalizedError, Equatable {
    /// `--task` asked for one task and `--model` is a model of another.
    case taskMismatch(path: String, modelTask: String, requested: String)

    /// A one-line message that says what to do.
    var errorDescription: String? {
        switch self {
        case .taskMismatch(let path, let modelTask, let requested):
            return
                "\(path) is a \(modelTask) model but --task \(requested) was given; drop --task or pass a \(requested) model"
        }
    }
}

/// `tagger tag`: POS or NER tags for text, tokens or CoNLL-U, streamed in batches.
struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag text with a part-of-speech or named-entity model.",
        discussion: """
            Input (--input): text is raw UTF-8, one sentence a line, tokenized by the tokenizer \
            (with --split-sentences: running text, split into sentences; a blank line always ends \
            one); tokens is one token a line (the first column: up to the first tab, or the \
            first space in a line without tabs) with a blank line after each sentence; conllu \
            keeps the gold tokens and every other column.

            Output (--format): text is word/TAG separated by spaces, one line per sentence (a \
            blank input line gives a blank line); conll is word<TAB>tag a line with a blank line \
            after each sentence; conllu fills the --column of each syntactic word (default: UPOS \
            for POS models, MISC as NER=TAG for NER models) and keeps every other column and \
            comment byte for byte (text input gets # sent_id and # text comments and the \
            placeholder tree of `tagger tokenize`); json is one object a line: \
            {"text", "tokens": [{"text", "start", "end", "tag", "probability"}], \
            "entities": [{"start", "end", "type", "text"}]}, where start and end are offsets in \
            Unicode scalars (code points) into "text" (the input line; with --split-sentences the \
            sentence, from its first token to its last; for tokens input the tokens joined by spaces; for conllu input the text rebuilt from FORM and SpaceAfter). The \
            words of a multiword token share its offsets.

            A joint POS+NER model (`tagger train pos+ner`) gives both tag sets from one encoder \
            pass: text output is word/POS/NER, conll output word<TAB>POS<TAB>NER, conllu fills \
            UPOS and MISC NER=TAG, json gives both tags of each token; with --task pos or \
            --task ner it tags that task alone.

            Without --model the shipped model is used (--task pos: pos-en.model, --task ner: \
            ner-en.model) from $TAGGER_MODELS, else the package's models/ directory, else a models/ \
            directory beside or above the executable, else ./models; `make models` trains them.

            The input is read on a second thread and tagged in batches of whatever has arrived \
            (at most --batch-size sentences); output is flushed after each batch, so a pipe sees \
            the first sentence before the input ends and memory stays flat on large inputs: a \
            sentence of more than 1,000 words is tagged in windows of 1,000, a line (or token \
            input sentence) of more than 100,000 tokens is an error, and with --split-sentences \
            running text is split in pieces of at most 256 KiB (at a line break, or at white \
            space within a longer line).
            """)

    @Option(
        help:
            "A model trained by `tagger train --task pos|ner|pos+ner` (default: the shipped model); a joint POS+NER model tags both unless --task names one."
    )
    var model: String?

    @Option(help: "Which shipped model to use without --model: pos or ner (default: pos).")
    var task: TagTask?

    @Option(help: "Input format: text, tokens or conllu.")
    var input: InputFormat = .text

    @Option(help: "Output format: text, conllu, json or conll.")
    var format: OutputFormat = .text

    @Option(
        help:
            "The CoNLL-U column that receives the tags: upos, xpos or misc (default: upos for POS, misc for NER)."
    )
    var column: CoNLLUColumn?

    @Flag(help: "Treat text input as running text and split it into sentences.")
    var splitSentences = false

    @OptionGroup var stream: StreamInputOptions

    @OptionGroup var segmentation: SegmentationOptions

    @OptionGroup var stray: StrayFileArgument

    @Option(help: "Threads: 2 tags two batches (of --batch-size sentences) at once, one on each core.")
    var threads = 2

    func validate() throws {
        guard threads == 1 || threads == 2 else {
            throw ValidationError("--threads must be 1 or 2")
        }
        if splitSentences && input != .text {
            throw ValidationError("--split-sentences applies to --input text only")
        }
        if column != nil && format != .conllu {
            throw ValidationError("--column applies to --format conllu only")
        }
    }

    func run() throws {
        let locator = ModelLocator()
        let path = try model ?? locator.existingPath(of: (task ?? .pos).component.shippedModel)
        // The tokenizer and the model are read while the model's vector table is.
        let (tokenizer, tagger, joint) = try SharedVectorTable.readingTables(
            referencedBy: [path]
        ) {
            // Token and CoNLL-U input are not tokenized: the bundled lexicon is read only
            // for text (or when one is given, so that a bad file is still an error).
            let tokenizer =
                input == .text || stream.lexicon != nil
                ? try stream.tokenizer() : Tokenizer(lexicon: TokenizerLexicon())
            let (tagger, joint) = try loadModel(at: path)
            return (tokenizer, tagger, joint)
        }
        let components: [PipelineComponent] =
            joint != nil ? [.pos, .ner] : tagger!.task == .ner ? [.ner] : [.pos]
        let pipeline = try Pipeline(
            tokenizer: tokenizer,
            segmenter: splitSentences
                ? segmentation.load(tokenizer: tokenizer)
                : SentenceSplitter(lexicon: tokenizer.lexicon),
            pos: components == [.pos] ? tagger : nil, ner: components == [.ner] ? tagger : nil,
            joint: joint, threads: threads)
        var columns: [PipelineComponent: CoNLLUColumn] = [.pos: .upos, .ner: .misc]
        if let column, let only = components.first, components.count == 1 { columns[only] = column }
        let reader = DocumentReader(
            lines: try stream.lineReader(), format: input,
            layout: splitSentences ? .runningText : .sentencePerLine, pipeline: pipeline)
        let writer = ByteWriter.standardOutput()
        var output = DocumentWriter(
            format: format, components: components, columns: columns,
            offsets: .scalars, jsonShape: .sentences, sentenceRelative: splitSentences,
            writer: writer)
        var first = true
        try pipeline.annotate(reader, batchSize: stream.batchSize) { _, document in
            if first, input == .conllu, format == .conllu, reader.hadByteOrderMark {
                try writer.write([0xEF, 0xBB, 0xBF] as [UInt8])
            }
            first = false
            try output.write(document)
        } batchDone: {
            try writer.flush()
        }
        try writer.close()
    }

    /// The model at `path`: a POS or NER tagger, or a joint POS+NER model (both tasks, or
    /// the one `--task` asks for).
    private func loadModel(at path: String) throws -> (
        tagger: TaggerModel?, joint: JointTaggerModel?
    ) {
        let file = try ModelFile.read(from: path)
        let tagger: TaggerModel?
        var joint: JointTaggerModel?
        if file.architecture == JointTaggerModel.architecture {
            // Both tasks in one encoder pass, or the one --task asks for.
            let model = try JointTaggerModel(file: file, path: path)
            switch task {
            case nil:
                if column != nil {
                    throw ValidationError(
                        "--column needs --task pos or --task ner with a joint POS+NER model, which writes UPOS and MISC NER=TAG"
                    )
                }
                (tagger, joint) = (nil, model)
            case .pos: tagger = model.pos
            case .ner: tagger = model.ner
            }
        } else {
            let single = try TaggerModel(file: file, path: path)
            if let task, task.task != single.task {
                throw TagCommandError.taskMismatch(
                    path: path, modelTask: single.task.rawValue, requested: task.rawValue)
            }
            guard single.task.isTokenLevel else {
                throw PipelineError.wrongTask(
                    path: path, found: single.task.rawValue, expected: "pos or ner")
            }
            tagger = single
        }
        return (tagger, joint)
    }
}
