import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Pipeline
import Synchronization

/// The pipeline as an HTTP JSON service (`tagger serve`).
///
/// Endpoints: `POST /annotate` (a JSON body `{"text"}` or `{"texts"}`, or a `text/plain`
/// body) answers the JSON of `tagger annotate --format json`; `GET /models`, `GET /health`
/// and `GET /metrics` (Prometheus text). Requests are batched across connections by a
/// ``Batcher`` on its own thread; bodies over ``ServiceConfiguration/maxBodyBytes`` get
/// 413, more than ``ServiceConfiguration/maxInFlight`` requests at once get 503.
public final class AnnotationService: Sendable {
    /// The settings.
    public let configuration: ServiceConfiguration
    /// The models `GET /models` lists.
    public let catalog: ModelCatalog
    /// The counters `GET /metrics` writes.
    public let metrics = ServiceMetrics()
    private let batcher: Batcher
    private let decoder: RequestDecoder
    private let inFlight = Atomic<Int>(0)
    private let logger: Logger

    /// A service of `pipeline`, whose models `catalog` describes.
    /// - Throws: ``ConfigurationError`` for a setting out of range.
    public init(
        pipeline: Pipeline, catalog: ModelCatalog, configuration: ServiceConfiguration,
        logger: Logger
    )
        throws
    {
        try configuration.validate()
        self.configuration = configuration
        self.catalog = catalog
        self.logger = logger
        self.decoder = RequestDecoder(
            loaded: pipeline.components, maxTexts: configuration.maxTextsPerRequest)
        self.batcher = Batcher(pipeline: pipeline, configuration: configuration, metrics: metrics)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, answers the requests in
    /// flight and returns. `onStart` gets the bound host and port (the chosen one for
    /// port 0).
    public func run(onStart: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        try batcher.start()
        defer { batcher.stop() }
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: MeteringMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: MethodMiddleware())
        router.post("/annotate") { request, context in
            let response = await self.annotate(request)
            if response.status == .contentTooLarge {
                // The rest of the body is not read: stop reading, so the connection closes
                // once the answer is written instead of draining what the client still sends.
                context.channel.close(mode: .input, promise: nil)
            }
            return response
        }
        router.get("/models") { _, _ in Self.json(.ok, self.catalog.json) }
        router.get("/health") { _, _ in Self.json(.ok, "{\"status\":\"ok\"}") }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = self.metrics.prometheusText(
                queueLength: self.batcher.queueLength,
                inFlight: self.inFlight.load(ordering: .relaxed))
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.seconds * 1e9)))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                onStart(
                    self.configuration.host, channel.localAddress?.port ?? self.configuration.port)
            },
            logger: logger)
        try await app.runService()  // SIGTERM and SIGINT shut down gracefully
    }

    /// `POST /annotate`.
    func annotate(_ request: Request) async -> Response {
        let admitted = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        if admitted > configuration.maxInFlight {
            var response = Self.error(.overloaded(limit: configuration.maxInFlight))
            response.headers[.retryAfter] = "1"
            return response
        }
        batcher.arriving()
        let decoded: AnnotationRequest
        do {
            decoded = try await read(request)
        } catch {
            batcher.withdraw()
            return Self.error(error)
        }
        do {
            let answer = try await batcher.annotate(decoded)
            metrics.annotated(words: answer.words, documents: answer.documents.count)
            var body = ByteBuffer()
            if decoded.isList {
                body.reserveCapacity(answer.documents.reduce(16) { $0 + $1.count + 1 })
                body.writeString("{\"documents\":[")
                for (i, document) in answer.documents.enumerated() {
                    if i > 0 { body.writeInteger(UInt8(ascii: ",")) }
                    body.writeBytes(document)
                }
                body.writeString("]}")
            } else {
                body.writeBytes(answer.documents[0])
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        } catch {
            logger.error("annotation failed: \(error.localizedDescription)")
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .internalServerError, headers: headers,
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "{\"error\":" + JSONText.quoted(error.localizedDescription) + "}")))
        }
    }

    /// Reads and decodes a request's body, refusing one longer than the limit by its
    /// `Content-Length` before reading any of it, and otherwise as soon as it passes.
    func read(_ request: Request) async throws(RequestError) -> AnnotationRequest {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw .bodyTooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .invalidField("the request body could not be read: \(error)")
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            query[String(key)] = String(value)
        }
        return try decoder.decode(
            body: Array(buffer.readableBytesView), contentType: request.headers[.contentType],
            query: query)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ error: RequestError) -> Response {
        var response = json(HTTPResponse.Status(code: error.status), error.json)
        if error.status == 413 { response.headers[.connection] = "close" }
        return response
    }
}

/// The request context: Hummingbird's, and the connection's channel (to close it after
/// refusing a body).
struct ServiceRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// Answers 405, with `Allow`, a known path asked with another method (the router alone
/// would answer 404, as for an unknown path).
struct MethodMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each path and the method it answers.
    static var methods: [String: HTTPRequest.Method] {
        ["/annotate": .post, "/models": .get, "/health": .get, "/metrics": .get]
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        let path = request.uri.path
        if let allowed = Self.methods[path], request.method != allowed {
            var response = AnnotationService.error(
                .methodNotAllowed(
                    method: request.method.rawValue, path: path, allowed: allowed.rawValue))
            response.headers[.allow] = allowed.rawValue
            return response
        }
        return try await next(request, context)
    }
}

/// Counts every request by endpoint and status with its latency, and logs it at debug level.
struct MeteringMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        let start = ContinuousClock.now
        let path = request.uri.path
        func record(_ status: Int) {
            let seconds = (ContinuousClock.now - start).seconds
            metrics.request(endpoint: path, status: status, seconds: seconds)
            logger.debug(
                "\(request.method) \(path) \(status) \(String(format: "%.3f", seconds * 1000)) ms")
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as HTTPResponseError {
            record(error.status.code)
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
