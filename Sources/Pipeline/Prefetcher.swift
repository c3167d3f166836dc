import Foundation

/// Reads items on a background thread into a bounded queue, so the caller can take
/// "whatever has arrived" as a batch: a slow pipe gives small batches (the first output
/// appears before the input ends), a fast file gives full ones, and memory stays bounded
/// by `capacity` (items, or their weights) however long the input is. Reading (and
/// tokenizing) also overlaps with the caller's work.
public final class Prefetcher<Element> {
    private let condition = NSCondition()
    private var queue: [Element] = []
    private var weights: [Int] = []
    private var head = 0
    private var waiting = 0
    /// Whether the producer waits for room (so a batch cannot grow by waiting longer).
    private var full = false
    private var finished = false
    private var failure: Error?
    /// The weight the caller waits for while a batch fills (`Int.max` when it waits for
    /// none): an item that leaves the waiting weight below it does not wake the caller.
    private var awaitedWeight = Int.max
    private let capacity: Int
    private let weight: (Element) -> Int
    private var thread: Thread?

    /// Starts a thread calling `produce` until it returns `nil` or throws. Items waiting
    /// weigh at most `capacity` together (`weight` of an item, at least 1; by default each
    /// item weighs 1), but one item always fits, whatever it weighs.
    public init(
        capacity: Int, weight: @escaping (Element) -> Int = { _ in 1 },
        produce: @escaping () throws -> Element?
    ) {
        precondition(capacity > 0, "capacity must be positive, got \(capacity)")
        self.capacity = capacity
        self.weight = weight
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
            let itemWeight = max(1, weight(item))
            while waiting > 0 && waiting + itemWeight > capacity {
                full = true
                condition.broadcast()
                condition.wait()
            }
            full = false
            let wasEmpty = queue.count == head
            queue.append(item)
            weights.append(itemWeight)
            waiting += itemWeight
            // Waking the caller for every item of a filling batch cost a context switch
            // per sentence; it waits for the first item or for the batch to be full.
            if wasEmpty || waiting >= awaitedWeight { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Waits for at least one item and returns the waiting items in order while their
    /// weights add up to at most `maximum` (always at least one); an empty array at the end
    /// of the input. Items produced before a failure are returned first; then the
    /// producer's error is thrown.
    ///
    /// Once an item is there, it waits up to `patience` seconds more for the batch to fill
    /// (`maximum` reached, the input at its end, or the queue full). A producer that keeps
    /// up (a file, a fast pipe) thus always gives full batches, so the batches, and any
    /// result that depends on how items are grouped, are the same from run to run; a slow
    /// producer (a person typing) still sees each item after at most `patience`.
    public func nextBatch(maximum: Int, patience: Double = 0) throws -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        while queue.count == head && !finished { condition.wait() }
        if patience > 0 {
            let deadline = Date(timeIntervalSinceNow: patience)
            awaitedWeight = maximum
            defer { awaitedWeight = .max }
            while waiting < maximum && !finished && !full {
                if !condition.wait(until: deadline) { break }
            }
        }
        return try take(maximum: maximum)
    }

    /// ``nextBatch(maximum:patience:)`` that gives up, returning `nil`, once `interrupted`
    /// is true: it is looked at before waiting and after every wake-up (an item arriving,
    /// or ``wake()`` from whoever makes it true). A batch still filling when it is
    /// interrupted stays in the queue for the next call.
    ///
    /// With `sharedBy` > 1, the items left once the input has ended are shared out: a batch
    /// then takes at most a `1/sharedBy` part of the weight still waiting (but at least
    /// `smallestShare`), so batches shrink towards the end. Lanes taking the last batches
    /// of a file then finish close together, instead of one lane running a whole batch
    /// while the others have nothing left.
    public func nextBatch(
        maximum: Int, patience: Double, sharedBy parts: Int = 1, smallestShare: Int = 1,
        unless interrupted: () -> Bool
    ) throws -> [Element]? {
        precondition(parts >= 1 && smallestShare >= 1, "parts and smallest share must be positive")
        condition.lock()
        defer { condition.unlock() }
        while queue.count == head && !finished {
            if interrupted() { return nil }
            condition.wait()
        }
        let deadline = Date(timeIntervalSinceNow: patience)
        awaitedWeight = maximum
        defer { awaitedWeight = .max }
        while waiting < maximum && !finished && !full {
            if interrupted() { return nil }
            if !condition.wait(until: deadline) { break }
        }
        if finished && parts > 1 {
            let share = max(smallestShare, (waiting + parts - 1) / parts)
            return try take(maximum: min(maximum, share))
        }
        return try take(maximum: maximum)
    }

    /// Wakes a caller waiting in ``nextBatch(maximum:patience:unless:)`` to look at its
    /// condition again.
    public func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The waiting items while their weights add up to at most `maximum` (at least one);
    /// `[]` or the producer's error when none is waiting. Called with the lock held.
    private func take(maximum: Int) throws -> [Element] {
        if queue.count == head {
            if let failure { throw failure }
            return []
        }
        var end = head + 1
        var taken = weights[head]
        while end < queue.count && taken + weights[end] <= maximum {
            taken += weights[end]
            end += 1
        }
        let batch = Array(queue[head..<end])
        waiting -= taken
        head = end
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            weights.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 {
            queue.removeFirst(head)
            weights.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return batch
    }
}
