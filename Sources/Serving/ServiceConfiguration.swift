import Foundation

/// The settings of an ``AnnotationService``: where it listens, the limits it enforces and
/// how it batches requests.
public struct ServiceConfiguration: Sendable {
    /// The address to bind; loopback by default.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (``AnnotationService/run(onStart:)`` reports it).
    public var port = 8080
    /// The largest request body accepted, in bytes; a larger one gets 413 before it is read.
    public var maxBodyBytes = 1 << 20
    /// Requests to `/annotate` in flight at once (being read, queued or annotated); one
    /// more gets 503 with `Retry-After`.
    public var maxInFlight = 512
    /// Texts in one `{"texts": [...]}` request.
    public var maxTextsPerRequest = 1024
    /// Model threads: 1 or 2 (the pipeline's `threads`).
    public var threads = 1
    /// How long a batch waits for requests that have arrived but are still being read
    /// (never when nothing else is arriving, so an idle server answers at once).
    public var batchWait: Duration = .milliseconds(1)
    /// Requests in one batch at most.
    public var maxBatchRequests = 64
    /// UTF-8 bytes of text in one batch at most (a batch holds at least one request).
    public var maxBatchBytes = 64 * 1024
    /// A connection that sends or receives nothing for this long is closed.
    public var idleTimeout: Duration = .seconds(30)

    /// The defaults: loopback port 8080, 1 MiB bodies, 512 requests in flight.
    public init() {}

    /// Checks every setting.
    /// - Throws: ``ConfigurationError`` naming the first setting out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
            if !ok {
                throw ConfigurationError(setting: name, value: "\(value)", expected: expected)
            }
        }
        try check((0...65535).contains(port), "port", port, "0 to 65535")
        try check(maxBodyBytes >= 1, "max-body-bytes", maxBodyBytes, "at least 1")
        try check(maxInFlight >= 1, "max-in-flight", maxInFlight, "at least 1")
        try check(maxTextsPerRequest >= 1, "max-texts", maxTextsPerRequest, "at least 1")
        try check(threads == 1 || threads == 2, "threads", threads, "1 or 2")
        try check(maxBatchRequests >= 1, "max-batch", maxBatchRequests, "at least 1")
        try check(maxBatchBytes >= 1, "max-batch-bytes", maxBatchBytes, "at least 1")
        try check(batchWait >= .zero, "batch-wait", batchWait, "not negative")
        try check(idleTimeout > .zero, "idle-timeout", idleTimeout, "positive")
    }
}

/// A service setting out of range.
public struct ConfigurationError: LocalizedError, Equatable {
    /// The setting, as its command-line option is named.
    public var setting: String
    /// The value given.
    public var value: String
    /// What is allowed.
    public var expected: String

    /// `--threads is 3; it must be 1 or 2`.
    public var errorDescription: String? { "--\(setting) is \(value); it must be \(expected)" }
}
