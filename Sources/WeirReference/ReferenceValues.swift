import WeirCore

/// Field conversions of the reference, written out plainly.
enum ReferenceValues {
    static func time(_ value: ReferenceJSON.Value?, unit: TimeUnit) -> Result<Int64, BadEventReason> {
        guard let value else { return .failure(.missingTime) }
        let ms: Int128
        switch (value, unit) {
        case (.number(.failure), _) where unit != .iso8601:
            return .failure(.timeOutOfRange)
        case (.number(.success(let d)), _) where unit != .iso8601 && (d.scaled > tooBig || d.scaled < -tooBig):
            return .failure(.timeOutOfRange)
        case (.number(.success(let d)), .milliseconds): ms = floorOf(d.scaled, Decimal9.scale)
        case (.number(.success(let d)), .seconds): ms = floorOf(d.scaled * 1000, Decimal9.scale)
        case (.number(.success(let d)), .microseconds): ms = floorOf(d.scaled, Decimal9.scale * 1_000)
        case (.number(.success(let d)), .nanoseconds): ms = floorOf(d.scaled, Decimal9.scale * 1_000_000)
        case (.string(let s), .iso8601):
            var copy = s
            guard let t = copy.withUTF8({ ISO8601Time.milliseconds(UnsafeRawBufferPointer($0)) }) else { return .failure(.badTime) }
            ms = Int128(t)
        default:
            return .failure(.badTime)
        }
        guard ms > -1_000_000_000_000_000 && ms < 1_000_000_000_000_000 else { return .failure(.timeOutOfRange) }
        return .success(Int64(ms))
    }

    /// 10^20, scaled: larger time numbers are out of range.
    static let tooBig: Int128 = 100_000_000_000_000_000_000 * 1_000_000_000

    static func floorOf(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    /// The value a filter sees (nil = missing; nested values compare as missing).
    static func filterValue(_ value: ReferenceJSON.Value?) -> FieldValue? {
        guard let value else { return nil }
        switch value {
        case .string(let s): return .string(s)
        case .number(.success(let d)): return .number(d)
        case .number(.failure): return nil
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .nested: return nil
        }
    }

    /// Group values: missing is null.
    static func groupValue(_ value: ReferenceJSON.Value?) -> FieldValue {
        filterValue(value) ?? .null
    }

    /// The reason an accepted-by-filter event cannot be aggregated, checked in spec order:
    /// aggregates first, then group fields (as the engine does).
    static func typeProblem(_ fields: [String: ReferenceJSON.Value], spec: JobSpec) -> BadEventReason? {
        let limit = Decimal9(scaled: 1_000_000_000_000_000_000 * Decimal9.scale)
        for agg in spec.aggregates {
            guard let name = agg.function.field, let v = fields[name] else { continue }
            switch v {
            case .null: continue
            case .nested: return .wrongType
            case .number(.failure):
                // Counting a field only needs it present; every other use needs the number.
                if !isCount(agg.function) { return .numberOutOfRange }
            case .number(.success(let d)):
                if agg.function.needsNumber && (d > limit || d < Decimal9(scaled: -limit.scaled)) { return .numberOutOfRange }
            case .string, .bool:
                if agg.function.needsNumber { return .wrongType }
            }
        }
        for name in spec.groupBy {
            switch fields[name] {
            case .nested?: return .wrongType
            case .number(.failure)?: return .numberOutOfRange
            default: continue
            }
        }
        return nil
    }

    static func isCount(_ f: AggregateFunction) -> Bool {
        if case .count = f { return true }
        return false
    }
}
