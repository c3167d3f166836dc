import Foundation

/// Reads items on a background thread into a bounded queue, so the caller can take
/// "whatever has arrived" as a batch: a slow pipe gives small batches (the first output
/// appears before the input ends), a fast file gives full ones, and memory stays bounded
/// by `capacity` items however long the input is. Reading (and tokenizing) also overlaps
/// with the caller's work.
public final class Prefetcher<Element> {
    private let condition = NSCondition()
    private var queue: [Element] = []
    private var head = 0
    private var finished = false
    private var failure: Error?
    private let capacity: Int
    private var thread: Thread?

    /// Starts a thread calling `produce` until it returns `nil` or throws; at most
    /// `capacity` produced items wait at any time.
    public init(capacity: Int, produce: @escaping () throws -> Element?) {
        precondition(capacity > 0, "capacity must be positive, got \(capacity)")
        self.capacity = capacity
        // The thread keeps the prefetcher alive until the input ends.
        let thread = Thread { self.run(produce) }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    private func run(_ produce: () throws -> Element?) {
        while true {
            let item: Element?
            do {
                item = try produce()
            } catch {
                condition.lock()
                failure = error
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            guard let item else {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            while queue.count - head >= capacity { condition.wait() }
            queue.append(item)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits for at least one item and returns every waiting item, up to `maximum`; an
    /// empty array at the end of the input. Items produced before a failure are returned
    /// first; then the producer's error is thrown.
    public func nextBatch(maximum: Int) throws -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        while queue.count == head && !finished { condition.wait() }
        if queue.count == head {
            if let failure { throw failure }
            return []
        }
        let end = min(queue.count, head + maximum)
        let batch = Array(queue[head..<end])
        head = end
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head > capacity {
            queue.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return batch
    }
}
