/// The one clock a process shell reads: monotonic time and sleeping. The worker and the
/// coordinator get one injected (production: `SystemClock` in `WeirWire`; tests: a manual clock
/// they advance), so timing is decided by what they are given, never read behind their back.
/// The pure protocol types (`LeaseHolder`, `LeaseAuthority`, `CheckpointOwner`, …) take `now:`
/// from it.
public protocol ProcessClock: Sendable {
    /// Time since the clock's origin. Never goes back.
    func elapsed() -> Duration
    /// Suspends for `duration` of this clock's time; throws `CancellationError` when cancelled.
    func sleep(for duration: Duration) async throws
    /// Wall-clock nanoseconds since the Unix epoch: only to tell a process's incarnations apart
    /// (a restart gets a higher number), never for timing.
    func wallNanoseconds() -> UInt64
}

extension ProcessClock {
    /// Whole milliseconds since the clock's origin: the unit every lease and checkpoint rule uses.
    public func milliseconds() -> Int64 { elapsed().wholeMilliseconds }

    public func sleep(milliseconds: Int64) async throws { try await sleep(for: .milliseconds(milliseconds)) }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    public var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
