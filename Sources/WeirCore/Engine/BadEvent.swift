/// Why an event was not aggregated. Each reason is counted and the event is written to the
/// dead-letter file with it.
public enum BadEventReason: String, Error, Sendable, CaseIterable, Comparable {
    case invalidJSON = "invalid_json"
    case notAnObject = "not_an_object"
    case invalidUTF8 = "invalid_utf8"
    case lineTooLong = "line_too_long"
    case nestedValue = "nested_value"
    case missingTime = "missing_time"
    case badTime = "bad_time"
    case timeOutOfRange = "time_out_of_range"
    case wrongType = "wrong_type"
    case numberOutOfRange = "number_out_of_range"
    /// Not malformed: every window of the event was already final.
    case late = "late"

    public static func < (a: BadEventReason, b: BadEventReason) -> Bool { a.rawValue < b.rawValue }
}

/// A rejected or late event: the reason and a message that names the field at fault.
public struct EventRejection: Error, Sendable, Equatable {
    public var reason: BadEventReason
    public var message: String
    public init(_ reason: BadEventReason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

/// What the engine did with one event.
public enum EventOutcome: Sendable, Equatable {
    /// Added to every window it belongs to.
    case added
    /// Added to some windows; `lateWindows` of them were already final.
    case partiallyLate(lateWindows: Int)
    /// Every window was final: not added (counted in the late ledger).
    case late
    /// The job's filter excluded it.
    case filtered
    case rejected(EventRejection)
}

/// Bounds the engine enforces.
public enum EngineLimits {
    /// Numbers aggregated arithmetically must be within ±10^18 (keeps Int128 sums from overflowing).
    public static let numberMagnitudeMax = Decimal9(scaled: 1_000_000_000_000_000_000 * Decimal9.scale)
    /// Event times must be within ±10^15 ms of the epoch (about ±31,000 years).
    public static let eventTimeMagnitudeMax: Int64 = 1_000_000_000_000_000
}
