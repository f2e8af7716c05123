import Foundation
import WeirCore

/// The production `ProcessClock`: the system's monotonic clock (`ContinuousClock`, which keeps
/// counting while the machine sleeps, so a suspended process sees its leases lapse) from the
/// moment the clock was made, and `Task.sleep`.
public struct SystemClock: ProcessClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func elapsed() -> Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }

    public func wallNanoseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1e9) }
}
