import WeirCore

/// Parses the query string of `GET /v1/jobs/{job}/rollups` into a `RollupQuery`.
///
/// `from`, `to`: event time as epoch milliseconds or ISO-8601; `last`: a duration (`5m`);
/// `where`: `field=value` (repeatable; numbers, true/false/null, or text — quote text that
/// looks like a number: `page="42"`); `top`: a positive count; `by`: an aggregate column.
enum QueryParameters {
    static let known: Set<String> = ["from", "to", "last", "where", "top", "by"]

    /// `routeParameters` are read by the route itself (`format`, `interval`) and skipped here.
    static func parse(_ pairs: [(String, String)], routeParameters: Set<String> = ["format"]) throws(APIError) -> RollupQuery {
        var query = RollupQuery()
        // access_token was checked by AuthMiddleware.
        for (name, value) in pairs where !routeParameters.contains(name) && name != "access_token" {
            switch name {
            case "from": query.from = try time(value, name)
            case "to": query.to = try time(value, name)
            case "last":
                guard let ms = DurationText.milliseconds(value), ms > 0 else {
                    throw .badRequest("bad_parameter", "last=\(value): expected a duration such as 30s, 5m or 1h")
                }
                query.lastMilliseconds = ms
            case "where":
                guard let eq = value.firstIndex(of: "="), eq != value.startIndex else {
                    throw .badRequest("bad_parameter", "where=\(value): expected field=value")
                }
                query.filters.append((String(value[..<eq]), fieldValue(String(value[value.index(after: eq)...]))))
            case "top":
                guard let n = Int(value), n > 0, n <= 100_000 else {
                    throw .badRequest("bad_parameter", "top=\(value): expected a whole number from 1 to 100000")
                }
                query.top = n
            case "by": query.by = value
            default:
                let names = known.union(routeParameters)
                throw .badRequest("unknown_parameter", "unknown query parameter '\(name)' (known: \(names.sorted().joined(separator: ", ")))")
            }
        }
        if query.by != nil && query.top == nil { throw .badRequest("bad_parameter", "by= needs top=N") }
        guard query.from < query.to else { throw .badRequest("bad_range", "from must be before to") }
        return query
    }

    static func time(_ text: String, _ name: String) throws(APIError) -> Int64 {
        if let ms = Int64(text) { return ms }
        let parsed = Array(text.utf8).withUnsafeBytes { ISO8601Time.milliseconds($0) }
        guard let parsed else {
            throw .badRequest("bad_parameter", "\(name)=\(text): expected epoch milliseconds or an ISO-8601 time like 2026-01-01T00:00:00Z")
        }
        return parsed
    }

    static func fieldValue(_ text: String) -> FieldValue {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return .string(String(text.dropFirst().dropLast())) }
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default:
            if case .success(let d) = Decimal9.parse(text) { return .number(d) }
            return .string(text)
        }
    }
}
