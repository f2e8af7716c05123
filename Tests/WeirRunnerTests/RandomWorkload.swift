import Foundation
import WeirCore

/// Random jobs and random event streams for property tests, from a seed.
struct RandomWorkload {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func pick<T>(_ xs: [T]) -> T { xs[rng.below(xs.count)] }
    mutating func chance(_ p: Double) -> Bool { rng.unit() < p }

    /// A random valid job spec as YAML.
    mutating func jobYAML() -> String {
        let window: String
        switch rng.below(4) {
        case 0: window = "{type: tumbling, size: \(pick(["50ms", "100ms", "1s"]))}"
        case 1:
            let slide = pick([20, 50, 100])
            window = "{type: hopping, size: \(slide * (1 + rng.below(4)) + pick([0, 0, 10]))ms, slide: \(slide)ms}"
        case 2: window = "{type: session, gap: \(pick(["30ms", "80ms", "200ms"]))}"
        default: window = "{type: cumulate, step: 50ms, max_size: \(pick(["100ms", "200ms", "400ms"]))}"
        }
        var groups: [String] = []
        if chance(0.7) { groups.append("k") }
        if chance(0.4) { groups.append("g") }
        var aggregates = ["{as: n, fn: count}"]
        let candidates = [
            "{as: nv, fn: count, field: v}", "{as: sv, fn: sum, field: v}", "{as: lo, fn: min, field: v}",
            "{as: hi, fn: max, field: v}", "{as: mean, fn: avg, field: v}", "{as: ds, fn: count_distinct, field: s}",
            "{as: ads, fn: approx_distinct, field: s, precision: 8}", "{as: q, fn: quantiles, field: v, q: [0.5, 0.9, 1]}",
            "{as: eq, fn: exact_quantiles, field: v, q: [0, 0.5, 0.99]}", "{as: top, fn: top_n, field: s, n: 3}",
            "{as: f, fn: first, field: s}", "{as: l, fn: last, field: s}", "{as: fg, fn: first, field: g}",
        ]
        for c in candidates where chance(0.5) { aggregates.append(c) }
        var filter = ""
        if chance(0.3) {
            filter = "filter: " + pick([
                "{field: k, op: ne, value: k3}",
                "{or: [{field: g, op: lt, value: 3}, {not: {field: s, exists: true}}]}",
                "{field: k, in: [k0, k1, k2]}",
                "{and: [{field: v, op: ge, value: -5}, {field: flag, op: eq, value: true}]}",
            ])
        }
        return """
            name: random
            stream: test
            time: {field: ts, unit: ms}
            watermark: \(pick(["0ms", "20ms", "100ms"]))
            allowed_lateness: \(pick(["0ms", "0ms", "30ms"]))
            window: \(window)
            group_by: [\(groups.joined(separator: ", "))]
            \(filter)
            aggregates:
            \(aggregates.map { "  - " + $0 }.joined(separator: "\n"))
            """
    }

    /// A random NDJSON stream: mostly valid events, some late, some out of order, some bad.
    /// `badInjected` counts the injected lines that every job must reject.
    mutating func events(_ n: Int) -> (lines: [[UInt8]], badInjected: Int) {
        var lines: [[UInt8]] = []
        var t: Int64 = 1_000_000 + Int64(rng.below(1000)) - 500
        var bad = 0
        for _ in 0..<n {
            t += Int64(rng.below(4))
            if chance(0.03) {
                let (line, alwaysBad) = badLine(t)
                lines.append(line)
                if alwaysBad { bad += 1 }
                continue
            }
            var ts = t
            if chance(0.2) { ts -= Int64(rng.below(150)) }
            if chance(0.02) { ts -= Int64(500 + rng.below(2000)) }
            var fields = ["\"ts\":\(ts)"]
            if chance(0.95) { fields.append("\"k\":\"k\(rng.below(6))\"") }
            if chance(0.9) { fields.append("\"g\":\(rng.below(5))") }
            if chance(0.9) {
                fields.append("\"v\":" + pick(["\(rng.below(200) - 50)", "\(rng.below(1000)).\(rng.below(100))", "null", "-0.5", "1e2"]))
            }
            if chance(0.85) { fields.append("\"s\":" + pick(["\"s\(rng.below(20))\"", "\"\\u00e9\(rng.below(3))\"", "\"a,b\"", "\"q\\\"\""])) }
            if chance(0.3) { fields.append("\"flag\":\(chance(0.5))") }
            if chance(0.1) { fields.append("\"extra\":{\"x\":[1,2]}") }
            lines.append(Array(("{" + fields.shuffled(using: &rng).joined(separator: ",") + "}").utf8))
        }
        return (lines, bad)
    }

    /// A malformed line, and whether every job must reject it (others depend on the job's fields).
    mutating func badLine(_ t: Int64) -> ([UInt8], Bool) {
        switch rng.below(9) {
        case 0: return (Array("{\"ts\":\(t),\"k\":\"k1\"".utf8), true)             // truncated
        case 1: return (Array("{\"k\":\"k1\",\"v\":3}".utf8), true)                 // no time
        case 2: return (Array("{\"ts\":\"soon\",\"k\":\"k1\"}".utf8), true)         // wrong time type
        case 3: return (Array("{\"ts\":\(t),\"v\":\"seven\",\"k\":\"k2\"}".utf8), false)  // wrong type for numeric aggregates
        case 4: return (Array("[\(t)]".utf8), true)                                  // not an object
        case 5: return (Array("{\"ts\":\(t),\"k\":\"k".utf8) + [0xFF, 0x22, 0x7D], true)  // invalid UTF-8
        case 6: return (Array("{\"ts\":\(t),\"v\":1e400}".utf8), false)             // out of range
        case 7: return (Array("{\"ts\":\(t),\"k\":{\"nested\":1}}".utf8), false)    // nested group value
        default: return (Array("not json at all".utf8), true)
        }
    }
}
