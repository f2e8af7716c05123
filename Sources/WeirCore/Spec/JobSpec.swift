/// A windowed aggregation job: which stream, how to read event time, which windows, which
/// groups, which aggregates. Parsed and validated by `JobSpecParser`.
public struct JobSpec: Sendable, Equatable {
    /// The job's name; also its identifier in URLs and files (`[a-z0-9][a-z0-9._-]*`).
    public var name: String
    /// The stream the job reads.
    public var stream: String
    /// Where an event's time comes from.
    public var time: TimeSpec
    /// Maximum out-of-orderness: watermark = max event time seen − this.
    public var watermarkDelayMilliseconds: Int64
    public var window: WindowSpec
    /// How long after a window's end (in watermark time) it still accepts events.
    public var allowedLatenessMilliseconds: Int64
    /// Fields whose values form the group key (possibly none).
    public var groupBy: [String]
    /// Events for which this is false are skipped (counted as filtered).
    public var filter: FilterExpr?
    public var aggregates: [AggregateSpec]

    public init(
        name: String, stream: String, time: TimeSpec, watermarkDelayMilliseconds: Int64,
        window: WindowSpec, allowedLatenessMilliseconds: Int64, groupBy: [String],
        filter: FilterExpr?, aggregates: [AggregateSpec]
    ) {
        self.name = name
        self.stream = stream
        self.time = time
        self.watermarkDelayMilliseconds = watermarkDelayMilliseconds
        self.window = window
        self.allowedLatenessMilliseconds = allowedLatenessMilliseconds
        self.groupBy = groupBy
        self.filter = filter
        self.aggregates = aggregates
    }

    /// The output column names after `window_start,window_end`: group fields, then aggregates.
    public var outputColumns: [String] {
        groupBy + aggregates.flatMap(\.outputColumns)
    }
}

/// How event time is read from an event.
public struct TimeSpec: Sendable, Equatable {
    public var field: String
    public var unit: TimeUnit
    public init(field: String, unit: TimeUnit) { self.field = field; self.unit = unit }
}

/// The unit of the time field: a number of ms/s/us/ns since the Unix epoch, or an ISO-8601 string.
public enum TimeUnit: String, Sendable, Equatable, CaseIterable {
    case milliseconds = "ms"
    case seconds = "s"
    case microseconds = "us"
    case nanoseconds = "ns"
    case iso8601 = "iso8601"
}

/// The shape of windows, all in event-time milliseconds and aligned to the Unix epoch.
public enum WindowSpec: Sendable, Equatable {
    /// Back-to-back windows `[k·size, (k+1)·size)`.
    case tumbling(sizeMilliseconds: Int64)
    /// Windows of `size` starting every `slide`; an event belongs to ⌈size/slide⌉ windows.
    case hopping(sizeMilliseconds: Int64, slideMilliseconds: Int64)
    /// Per group, events closer than `gap` form one window `[first, last + gap)`.
    case session(gapMilliseconds: Int64)
    /// Windows `[k·maxSize, k·maxSize + j·step)` for j = 1…maxSize/step: running totals that
    /// reset every `maxSize`.
    case cumulate(stepMilliseconds: Int64, maxSizeMilliseconds: Int64)

    /// The longest window these make; nil for sessions, whose length has no bound.
    public var longestMilliseconds: Int64? {
        switch self {
        case .tumbling(let size): size
        case .hopping(let size, _): size
        case .cumulate(_, let maxSize): maxSize
        case .session: nil
        }
    }
}

/// One aggregate of a job and its output name.
public struct AggregateSpec: Sendable, Equatable {
    /// The output column name (`as` in the spec).
    public var name: String
    public var function: AggregateFunction
    public init(name: String, function: AggregateFunction) { self.name = name; self.function = function }

    /// Column names this aggregate writes: one, or one per quantile (`<as>_p50`, `<as>_p99_9`).
    public var outputColumns: [String] {
        switch function {
        case .quantiles(_, let qs, _), .exactQuantiles(_, let qs):
            return qs.map { "\(name)_\(AggregateSpec.quantileSuffix($0))" }
        default:
            return [name]
        }
    }

    /// `0.5` → `p50`, `0.05` → `p5`, `0.999` → `p99_9`, `1` → `p100`.
    public static func quantileSuffix(_ q: Double) -> String {
        if q >= 1 { return "p100" }
        if q <= 0 { return "p0" }
        let text = "\(q)"  // shortest round-trip text, e.g. "0.999"
        guard text.hasPrefix("0."), !text.contains("e") else { return "p\(Int((q * 100).rounded()))" }
        var digits = Array(text.dropFirst(2))
        while digits.count < 2 { digits.append("0") }
        let whole = Int(String(digits[0..<2])) ?? 0
        let fraction = String(digits[2...])
        return fraction.isEmpty ? "p\(whole)" : "p\(whole)_\(fraction)"
    }
}

/// The aggregate functions. Every one is a commutative monoid: partial states merge exactly.
public enum AggregateFunction: Sendable, Equatable {
    /// Events in the group; with a field, events where it is present and not null.
    case count(field: String?)
    case sum(field: String)
    case min(field: String)
    case max(field: String)
    case avg(field: String)
    /// Exact number of distinct non-null values.
    case countDistinct(field: String)
    /// HyperLogLog estimate with 2^precision registers; standard error 1.04/√(2^precision).
    case approxDistinct(field: String, precision: Int)
    /// DDSketch quantiles; every answer is within `relativeError` of the true value at its rank.
    case quantiles(field: String, quantiles: [Double], relativeError: Double)
    /// Exact quantiles (keeps every value; for small groups).
    case exactQuantiles(field: String, quantiles: [Double])
    /// The `n` most frequent values with their counts (exact).
    case topN(field: String, n: Int)
    /// The value at the smallest event time (ties: smallest value).
    case first(field: String)
    /// The value at the largest event time (ties: largest value).
    case last(field: String)

    /// The input field, if any.
    public var field: String? {
        switch self {
        case .count(let f): return f
        case .sum(let f), .min(let f), .max(let f), .avg(let f), .countDistinct(let f),
             .first(let f), .last(let f):
            return f
        case .approxDistinct(let f, _), .quantiles(let f, _, _), .exactQuantiles(let f, _), .topN(let f, _):
            return f
        }
    }

    /// True when the input must be a number.
    public var needsNumber: Bool {
        switch self {
        case .sum, .min, .max, .avg, .quantiles, .exactQuantiles: return true
        default: return false
        }
    }

    /// The name used in specs.
    public var keyword: String {
        switch self {
        case .count: return "count"
        case .sum: return "sum"
        case .min: return "min"
        case .max: return "max"
        case .avg: return "avg"
        case .countDistinct: return "count_distinct"
        case .approxDistinct: return "approx_distinct"
        case .quantiles: return "quantiles"
        case .exactQuantiles: return "exact_quantiles"
        case .topN: return "top_n"
        case .first: return "first"
        case .last: return "last"
        }
    }
}
