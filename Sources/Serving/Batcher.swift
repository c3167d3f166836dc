import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Pipeline
import Tagging
import Text
import Tokenization

/// Runs requests through the pipeline in batches on a dedicated thread, off the event
/// loops: requests that arrive together share one forward pass.
///
/// Only the models run on that thread, the one every request waits for: tokenizing a
/// request that is not split into sentences (the splitter is a model, batched like the
/// others) and writing the answer's JSON run on the request's own task.
///
/// The model thread takes every queued request (up to ``ServiceConfiguration/maxBatchRequests``
/// requests and ``ServiceConfiguration/maxBatchBytes`` bytes of text). It waits up to
/// ``ServiceConfiguration/batchWait`` while requests are still being read (``arriving()``)
/// or fewer are queued than the last batch held, so batches under load stay full while a
/// request to an idle server (last batch: one request) starts at once.
public final class Batcher: @unchecked Sendable {
    /// One request's answer: each text's document as JSON, and the words annotated.
    public struct Answer: Sendable {
        /// Each text's JSON object.
        public var documents: [[UInt8]]
        /// Words annotated.
        public var words: Int
    }

    private struct Job {
        var request: AnnotationRequest
        /// The texts tokenized, each one sentence, unless the request splits sentences.
        var documents: [Document]?
        var bytes: Int
        var done: @Sendable (Result<[AnnotatedDocument], Error>) -> Void
    }

    private let tokenizer: Tokenizer
    private let pipelines: PipelineFamily
    /// How often the model thread returns freed memory to the system.
    static let trimInterval: Duration = .seconds(2)

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module), or nothing on another libc.
    private static let trimFreeMemory: () -> Void = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else {
            return {}
        }
        let trim = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        return { _ = trim(0) }
    }()
    private let configuration: ServiceConfiguration
    private let metrics: ServiceMetrics
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var arrivingCount = 0
    private var lastBatchSize = 1
    private var stopping = false
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    /// A batcher over `pipeline` (whose components are the ones loaded).
    public init(pipeline: Pipeline, configuration: ServiceConfiguration, metrics: ServiceMetrics) {
        self.tokenizer = pipeline.tokenizer
        self.pipelines = PipelineFamily(pipeline)
        self.configuration = configuration
        self.metrics = metrics
    }

    /// Starts the model thread.
    public func start() throws {
        finished.enter()
        let thread = Thread { [self] in
            run()
            finished.leave()
        }
        thread.name = "tagger-models"
        thread.stackSize = 8 << 20
        threads.append(thread)
        thread.start()
    }

    /// Lets the model thread finish what is queued, then stop; returns when it has.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    /// Requests queued and not yet taken into a batch.
    public var queueLength: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    /// Announces a request whose body is being read, so a forming batch may wait for it;
    /// balance with ``annotate(_:)`` or ``withdraw()``.
    public func arriving() {
        condition.lock()
        arrivingCount += 1
        condition.unlock()
    }

    /// An announced request that will not be queued (refused or failed).
    public func withdraw() {
        condition.lock()
        arrivingCount -= 1
        condition.signal()
        condition.unlock()
    }

    /// Queues an announced request and waits for its answer.
    public func annotate(_ request: AnnotationRequest) async throws -> Answer {
        let bytes = request.texts.reduce(0) { $0 + $1.utf8.count }
        let documents =
            request.options.splitSentences
            ? nil : request.texts.map { tokenizer.document($0, sentences: .whole) }
        let annotated: [AnnotatedDocument] = try await withCheckedThrowingContinuation {
            continuation in
            condition.lock()
            arrivingCount -= 1
            queue.append(
                Job(request: request, documents: documents, bytes: bytes) {
                    continuation.resume(with: $0)
                })
            metrics.queued(queue.count - head)
            condition.signal()
            condition.unlock()
        }
        return Answer(
            documents: annotated.map {
                Array(DocumentWriter.json($0, offsets: request.options.offsets).utf8)
            },
            words: annotated.reduce(0) { $0 + $1.words.count })
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.count == head {
            if stopping { return nil }
            condition.wait()
        }
        // Under steady load the clients of the last batch are about to send again: wait
        // (boundedly) for as many requests as the last batch held, and for those being read.
        let target = min(configuration.maxBatchRequests, lastBatchSize)
        let deadline = Date(timeIntervalSinceNow: configuration.batchWait.seconds)
        while (arrivingCount > 0 || queue.count - head < target)
            && queue.count - head < configuration.maxBatchRequests
        {
            if !condition.wait(until: deadline) { break }
        }
        var batch: [Job] = []
        var bytes = 0
        while head < queue.count && batch.count < configuration.maxBatchRequests
            && (batch.isEmpty || bytes + queue[head].bytes <= configuration.maxBatchBytes)
        {
            bytes += queue[head].bytes
            batch.append(queue[head])
            head += 1
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: queue.capacity <= 4096)
            head = 0
        }
        metrics.queued(queue.count - head)
        lastBatchSize = batch.count
        return batch
    }

    private func run() {
        var lastTrim = ContinuousClock.now
        while let batch = nextBatch() {
            // Each batch's buffers are freed on several threads' malloc arenas; give their
            // free pages back to the system now and then, so resident memory follows the
            // load instead of creeping up with fragmentation.
            if ContinuousClock.now - lastTrim > Self.trimInterval {
                Self.trimFreeMemory()
                lastTrim = ContinuousClock.now
            }
            metrics.batch(requests: batch.count)
            // Requests of equal options share a forward pass.
            var groups: [AnnotationOptions: [Int]] = [:]
            var order: [AnnotationOptions] = []
            for (index, job) in batch.enumerated() {
                if groups[job.request.options] == nil { order.append(job.request.options) }
                groups[job.request.options, default: []].append(index)
            }
            for options in order {
                let members = groups[options]!
                let result = Result(catching: { () throws -> [[AnnotatedDocument]] in
                    try annotate(members.map { batch[$0] }, options)
                })
                for (k, index) in members.enumerated() {
                    batch[index].done(result.map { $0[k] })
                }
            }
        }
    }

    /// Each job's documents annotated, the texts of all of them in shared batches.
    private func annotate(_ jobs: [Job], _ options: AnnotationOptions) throws
        -> [[AnnotatedDocument]]
    {
        let pipeline = pipelines.pipeline(options.components, threads: configuration.threads)
        let documents: [Document]
        if options.splitSentences {
            documents = pipeline.documents(jobs.flatMap(\.request.texts))
        } else {
            documents = jobs.flatMap { $0.documents! }
        }
        let annotated = pipeline.annotate(documents: documents)
        var answers: [[AnnotatedDocument]] = []
        var next = 0
        for job in jobs {
            let count = job.request.texts.count
            answers.append(Array(annotated[next..<(next + count)]))
            next += count
        }
        return answers
    }
}

/// The pipeline for each set of components, sharing the loaded models (made on first use,
/// on the model thread only).
final class PipelineFamily {
    private let full: Pipeline
    private var members: [[PipelineComponent]: Pipeline] = [:]

    init(_ full: Pipeline) { self.full = full }

    func pipeline(_ components: [PipelineComponent], threads: Int) -> Pipeline {
        if let found = members[components] { return found }
        // The parts are the full pipeline's own models, so they do their tasks.
        let made = try! Pipeline(
            tokenizer: full.tokenizer, segmenter: full.segmenter,
            pos: components.contains(.pos) ? full.pos : nil,
            ner: components.contains(.ner) ? full.ner : nil,
            sentiment: components.contains(.sentiment) ? full.sentiment : nil, threads: threads)
        members[components] = made
        return made
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
