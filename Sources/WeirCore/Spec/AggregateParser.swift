/// Parses one entry of a spec's `aggregates` list: `{as: NAME, fn: FUNCTION, field: F, …}`.
enum AggregateParser {
    static let keys = ["as", "fn", "field", "q", "relative_error", "precision", "n"]

    static func parse(_ node: SpecNode) throws(SpecError) -> AggregateSpec {
        let m = try node.mapping(allowed: keys)
        guard let asNode = m["as"] else { throw SpecError(path: node.child("as"), message: "is required (the output column name)", line: node.line) }
        let name = try asNode.nonEmptyString()
        guard isColumnName(name) else { throw asNode.fail("\"\(name)\" must use only letters, digits and _ and not start with a digit") }
        guard let fnNode = m["fn"] else { throw SpecError(path: node.child("fn"), message: "is required", line: node.line) }
        let fn = try fnNode.string()
        func field() throws(SpecError) -> String {
            guard let f = m["field"] else { throw SpecError(path: node.child("field"), message: "is required for \(fn)", line: node.line) }
            return try f.nonEmptyString()
        }
        func quantileList() throws(SpecError) -> [Double] {
            guard let qNode = m["q"] else { throw SpecError(path: node.child("q"), message: "is required for \(fn) (e.g. [0.5, 0.99])", line: node.line) }
            var qs: [Double] = []
            let items: [SpecNode]
            if case .scalar = qNode.node { items = [qNode] } else { items = try qNode.sequence() }
            guard !items.isEmpty else { throw qNode.fail("needs at least one quantile") }
            for item in items {
                let q = try item.double(in: 0...1)
                guard !qs.contains(q) else { throw item.fail("\(q) is listed twice") }
                qs.append(q)
            }
            return qs
        }
        let allowedExtras: [String]
        let function: AggregateFunction
        switch fn {
        case "count":
            allowedExtras = ["field"]
            function = .count(field: try m["field"]?.nonEmptyString())
        case "sum": allowedExtras = ["field"]; function = .sum(field: try field())
        case "min": allowedExtras = ["field"]; function = .min(field: try field())
        case "max": allowedExtras = ["field"]; function = .max(field: try field())
        case "avg": allowedExtras = ["field"]; function = .avg(field: try field())
        case "count_distinct": allowedExtras = ["field"]; function = .countDistinct(field: try field())
        case "approx_distinct":
            allowedExtras = ["field", "precision"]
            function = .approxDistinct(field: try field(), precision: try m["precision"]?.int(in: 4...16) ?? 12)
        case "quantiles":
            allowedExtras = ["field", "q", "relative_error"]
            function = .quantiles(
                field: try field(), quantiles: try quantileList(),
                relativeError: try m["relative_error"]?.double(in: 0.0001...0.5) ?? 0.01)
        case "exact_quantiles":
            allowedExtras = ["field", "q"]
            function = .exactQuantiles(field: try field(), quantiles: try quantileList())
        case "top_n":
            allowedExtras = ["field", "n"]
            function = .topN(field: try field(), n: try m["n"]?.int(in: 1...1_000) ?? 10)
        case "first": allowedExtras = ["field"]; function = .first(field: try field())
        case "last": allowedExtras = ["field"]; function = .last(field: try field())
        default:
            throw fnNode.fail("\"\(fn)\" is not an aggregate (use count, sum, min, max, avg, count_distinct, approx_distinct, quantiles, exact_quantiles, top_n, first or last)")
        }
        for key in m.keys where key != "as" && key != "fn" && !allowedExtras.contains(key) {
            if let extra = m[key] { throw extra.fail("does not apply to \(fn)") }
        }
        return AggregateSpec(name: name, function: function)
    }

    static func isColumnName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= 48 && first <= 57) else { return false }
        return s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 }
    }
}
