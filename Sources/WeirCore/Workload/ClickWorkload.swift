import Foundation

/// The canonical `clicks` workload: seeded, deterministic NDJSON events.
///
/// `{"ts":…,"user":"u…","page":"p…","country":"US","latency_ms":…,"bytes":…}` with skewed users
/// (~1 M), zipf-like pages (10,000), skewed countries (50), log-normal latency (1…5000 ms) and
/// size (200…2,000,000 bytes). Event time advances at a fixed rate; a fraction of events is
/// delayed (out of order within `delayMaxMilliseconds`) and an optional fraction is very late.
public struct ClickWorkload: Sendable {
    public struct Settings: Sendable, Equatable {
        public var seed: UInt64 = 7
        public var events: Int = 10_000_000
        /// Event-time span covered by 10 M events (default 1 hour), scaled to `events`.
        public var millisecondsPer10MEvents: Int64 = 3_600_000
        /// Event time of the first event (2026-01-01T00:00:00Z).
        public var startTime: Int64 = 1_767_225_600_000
        public var delayedFraction: Double = 0.30
        public var delayMaxMilliseconds: Int64 = 2_000
        /// Fraction of events placed far behind (`lateByMilliseconds`), to exercise lateness.
        public var lateFraction: Double = 0
        public var lateByMilliseconds: Int64 = 120_000
        public var users: Int = 1_000_000
        public var pages: Int = 10_000
        public init() {}
    }

    public static let countries = [
        "US", "IN", "BR", "DE", "GB", "FR", "JP", "ID", "MX", "CA", "IT", "ES", "KR", "RU", "TR", "NL", "PL", "AU",
        "AR", "PH", "VN", "TH", "EG", "NG", "PK", "BD", "SE", "BE", "CH", "AT", "NO", "DK", "FI", "IE", "PT", "GR",
        "CZ", "RO", "HU", "IL", "SA", "AE", "ZA", "CO", "CL", "PE", "MY", "SG", "NZ", "UA",
    ]

    public let settings: Settings
    private var rng: SeededGenerator
    private var index = 0

    public init(_ settings: Settings) {
        self.settings = settings
        rng = SeededGenerator(seed: settings.seed)
    }

    public var isFinished: Bool { index >= settings.events }

    /// Appends the next event's line (no newline) to `out` and returns its event time.
    public mutating func next(into out: inout [UInt8]) -> Int64 {
        let s = settings
        var ts = s.startTime + Int64(Double(index) * Double(s.millisecondsPer10MEvents) / 10_000_000)
        index += 1
        let roll = rng.unit()
        if roll < s.lateFraction {
            ts -= s.lateByMilliseconds + Int64(rng.below(Int(max(1, s.lateByMilliseconds))))
        } else if roll < s.lateFraction + s.delayedFraction {
            ts -= Int64(rng.below(Int(s.delayMaxMilliseconds) + 1))
        }
        let user = rng.zipf(s.users, exponent: 0.8)
        let page = rng.zipf(s.pages, exponent: 1.1)
        let country = ClickWorkload.countries[rng.zipf(ClickWorkload.countries.count, exponent: 1.2)]
        let latency = min(5_000, max(1, Int64(exp(4.4 + 0.9 * rng.normal()))))
        let bytes = min(2_000_000, max(200, Int64(exp(9.9 + 1.4 * rng.normal()))))
        append("{\"ts\":", &out); appendInt(ts, &out)
        append(",\"user\":\"u", &out); appendInt(Int64(user), &out)
        append("\",\"page\":\"p", &out); appendInt(Int64(page), &out)
        append("\",\"country\":\"", &out); append(country, &out)
        append("\",\"latency_ms\":", &out); appendInt(latency, &out)
        append(",\"bytes\":", &out); appendInt(bytes, &out)
        out.append(UInt8(ascii: "}"))
        return ts
    }

    @inline(__always)
    private func append(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    private func append(_ s: String, _ out: inout [UInt8]) { out.append(contentsOf: s.utf8) }

    @inline(__always)
    private func appendInt(_ v: Int64, _ out: inout [UInt8]) { ByteText.appendInt(v, to: &out) }
}
