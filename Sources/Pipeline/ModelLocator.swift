import Foundation

/// The models shipped with the toolkit in `models/` (trained by `make models`).
public enum ShippedModel: String, CaseIterable, Sendable {
    /// The English part-of-speech tagger, `pos-en.model`.
    case pos
    /// The English named-entity tagger, `ner-en.model`.
    case ner
    /// The English joint POS+NER tagger, `pos-ner-en.model` (optional): when present beside
    /// `pos-en.model` (or instead of it), a pipeline that tags both POS and entities uses it,
    /// one encoder pass for both.
    case posNER
    /// The English sentiment classifier, `sentiment-en.model`.
    case sentiment
    /// The English neural sentence splitter, `sentence-en.model`.
    case sentences
    /// The English character language model, `charlm-en.model` (`tagger generate`).
    case charlm

    /// The file name inside a models directory.
    public var fileName: String {
        switch self {
        case .sentences: return "sentence-en.model"
        case .posNER: return "pos-ner-en.model"
        default: return "\(rawValue)-en.model"
        }
    }

    /// How the model is named in messages.
    public var title: String {
        switch self {
        case .pos: return "part-of-speech"
        case .ner: return "named-entity"
        case .posNER: return "joint part-of-speech and named-entity"
        case .sentiment: return "sentiment"
        case .sentences: return "sentence-splitter"
        case .charlm: return "character language"
        }
    }
}

/// A shipped model that is in none of the places looked at.
public enum ModelLocatorError: LocalizedError, Equatable {
    /// `model` is not in any directory of `searched` (each with where it came from).
    case missingModel(ShippedModel, searched: [String])

    /// A one-line message naming every place looked at and what to do.
    public var errorDescription: String? {
        switch self {
        case .missingModel(let model, let searched):
            return
                "no \(model.title) model: "
                + searched.joined(separator: ", ") + (searched.count == 1 ? " does" : " do")
                + " not exist"
                + "; pass a model file (--model FILE on the command line), set TAGGER_MODELS to the models directory, or run `make models` to train the shipped models"
        }
    }
}

/// Finds the shipped models.
///
/// A directory the user names is the only place looked at: an explicit `directory` when
/// given, else `$TAGGER_MODELS` when set and not empty (a wrong path is an error, never
/// silently replaced by another directory). Otherwise these are tried in order, and the
/// first that holds the model's file wins:
/// 1. the `models/` directory of this package (where the library was built from, so a
///    package that depends on this one finds the models of its checkout);
/// 2. `models/` beside the running executable or in a directory above it (so
///    `.build/release/tagger` finds the repository's `models/`, and an unpacked
///    distribution finds its own);
/// 3. `./models`.
///
/// A model that reads its unchanged word vectors from a shared vector table finds the table
/// in its own directory (the shipped POS, NER, sentiment and sentence models read
/// `glove-6B-50d-50k.vectors`), so a models directory is copied or shipped whole, tables
/// included; a directory that holds a model without its table fails to load it with an
/// error naming the missing table.
public struct ModelLocator: Sendable {
    /// The environment variable that names the models directory.
    public static let environmentVariable = "TAGGER_MODELS"

    /// The directory given explicitly, tried first.
    public var directory: String?
    /// The process environment (injectable for tests).
    public var environment: [String: String]
    /// The path of the running executable.
    public var executablePath: String
    /// The package's own `models/` directory.
    public var packageModels: String

    /// A locator for this process; `directory`, when given, is tried before anything else.
    public init(
        directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = ModelLocator.currentExecutablePath(),
        packageModels: String = ModelLocator.packageModelsDirectory
    ) {
        self.directory = directory
        self.environment = environment
        self.executablePath = executablePath
        self.packageModels = packageModels
    }

    /// The `models/` directory of the package this library was built from.
    public static let packageModelsDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models").path

    /// The running executable: `/proc/self/exe` on Linux, else `argv[0]`.
    public static func currentExecutablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        return CommandLine.arguments.first ?? "."
    }

    /// The directories looked at, in order, each with where it comes from (for messages).
    public var candidates: [(path: String, source: String)] {
        if let directory { return [(directory, "the given directory")] }
        if let value = environment[Self.environmentVariable], !value.isEmpty {
            return [(value, "$\(Self.environmentVariable)")]
        }
        var result: [(String, String)] = [(packageModels, "the package")]
        var url = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while true {
            result.append((url.appendingPathComponent("models").path, "the executable's location"))
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        result.append(("models", "the current directory"))
        return result
    }

    /// The path of `model` in the first directory that holds it, or `nil`.
    public func path(of model: ShippedModel) -> String? {
        for candidate in candidates {
            let path = URL(fileURLWithPath: candidate.path).appendingPathComponent(model.fileName)
                .path
            if FileManager.default.fileExists(atPath: path) {
                return candidate.path == "models" ? "models/" + model.fileName : path
            }
        }
        return nil
    }

    /// The path of `model`, which must exist.
    /// - Throws: ``ModelLocatorError/missingModel(_:searched:)`` naming the places looked at.
    public func existingPath(of model: ShippedModel) throws -> String {
        if let path = path(of: model) { return path }
        // Directories above the executable are summarised by the nearest one.
        var seen = Set<String>()
        var searched: [String] = []
        for candidate in candidates where seen.insert(candidate.source).inserted {
            let file = URL(fileURLWithPath: candidate.path).appendingPathComponent(model.fileName)
            searched.append(
                "\(candidate.path == "models" ? "models/" + model.fileName : file.path) (\(candidate.source))"
            )
        }
        throw ModelLocatorError.missingModel(model, searched: searched)
    }
}
