/// Parses a spec's `filter`:
///
/// ```yaml
/// filter:
///   and:
///     - {field: country, op: eq, value: US}
///     - {field: latency_ms, op: gt, value: 100}
///     - not: {field: page, in: [p1, p2]}
///     - {field: user, exists: true}
/// ```
enum FilterParser {
    static func parse(_ node: SpecNode) throws(SpecError) -> FilterExpr {
        let m = try node.mapping(allowed: ["and", "or", "not", "field", "op", "value", "in", "exists"])
        if let list = m["and"] ?? m["or"] {
            guard m.count == 1 else { throw node.fail("and/or must be the only key of its mapping") }
            var parts: [FilterExpr] = []
            for item in try list.sequence() { parts.append(try parse(item)) }
            guard !parts.isEmpty else { throw list.fail("needs at least one condition") }
            return m["and"] != nil ? .and(parts) : .or(parts)
        }
        if let inner = m["not"] {
            guard m.count == 1 else { throw node.fail("not must be the only key of its mapping") }
            return .not(try parse(inner))
        }
        guard let fieldNode = m["field"] else {
            throw node.fail("a condition needs and, or, not, or field with op+value, in, or exists")
        }
        let field = try fieldNode.nonEmptyString()
        if let values = m["in"] {
            guard m.count == 2 else { throw node.fail("in cannot be combined with op, value or exists") }
            var list: [FieldValue] = []
            for item in try values.sequence() { list.append(try item.literal()) }
            return .oneOf(field: field, values: list)
        }
        if let exists = m["exists"] {
            guard m.count == 2 else { throw node.fail("exists cannot be combined with op, value or in") }
            let flag = try exists.literal()
            guard case .bool(let b) = flag else { throw exists.fail("must be true or false") }
            return b ? .exists(field: field) : .not(.exists(field: field))
        }
        guard let opNode = m["op"] else { throw SpecError(path: node.child("op"), message: "is required (eq, ne, lt, le, gt, ge)", line: node.line) }
        let opText = try opNode.string()
        guard let op = CompareOp(rawValue: opText) else {
            throw opNode.fail("\"\(opText)\" is not an operator (use eq, ne, lt, le, gt, ge)")
        }
        guard let valueNode = m["value"] else { throw SpecError(path: node.child("value"), message: "is required", line: node.line) }
        return .compare(field: field, op: op, value: try valueNode.literal())
    }
}
