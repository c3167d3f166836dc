import ArgumentParser
import Dispatch
import Foundation
import Pipeline
import Serving

/// `tagger serve`: the pipeline as an HTTP JSON service (a thin shell over
/// `Serving.AnnotationService`).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serve the pipeline over HTTP: annotate JSON or plain-text requests, batched across clients.",
        discussion: """
            POST /annotate takes {"text": "...", "components": ["pos","ner"], "splitSentences": \
            true, "offsets": "utf16"} or {"texts": [...]} as application/json, or a text/plain \
            body (options then in the query: ?components=pos,ner&splitSentences=false), and \
            answers the JSON of `tagger annotate --format json` (for "texts": {"documents": \
            [...]}). GET /models lists the models, GET /health answers {"status":"ok"}, GET \
            /metrics gives Prometheus text. Errors are {"error": "message"}: 400 for a bad \
            body, 413 for one over --max-body-bytes, 503 with Retry-After beyond \
            --max-in-flight. SIGTERM or SIGINT stops accepting, answers the requests in flight \
            and exits 0. The start line on standard error names the port (useful with --port 0).
            """)

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(
        help: ArgumentHelp(
            "The components to load, comma-separated: pos, ner, sentiment (default: all three).",
            valueName: "list"))
    var components: ComponentList?

    @Option(help: "The directory of the shipped models.")
    var models: String?

    @Option(help: "The largest request body, in bytes.")
    var maxBodyBytes = 1 << 20

    @Option(help: "Requests to /annotate in flight at once; more get 503.")
    var maxInFlight = 512

    @Option(help: "Model threads: 1 or 2.")
    var threads = 1

    @Option(help: "Milliseconds a batch waits for requests still being read.")
    var batchWaitMs = 1.0

    @Option(help: "Requests in one batch at most.")
    var maxBatch = 64

    @Option(help: "Seconds a connection may send and receive nothing before it is closed.")
    var idleTimeout = 30.0

    @Flag(help: "Log every request on standard error.")
    var verbose = false

    func validate() throws {
        var settings = serviceConfiguration
        settings.port = port
        do { try settings.validate() } catch { throw ValidationError(error.localizedDescription) }
    }

    var serviceConfiguration: ServiceConfiguration {
        var settings = ServiceConfiguration()
        settings.host = host
        settings.port = port
        settings.maxBodyBytes = maxBodyBytes
        settings.maxInFlight = maxInFlight
        settings.threads = threads
        settings.batchWait = .microseconds(Int64(max(0, batchWaitMs) * 1000))
        settings.maxBatchRequests = maxBatch
        settings.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        return settings
    }

    func run() throws {
        let chosen = components?.components ?? PipelineComponent.allCases
        let locator = ModelLocator(directory: models)
        let pipeline = try Pipeline(components: chosen, locator: locator, threads: threads)
        var paths: [String: String] = [:]
        for component in chosen {
            // POS and NER from the shipped joint model, when the pipeline took it.
            let model =
                pipeline.joint != nil && component != .sentiment
                ? ShippedModel.posNER : component.shippedModel
            paths[component.rawValue] = try locator.existingPath(of: model)
        }
        paths["sentences"] = try locator.existingPath(of: .sentences)
        let service = try AnnotationService(
            pipeline: pipeline, catalog: ModelCatalog(pipeline: pipeline, paths: paths),
            configuration: serviceConfiguration, logger: ServiceLog.logger(verbose: verbose))
        let names = chosen.map(\.rawValue).joined(separator: ",")
        let outcome = ServiceOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await service.run { host, port in
                    ServiceLog.line(
                        "tagger serve: listening on http://\(host):\(port) (components \(names))")
                }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw error }
        ServiceLog.line("tagger serve: stopped")
    }
}

/// How the server task ended.
private final class ServiceOutcome: @unchecked Sendable {
    var error: Error?
}
