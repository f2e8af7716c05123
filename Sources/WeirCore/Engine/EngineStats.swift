/// Counters of one engine, for summaries and metrics.
public struct EngineStats: Sendable, Equatable {
    /// Events offered to the engine (good or bad).
    public var events: Int64 = 0
    /// Events added to at least one window.
    public var accepted: Int64 = 0
    public var filtered: Int64 = 0
    /// Events late for every window they belong to (not added).
    public var late: Int64 = 0
    /// Events added but late for some of their windows.
    public var partiallyLate: Int64 = 0
    public var rejectedByReason: [BadEventReason: Int64] = [:]
    public var windowsEmitted: Int64 = 0
    public var rowsEmitted: Int64 = 0

    public init() {}

    public var rejected: Int64 { rejectedByReason.values.reduce(0, +) }
}

/// The late ledger: per window, how many events arrived after it was final.
public struct LateLedger: Sendable, Equatable {
    public private(set) var counts: [Window: Int64] = [:]
    public init() {}
    public init(counts: [Window: Int64]) { self.counts = counts }
    public mutating func record(_ window: Window) { counts[window, default: 0] += 1 }
    /// Entries in canonical window order.
    public var sorted: [(window: Window, count: Int64)] {
        counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    public var total: Int64 { counts.values.reduce(0, +) }
}
