import Yams

/// A YAML/JSON node with its path, giving typed access that fails with a `SpecError`.
struct SpecNode {
    let node: Node
    let path: String

    /// Longest duration a spec may name (100 years): keeps window arithmetic far from overflow.
    static let durationMaxMilliseconds: Int64 = 100 * 366 * 86_400_000

    var line: Int? { node.mark?.line }

    func fail(_ message: String) -> SpecError { SpecError(path: path, message: message, line: line) }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The mapping's entries by key, after checking that no key is unknown.
    func mapping(allowed: [String]) throws(SpecError) -> [String: SpecNode] {
        guard case .mapping(let mapping) = node else { throw fail("expected a mapping, found \(kindName)") }
        var result: [String: SpecNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail("keys must be strings") }
            let childPath = child(name)
            guard allowed.contains(name) else {
                throw SpecError(
                    path: childPath, message: "unknown field (expected one of: \(allowed.joined(separator: ", ")))",
                    line: key.mark?.line)
            }
            guard result[name] == nil else {
                throw SpecError(path: childPath, message: "given twice", line: key.mark?.line)
            }
            result[name] = SpecNode(node: value, path: childPath)
        }
        return result
    }

    func sequence() throws(SpecError) -> [SpecNode] {
        guard case .sequence(let seq) = node else { throw fail("expected a list, found \(kindName)") }
        return seq.enumerated().map { SpecNode(node: $0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(SpecError) -> String {
        guard case .scalar(let scalar) = node else { throw fail("expected a text value, found \(kindName)") }
        return scalar.string
    }

    func nonEmptyString() throws(SpecError) -> String {
        let s = try string()
        guard !s.isEmpty else { throw fail("must not be empty") }
        return s
    }

    func int(in range: ClosedRange<Int>) throws(SpecError) -> Int {
        let s = try string()
        guard let v = Int(s) else { throw fail("\"\(s)\" is not an integer") }
        guard range.contains(v) else { throw fail("\(v) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func double(in range: ClosedRange<Double>) throws(SpecError) -> Double {
        let s = try string()
        guard let v = Double(s), v.isFinite else { throw fail("\"\(s)\" is not a number") }
        guard range.contains(v) else { throw fail("\(s) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    /// A duration like `10s`; `positive` rejects zero.
    func duration(positive: Bool) throws(SpecError) -> Int64 {
        let s = try string()
        guard let ms = DurationText.milliseconds(s) else {
            throw fail("\"\(s)\" is not a duration (write e.g. 500ms, 10s, 5m, 1h)")
        }
        if positive && ms <= 0 { throw fail("must be longer than 0") }
        guard ms <= SpecNode.durationMaxMilliseconds else { throw fail("\"\(s)\" is longer than the 100-year limit") }
        return ms
    }

    /// A literal for filters: plain scalars are typed (number, true/false, null), quoted ones are strings.
    func literal() throws(SpecError) -> FieldValue {
        guard case .scalar(let scalar) = node else { throw fail("expected a single value, found \(kindName)") }
        let text = scalar.string
        if scalar.style == .singleQuoted || scalar.style == .doubleQuoted { return .string(text) }
        switch text {
        case "null", "~", "": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        if case .success(let d) = Decimal9.parse(text) { return .number(d) }
        return .string(text)
    }

    /// A list of strings, or a single string taken as a one-element list.
    func stringList() throws(SpecError) -> [String] {
        if case .scalar = node { return [try nonEmptyString()] }
        var out: [String] = []
        for item in try sequence() { out.append(try item.nonEmptyString()) }
        return out
    }

    var kindName: String {
        switch node {
        case .scalar: return "a text value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
