import Foundation

/// A bounded FIFO between one producer thread and one consumer, with end-of-stream and errors.
///
/// `@unchecked Sendable`: all mutable state is read and written only while holding `condition`.
final class BatchQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "BatchQueue needs a positive capacity")
        self.capacity = capacity
    }

    /// Blocks while full; returns false when the consumer has cancelled.
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Marks the end of the stream, with the producer's error if it failed.
    func finish(error: Error?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next item; nil at the end of the stream; throws the producer's error.
    func take() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            let item = items.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    /// Called by a consumer that stops early: producers see `put` return false from now on.
    func abandon() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the producer (it sees `put` return false) and waits for it to finish.
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
