import Synchronization
import WeirCore

/// Where a process waits for the answers to what it asked another process: each request gets a
/// typed id, an optional deadline on the process's clock (checked by `expireOverdue`, which the
/// process calls from its control loop), and ends exactly once — answered,
/// timed out (with whatever had arrived), cancelled with the task that waits, or failed (the
/// connection it went over closed). One of these per kind of request replaces a hand-kept map
/// from request numbers to continuations and the polling that timed them out.
///
/// A request's `Reply` can be built from several answers (a query gathers one report per
/// worker): `update` folds each into it and says when it is complete. Requests are keyed by
/// `Key`: a `RequestID` the correlator hands out (`makeID`), or what the protocol already
/// names a request by (a checkpoint by its lease: one in flight per partition).
public final class RequestCorrelator<Key: Hashable & Sendable, Reply: Sendable>: Sendable {
    public typealias ID = Key

    /// How a request ended.
    public enum Outcome: Sendable {
        case answered(Reply)
        /// The deadline passed; the reply as far as it had been built.
        case timedOut(Reply)
        /// The waiting task was cancelled.
        case cancelled
        /// It cannot be answered any more (the connection closed); why.
        case failed(String)

        /// The reply, whole or partial; nil when cancelled or failed.
        public var reply: Reply? {
            switch self {
            case .answered(let r), .timedOut(let r): r
            case .cancelled, .failed: nil
            }
        }
    }

    public typealias Counts = RequestCounts

    private struct Entry {
        var reply: Reply
        var continuation: CheckedContinuation<Outcome, Never>
        /// When it times out, on the correlator's clock.
        var deadline: Duration?
    }

    private struct State {
        var nextID: UInt64 = 1
        var entries: [Key: Entry] = [:]
        /// Keys whose task was cancelled before the request was registered.
        var cancelledEarly: Set<Key> = []
        var counts = Counts()
    }

    /// What is asked (for logs and metrics): "fetch", "checkpoint", "query" …
    public let kind: String
    private let clock: any ProcessClock
    private let state = Mutex(State())
    private let timedOutHook: @Sendable (String) -> Void

