import Foundation

/// The models shipped with the toolkit (produced by `make models`).
enum DefaultModel: String, CaseIterable {
    /// The English part-of-speech tagger.
    case pos
    /// The English named-entity tagger.
    case ner
    /// The English sentiment classifier.
    case sentiment

    /// The file name inside the models directory.
    var fileName: String { "\(rawValue)-en.model" }

    /// How the model is named in messages.
    var title: String {
        switch self {
        case .pos: return "part-of-speech"
        case .ner: return "named-entity"
        case .sentiment: return "sentiment"
        }
    }
}

/// A default model that is not where it should be.
enum ModelLocatorError: LocalizedError, Equatable {
    /// The shipped model file does not exist at `path`.
    case missingDefaultModel(DefaultModel, path: String, source: String)

    var errorDescription: String? {
        switch self {
        case .missingDefaultModel(let model, let path, let source):
            return
                "no default \(model.title) model: \(path) does not exist (models directory from \(source)); "
                + "pass --model FILE, or run `make models` to train the shipped models"
        }
    }
}

/// Finds the directory of the shipped models, in order: `$TAGGER_MODELS` if set and not
/// empty; else the first `models/` directory found walking up from the executable's real
/// path (so `.build/release/tagger` finds the repository's `models/`); else `./models`.
struct ModelLocator {
    /// The environment variable that names the models directory.
    static let environmentVariable = "TAGGER_MODELS"

    /// The process environment (injectable for tests).
    var environment: [String: String]
    /// The path of the running executable.
    var executablePath: String

    /// A locator for this process.
    init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = ModelLocator.currentExecutablePath()
    ) {
        self.environment = environment
        self.executablePath = executablePath
    }

    /// The running executable: `/proc/self/exe` on Linux, else `argv[0]`.
    static func currentExecutablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        return CommandLine.arguments[0]
    }

    /// The models directory and where it came from (for messages).
    var directory: (path: String, source: String) {
        if let value = environment[Self.environmentVariable], !value.isEmpty {
            return (value, "$\(Self.environmentVariable)")
        }
        var url = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while true {
            let candidate = url.appendingPathComponent("models")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                return (candidate.path, "the executable's location")
            }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        return ("models", "the current directory")
    }

    /// The path of `model` in the models directory, whether or not it exists.
    func path(of model: DefaultModel) -> String {
        let directory = self.directory.path
        return directory.hasSuffix("/")
            ? directory + model.fileName : directory + "/" + model.fileName
    }

    /// The path of `model`, which must exist.
    /// - Throws: ``ModelLocatorError/missingDefaultModel(_:path:source:)``.
    func existingPath(of model: DefaultModel) throws -> String {
        let path = path(of: model)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelLocatorError.missingDefaultModel(
                model, path: path, source: directory.source)
        }
        return path
    }
}
