import Foundation
import Logging

/// The service's logging on standard error.
public enum ServiceLog {
    /// A logger on standard error: info and above, or everything (one line per request)
    /// when `verbose`.
    public static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "tagger-serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .info
        return logger
    }

    /// Writes one line on standard error at once (the start and stop lines).
    public static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