    /// - Parameter onTimeout: called with `kind` each time a request times out (metrics).
    public init(kind: String, clock: any ProcessClock, onTimeout: @escaping @Sendable (String) -> Void = { _ in }) {
        self.kind = kind
        self.clock = clock
        timedOutHook = onTimeout
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// Requests waiting now.
    public var pendingCount: Int { state.withLock { $0.entries.count } }

    /// Registers request `id` with its `initial` reply, runs `send` (which puts it on the wire)
    /// and waits until it ends. `timeout`: nil waits for an answer, a failure or cancellation.
    /// `endsOnCancellation: false` keeps waiting when the calling task is cancelled: for a
    /// request whose answer decides state the caller must know (a checkpoint in flight, a
    /// standby's copy). `send` runs in the caller's isolation (an actor's state may be read there).
    public func request(_ id: ID, initial: Reply, timeout: Duration?, endsOnCancellation: Bool = true,
                        isolation: isolated (any Actor)? = #isolation, send: () -> Void) async -> Outcome {
        guard endsOnCancellation else { return await register(id, initial: initial, timeout: timeout, isolation: isolation, send: send) }
        return await withTaskCancellationHandler {
            await register(id, initial: initial, timeout: timeout, isolation: isolation, send: send)
        } onCancel: {
            let ended = end(id) { _ in .cancelled }
            if !ended { state.withLock { s in if s.entries[id] == nil { s.cancelledEarly.insert(id) } } }
        }
    }

    /// Records the request, sends it and suspends until `end` resumes it.
    private func register(_ id: ID, initial: Reply, timeout: Duration?, isolation: isolated (any Actor)?,
                          send: () -> Void) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let deadline = timeout.map { clock.elapsed() + $0 }
            let (cancelled, superseded) = state.withLock { s -> (Bool, Entry?) in
                if s.cancelledEarly.remove(id) != nil {
                    s.counts.cancelled += 1
                    return (true, nil)
                }
                // A request under the same key ends the one before it (their answers could
                // not be told apart): that one fails as superseded.
                let superseded = s.entries.removeValue(forKey: id)
                if superseded != nil { s.counts.failed += 1 }
                s.entries[id] = Entry(reply: initial, continuation: continuation, deadline: deadline)
                return (false, superseded)
            }
            superseded?.continuation.resume(returning: .failed("superseded by a new request \(id)"))
            if cancelled { return continuation.resume(returning: .cancelled) }
            send()
        }
    }

    /// The whole answer to `id` arrived. False when the request is no longer waiting (it timed
    /// out, was cancelled, or the answer is a duplicate).
    @discardableResult
    public func answer(_ id: ID, with reply: Reply) -> Bool {
        end(id) { _ in .answered(reply) }
    }

    /// Folds part of an answer into `id`'s reply; `body` returns true when the reply is
    /// complete, which answers the request. False when the request is no longer waiting.
    @discardableResult
    public func update(_ id: ID, _ body: (inout Reply) -> Bool) -> Bool {
        let complete = state.withLock { s -> Bool? in
            // Taken out and put back, so the reply is mutated in place (no copy of it).
            guard var entry = s.entries.removeValue(forKey: id) else { return nil }
            let complete = body(&entry.reply)
            s.entries[id] = entry
            return complete
        }
        guard let complete else { return false }
        if complete { end(id) { .answered($0) } }
        return true
    }

    /// `update` on every waiting request (e.g. a worker went away: none of them waits for it any more).
    public func updateAll(_ body: (inout Reply) -> Bool) {
        let complete = state.withLock { s -> [Key] in
            var done: [Key] = []
            for id in Array(s.entries.keys) {
                guard var entry = s.entries.removeValue(forKey: id) else { continue }
                if body(&entry.reply) { done.append(id) }
                s.entries[id] = entry
            }
            return done
        }
        for id in complete { end(id) { .answered($0) } }
    }

    /// Ends every request whose deadline has passed as timed out. The process calls it from its
    /// control loop (every 50 ms): deadlines cost no timer or task per request.
    public func expireOverdue() {
        let now = clock.elapsed()
        let overdue = state.withLock { s in s.entries.compactMap { id, e in e.deadline.map { $0 <= now } == true ? id : nil } }
        for id in overdue { end(id) { .timedOut($0) } }
    }

    /// Ends every waiting request as failed (the connection they went over closed).
    public func failAll(_ reason: String) {
        let ended = state.withLock { s -> [Entry] in
            let all = Array(s.entries.values)
            s.entries.removeAll()
            s.counts.failed += all.count
            return all
        }
        for e in ended { e.continuation.resume(returning: .failed(reason)) }
    }

    /// Ends `id` with the outcome `make` builds from its reply; false when it was not waiting.
    @discardableResult
    private func end(_ id: ID, _ make: (Reply) -> Outcome) -> Bool {
        let ended = state.withLock { s -> (Entry, Outcome)? in
            guard let entry = s.entries.removeValue(forKey: id) else { return nil }
            let outcome = make(entry.reply)
            switch outcome {
            case .answered: s.counts.answered += 1
            case .timedOut: s.counts.timedOut += 1
            case .cancelled: s.counts.cancelled += 1
            case .failed: s.counts.failed += 1
            }
            return (entry, outcome)
        }
        guard let (entry, outcome) = ended else { return false }
        if case .timedOut = outcome { timedOutHook(kind) }
        entry.continuation.resume(returning: outcome)
        return true
    }
}

/// A request's number on the wire, typed so that numbers of different kinds of request cannot be
/// mixed up.
public struct RequestID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (a: RequestID, b: RequestID) -> Bool { a.value < b.value }
    public var description: String { "#\(value)" }
}

/// Hands out request numbers, unique within a process (shared by its correlators, so a number
/// in a log line names one request).
public final class RequestNumbers: Sendable {
    private let next = Atomic<UInt64>(1)
    public init() {}
    public func make() -> RequestID { RequestID(next.add(1, ordering: .relaxed).oldValue) }
}

/// How requests of one kind have ended so far.
public struct RequestCounts: Sendable, Equatable {
    public var answered = 0, timedOut = 0, cancelled = 0, failed = 0
    public init(answered: Int = 0, timedOut: Int = 0, cancelled: Int = 0, failed: Int = 0) {
        self.answered = answered; self.timedOut = timedOut; self.cancelled = cancelled; self.failed = failed
    }
}
