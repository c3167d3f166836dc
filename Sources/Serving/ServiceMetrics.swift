import Foundation

/// The service's counters, written in the Prometheus text exposition format by
/// ``prometheusText(queueLength:inFlight:)``: requests by endpoint and status, a latency
/// histogram, words annotated, batch sizes.
public final class ServiceMetrics: @unchecked Sendable {
    /// The upper bounds of the latency histogram's buckets, in seconds.
    public static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// The upper bounds of the batch-size histogram's buckets, in requests.
    public static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    private struct Histogram {
        var bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(_ bounds: [Double]) {
            self.bounds = bounds
            counts = [Int](repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            if let bucket = bounds.firstIndex(where: { value <= $0 }) { counts[bucket] += 1 }
            sum += value
            count += 1
        }

        func text(_ name: String) -> String {
            var lines = ""
            var cumulative = 0
            for (bound, n) in zip(bounds, counts) {
                cumulative += n
                lines += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
            }
            lines +=
                "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
            return lines
        }
    }

    private struct RequestKey: Hashable, Comparable {
        var endpoint: String
        var status: Int
        static func < (a: Self, b: Self) -> Bool { (a.endpoint, a.status) < (b.endpoint, b.status) }
    }

    private let lock = NSLock()
    private var requests: [RequestKey: Int] = [:]
    private var latency = Histogram(ServiceMetrics.latencyBuckets)
    private var batches = Histogram(ServiceMetrics.batchBuckets)
    private var words = 0
    private var documents = 0
    private var longestQueue = 0

    /// Empty counters.
    public init() {}

    /// Counts a request answered with `status` after `seconds`. Paths other than the
    /// service's endpoints count as `other`, so the labels stay few.
    public func request(endpoint: String, status: Int, seconds: Double) {
        let known = ["/annotate", "/models", "/health", "/metrics"]
        let key = RequestKey(
            endpoint: known.contains(endpoint) ? endpoint : "other", status: status)
        lock.lock()
        requests[key, default: 0] += 1
        latency.observe(seconds)
        lock.unlock()
    }

    /// Counts words and documents annotated.
    public func annotated(words: Int, documents: Int) {
        lock.lock()
        self.words += words
        self.documents += documents
        lock.unlock()
    }

    /// Counts a batch of `requests` requests.
    public func batch(requests: Int) {
        lock.lock()
        batches.observe(Double(requests))
        lock.unlock()
    }

    /// Notes the queue's length.
    public func queued(_ length: Int) {
        lock.lock()
        longestQueue = max(longestQueue, length)
        lock.unlock()
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func prometheusText(queueLength: Int, inFlight: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        var text =
            "# HELP tagger_http_requests_total HTTP requests answered, by endpoint and status.\n"
        text += "# TYPE tagger_http_requests_total counter\n"
        for key in requests.keys.sorted() {
            text +=
                "tagger_http_requests_total{endpoint=\"\(key.endpoint)\",status=\"\(key.status)\"} \(requests[key]!)\n"
        }
        text +=
            "# HELP tagger_http_request_duration_seconds Time from a request's head to its answer.\n"
        text += "# TYPE tagger_http_request_duration_seconds histogram\n"
        text += latency.text("tagger_http_request_duration_seconds")
        text += "# HELP tagger_words_annotated_total Words (tokens) annotated.\n"
        text +=
            "# TYPE tagger_words_annotated_total counter\ntagger_words_annotated_total \(words)\n"
        text += "# HELP tagger_documents_annotated_total Texts annotated.\n"
        text +=
            "# TYPE tagger_documents_annotated_total counter\ntagger_documents_annotated_total \(documents)\n"
        text += "# HELP tagger_batch_requests Requests in each batch run through the models.\n"
        text += "# TYPE tagger_batch_requests histogram\n"
        text += batches.text("tagger_batch_requests")
        text += "# HELP tagger_queue_length Requests waiting for the model thread.\n"
        text += "# TYPE tagger_queue_length gauge\ntagger_queue_length \(queueLength)\n"
        text += "# HELP tagger_queue_length_max The longest the queue has been.\n"
        text += "# TYPE tagger_queue_length_max gauge\ntagger_queue_length_max \(longestQueue)\n"
        text +=
            "# HELP tagger_requests_in_flight Requests to /annotate being read, queued or annotated.\n"
        text += "# TYPE tagger_requests_in_flight gauge\ntagger_requests_in_flight \(inFlight)\n"
        return text
    }
}
