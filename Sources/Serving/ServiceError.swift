import Foundation

/// A failure of the service itself (not of a request).
public enum ServiceError: LocalizedError, Equatable {
    /// A model file could not be read for `/models`.
    case modelFile(path: String, reason: String)

    /// A one-line message.
    public var errorDescription: String? {
        switch self {
        case .modelFile(let path, let reason):
            return "cannot read the model file \(path): \(reason)"
        }
    }
}
