import Foundation
import Testing
@testable import WeirCore

@Suite struct JobSpecParserTests {
    static let base = """
        name: t
        stream: clicks
        time: {field: ts, unit: ms}
        watermark: 2s
        window: {type: tumbling, size: 10s}
        group_by: [page]
        aggregates:
          - {as: views, fn: count}
        """

    func error(_ yaml: String) -> String {
        do {
            _ = try JobSpecParser.parse(yaml)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func parsesEverySampleJob() throws {
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../jobs")
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 4)
        for file in files {
            let text = try String(contentsOf: jobs.appendingPathComponent(file), encoding: .utf8)
            let spec = try JobSpecParser.parse(text)
            #expect(spec.name + ".yaml" == file)
        }
    }

    @Test func readsAllWindowShapesAndAggregates() throws {
        let spec = try JobSpecParser.parse("""
            name: all
            stream: s
            time: {field: t, unit: iso8601}
            window: {type: cumulate, step: 10s, max_size: 1m}
            allowed_lateness: 500ms
            filter: {and: [{field: a, op: ge, value: 3}, {not: {field: b, in: [x, "7"]}}, {field: c, exists: true}]}
            aggregates:
              - {as: n, fn: count}
              - {as: s, fn: sum, field: v}
              - {as: lo, fn: min, field: v}
              - {as: hi, fn: max, field: v}
              - {as: mean, fn: avg, field: v}
              - {as: d, fn: count_distinct, field: u}
              - {as: ad, fn: approx_distinct, field: u, precision: 10}
              - {as: q, fn: quantiles, field: v, q: [0.5, 0.999]}
              - {as: eq, fn: exact_quantiles, field: v, q: [0.9]}
              - {as: top, fn: top_n, field: u, n: 3}
              - {as: f, fn: first, field: u}
              - {as: l, fn: last, field: u}
            """)
        #expect(spec.window == .cumulate(stepMilliseconds: 10_000, maxSizeMilliseconds: 60_000))
        #expect(spec.time.unit == .iso8601)
        #expect(spec.allowedLatenessMilliseconds == 500)
        #expect(spec.outputColumns == ["n", "s", "lo", "hi", "mean", "d", "ad", "q_p50", "q_p99_9", "eq_p90", "top", "f", "l"])
        #expect(spec.filter == .and([
            .compare(field: "a", op: .ge, value: .number(Decimal9(integer: 3))),
            .not(.oneOf(field: "b", values: [.string("x"), .string("7")])),
            .exists(field: "c"),
        ]))
    }

    @Test func acceptsJSON() throws {
        let spec = try JobSpecParser.parse("""
            {"name": "j", "stream": "clicks", "time": "ts", "window": {"type": "session", "gap": "30s"},
             "aggregates": [{"as": "n", "fn": "count"}]}
            """)
        #expect(spec.window == .session(gapMilliseconds: 30_000))
        #expect(spec.time == TimeSpec(field: "ts", unit: .milliseconds))
    }

    @Test func errorsNameTheFieldPathAndReason() {
        #expect(error(Self.base.replacingOccurrences(of: "size: 10s", with: "size: 10x"))
            == "window.size: \"10x\" is not a duration (write e.g. 500ms, 10s, 5m, 1h) (line 5)")
        #expect(error(Self.base + "\nextra: 1").hasPrefix("extra: unknown field"))
        #expect(error(Self.base.replacingOccurrences(of: "name: t\n", with: "")).hasPrefix("name: is required"))
        #expect(error(Self.base.replacingOccurrences(of: "fn: count", with: "fn: median")).hasPrefix("aggregates[0].fn: \"median\" is not an aggregate"))
        #expect(error(Self.base.replacingOccurrences(of: "{as: views, fn: count}", with: "{as: views, fn: sum}")).hasPrefix("aggregates[0].field: is required for sum"))
        #expect(error(Self.base.replacingOccurrences(of: "type: tumbling", with: "type: rolling")).hasPrefix("window.type: \"rolling\" is not a window type"))
        #expect(error(Self.base.replacingOccurrences(of: "size: 10s}", with: "size: 10s, slide: 5s}")).hasPrefix("window.slide: does not apply to tumbling windows"))
        #expect(error(Self.base.replacingOccurrences(of: "unit: ms", with: "unit: minutes")).hasPrefix("time.unit: \"minutes\" is not a time unit"))
        #expect(error(Self.base.replacingOccurrences(of: "as: views", with: "as: page")).hasPrefix("aggregates[0]: output column \"page\" is already used"))
        #expect(error(Self.base.replacingOccurrences(of: "name: t", with: "name: Bad Name")).hasPrefix("name: \"Bad Name\" must start"))
        #expect(error("{{{").hasPrefix("not valid YAML or JSON"))
        #expect(error("") == "the spec is empty")
        #expect(error(Self.base.replacingOccurrences(of: "{type: tumbling, size: 10s}", with: "{type: hopping, size: 10s, slide: 20s}")).hasPrefix("window.slide: must not be longer than size"))
        #expect(error(Self.base.replacingOccurrences(of: "{type: tumbling, size: 10s}", with: "{type: cumulate, step: 7s, max_size: 1m}")).hasPrefix("window.max_size: must be a whole multiple of step"))
    }

    @Test func quantileColumnNames() {
        #expect(AggregateSpec.quantileSuffix(0.5) == "p50")
        #expect(AggregateSpec.quantileSuffix(0.99) == "p99")
        #expect(AggregateSpec.quantileSuffix(0.999) == "p99_9")
        #expect(AggregateSpec.quantileSuffix(0.05) == "p5")
        #expect(AggregateSpec.quantileSuffix(1) == "p100")
    }
}
