import WeirCore

/// Computes each aggregate from the full list of a window's events.
enum ReferenceAggregates {
    static func cells(_ records: [ReferenceEngine.Record], spec: JobSpec) -> [Cell] {
        var out: [Cell] = []
        for agg in spec.aggregates {
            let fn = agg.function
            let present: [(time: Int64, value: FieldValue)] = fn.field.map { name in
                records.compactMap { r in
                    guard let v = ReferenceValues.filterValue(r.fields[name]), v != .null else { return nil }
                    return (r.time, v)
                }
            } ?? []
            let numbers: [Decimal9] = present.compactMap { if case .number(let d) = $0.value { return d } else { return nil } }
            switch fn {
            case .count(let field):
                // With a field: events where it is present and not null (any representable type).
                let counted = field.map { name in records.filter { r in r.fields[name].map { $0 != .null } ?? false }.count }
                out.append(.integer(Int64(counted ?? records.count)))
            case .sum:
                out.append(numbers.isEmpty ? .null : .decimal(Decimal9(scaled: numbers.reduce(0) { $0 + $1.scaled })))
            case .min: out.append(numbers.min().map(Cell.decimal) ?? .null)
            case .max: out.append(numbers.max().map(Cell.decimal) ?? .null)
            case .avg:
                let total = Decimal9(scaled: numbers.reduce(0) { $0 + $1.scaled })
                out.append(numbers.isEmpty ? .null : .decimal(total.divided(by: Int64(numbers.count))))
            case .countDistinct:
                out.append(.integer(Int64(Set(present.map(\.value)).count)))
            case .approxDistinct(_, let precision):
                var registers = [UInt8](repeating: 0, count: 1 << precision)
                for v in Set(present.map(\.value)) {
                    let (i, rank) = HyperLogLog.registerUpdate(hash: StableHash.hash(ValueEncoding.encode(v)), precision: precision)
                    registers[i] = max(registers[i], rank)
                }
                out.append(.integer(HyperLogLog.estimate(registers: registers)))
            case .quantiles(_, let qs, let relativeError):
                let mapping = DDSketchMapping(relativeError: relativeError)
                let sorted = numbers.map(\.doubleValue).sorted()
                for q in qs {
                    guard !sorted.isEmpty else { out.append(.null); continue }
                    let x = sorted[Int(QuantileRank.rank(q, count: Int64(sorted.count))) - 1]
                    // The sketch answers with the representative of the bucket holding x.
                    if abs(x) < DDSketchMapping.minIndexable {
                        out.append(.double(0))
                    } else {
                        let v = mapping.value(at: mapping.index(of: abs(x)))
                        out.append(.double(x < 0 ? -v : v))
                    }
                }
            case .exactQuantiles(_, let qs):
                let sorted = numbers.sorted()
                for q in qs {
                    out.append(sorted.isEmpty ? .null : .decimal(sorted[Int(QuantileRank.rank(q, count: Int64(sorted.count))) - 1]))
                }
            case .topN(_, let n):
                var counts: [FieldValue: Int64] = [:]
                for p in present { counts[p.value, default: 0] += 1 }
                out.append(.text(TopNFormat.format(counts.map { ($0.key, $0.value) }, n: n)))
            case .first:
                let best = present.min { a, b in a.time != b.time ? a.time < b.time : a.value < b.value }
                out.append(best.map { .value($0.value) } ?? .null)
            case .last:
                let best = present.max { a, b in a.time != b.time ? a.time < b.time : a.value < b.value }
                out.append(best.map { .value($0.value) } ?? .null)
            }
        }
        return out
    }
}
