import Yams

/// Reads job specs from YAML (or JSON, which YAML contains) and validates every field.
///
/// ```yaml
/// name: clicks-per-page
/// stream: clicks
/// time: {field: ts, unit: ms}
/// watermark: 2s
/// allowed_lateness: 0s
/// window: {type: tumbling, size: 10s}
/// group_by: [page]
/// filter: {field: country, op: eq, value: US}
/// aggregates:
///   - {as: views, fn: count}
///   - {as: total_bytes, fn: sum, field: bytes}
/// ```
public enum JobSpecParser {
    static let topKeys = ["name", "stream", "time", "watermark", "allowed_lateness", "window", "group_by", "filter", "aggregates"]

    /// Parses and validates a spec; the error names the field path and line at fault.
    public static func parse(_ text: String) throws(SpecError) -> JobSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecError(path: "", message: "the spec is empty")
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch {
            throw SpecError(path: "", message: "not valid YAML or JSON: \(error)")
        }
        let top = try SpecNode(node: root, path: "").mapping(allowed: topKeys)
        func required(_ key: String) throws(SpecError) -> SpecNode {
            guard let n = top[key] else { throw SpecError(path: key, message: "is required", line: root.mark?.line) }
            return n
        }
        let nameNode = try required("name")
        let name = try nameNode.nonEmptyString()
        guard isIdentifier(name) else {
            throw nameNode.fail("\"\(name)\" must start with a lowercase letter or digit and use only a-z 0-9 . _ -")
        }
        let streamNode = try required("stream")
        let stream = try streamNode.nonEmptyString()
        guard isIdentifier(stream) else {
            throw streamNode.fail("\"\(stream)\" must start with a lowercase letter or digit and use only a-z 0-9 . _ -")
        }
        let time = try parseTime(try required("time"))
        let watermark = try top["watermark"]?.duration(positive: false) ?? 0
        let lateness = try top["allowed_lateness"]?.duration(positive: false) ?? 0
        let window = try parseWindow(try required("window"))
        let groupBy = try top["group_by"]?.stringList() ?? []
        if let dup = firstDuplicate(groupBy), let node = top["group_by"] {
            throw node.fail("\"\(dup)\" is listed twice")
        }
        let filter = try top["filter"].map { n throws(SpecError) in try FilterParser.parse(n) }
        let aggregatesNode = try required("aggregates")
        let aggregateNodes = try aggregatesNode.sequence()
        guard !aggregateNodes.isEmpty else { throw aggregatesNode.fail("needs at least one aggregate") }
        var aggregates: [AggregateSpec] = []
        var columns = Set(groupBy + ["window_start", "window_end"])
        for node in aggregateNodes {
            let agg = try AggregateParser.parse(node)
            for column in agg.outputColumns {
                guard columns.insert(column).inserted else {
                    throw node.fail("output column \"\(column)\" is already used by a group field or another aggregate")
                }
            }
            aggregates.append(agg)
        }
        return JobSpec(
            name: name, stream: stream, time: time, watermarkDelayMilliseconds: watermark, window: window,
            allowedLatenessMilliseconds: lateness, groupBy: groupBy, filter: filter, aggregates: aggregates)
    }

    static func parseTime(_ node: SpecNode) throws(SpecError) -> TimeSpec {
        if case .scalar = node.node { return TimeSpec(field: try node.nonEmptyString(), unit: .milliseconds) }
        let m = try node.mapping(allowed: ["field", "unit"])
        guard let fieldNode = m["field"] else { throw SpecError(path: node.child("field"), message: "is required", line: node.line) }
        let field = try fieldNode.nonEmptyString()
        var unit = TimeUnit.milliseconds
        if let unitNode = m["unit"] {
            let text = try unitNode.string()
            guard let u = TimeUnit(rawValue: text) else {
                throw unitNode.fail("\"\(text)\" is not a time unit (use ms, s, us, ns or iso8601)")
            }
            unit = u
        }
        return TimeSpec(field: field, unit: unit)
    }

    /// The most windows one event may belong to; bounds per-event work and memory.
    public static let windowsPerEventMax: Int64 = 1_000

    static func parseWindow(_ node: SpecNode) throws(SpecError) -> WindowSpec {
        let m = try node.mapping(allowed: ["type", "size", "slide", "gap", "step", "max_size"])
        func need(_ key: String) throws(SpecError) -> SpecNode {
            guard let n = m[key] else { throw SpecError(path: node.child(key), message: "is required for this window type", line: node.line) }
            return n
        }
        func forbid(_ keys: [String], type: String) throws(SpecError) {
            for key in keys { if let n = m[key] { throw n.fail("does not apply to \(type) windows") } }
        }
        let typeNode = try need("type")
        switch try typeNode.string() {
        case "tumbling":
            try forbid(["slide", "gap", "step", "max_size"], type: "tumbling")
            return .tumbling(sizeMilliseconds: try need("size").duration(positive: true))
        case "hopping", "sliding":
            try forbid(["gap", "step", "max_size"], type: "hopping")
            let size = try need("size").duration(positive: true)
            let slideNode = try need("slide")
            let slide = try slideNode.duration(positive: true)
            guard slide <= size else { throw slideNode.fail("must not be longer than size (\(DurationText.format(milliseconds: size)))") }
            guard (size + slide - 1) / slide <= windowsPerEventMax else {
                throw slideNode.fail("size/slide must be at most \(windowsPerEventMax) windows per event")
            }
            return .hopping(sizeMilliseconds: size, slideMilliseconds: slide)
        case "session":
            try forbid(["size", "slide", "step", "max_size"], type: "session")
            return .session(gapMilliseconds: try need("gap").duration(positive: true))
        case "cumulate":
            try forbid(["size", "slide", "gap"], type: "cumulate")
            let step = try need("step").duration(positive: true)
            let maxNode = try need("max_size")
            let maxSize = try maxNode.duration(positive: true)
            guard maxSize % step == 0 else { throw maxNode.fail("must be a whole multiple of step (\(DurationText.format(milliseconds: step)))") }
            guard maxSize / step <= windowsPerEventMax else {
                throw maxNode.fail("max_size/step must be at most \(windowsPerEventMax) windows")
            }
            return .cumulate(stepMilliseconds: step, maxSizeMilliseconds: maxSize)
        case let other:
            throw typeNode.fail("\"\(other)\" is not a window type (use tumbling, hopping, session or cumulate)")
        }
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLowerOrDigit(first), s.utf8.count <= 128 else { return false }
        return s.utf8.allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isLowerOrDigit(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }

    static func firstDuplicate(_ xs: [String]) -> String? {
        var seen = Set<String>()
        return xs.first { !seen.insert($0).inserted }
    }
}
