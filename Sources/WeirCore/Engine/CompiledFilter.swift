/// A `FilterExpr` bound to field slots, evaluated on scanned bytes without allocating.
///
/// Filters see nested values and numbers too large to represent as missing.
indirect enum CompiledFilter {
    case and([CompiledFilter])
    case or([CompiledFilter])
    case not(CompiledFilter)
    case compare(slot: Int, op: CompareOp, value: FieldValue, utf8: [UInt8])
    case oneOf(slot: Int, values: [(value: FieldValue, utf8: [UInt8])])
    case exists(slot: Int)

    init(_ expr: FilterExpr, plan: FieldPlan) {
        switch expr {
        case .and(let xs): self = .and(xs.map { CompiledFilter($0, plan: plan) })
        case .or(let xs): self = .or(xs.map { CompiledFilter($0, plan: plan) })
        case .not(let x): self = .not(CompiledFilter(x, plan: plan))
        case .exists(let f): self = .exists(slot: plan.slot(of: f))
        case .compare(let f, let op, let v):
            self = .compare(slot: plan.slot(of: f), op: op, value: v, utf8: CompiledFilter.utf8(v))
        case .oneOf(let f, let vs):
            self = .oneOf(slot: plan.slot(of: f), values: vs.map { ($0, CompiledFilter.utf8($0)) })
        }
    }

    static func utf8(_ v: FieldValue) -> [UInt8] {
        if case .string(let s) = v { return Array(s.utf8) }
        return []
    }

    func evaluate(_ fields: UnsafeBufferPointer<ScannedField>) -> Bool {
        switch self {
        case .and(let xs): return xs.allSatisfy { $0.evaluate(fields) }
        case .or(let xs): return xs.contains { $0.evaluate(fields) }
        case .not(let x): return !x.evaluate(fields)
        case .exists(let slot):
            let f = fields[slot]
            switch f.kind {
            case .bool, .string: return true
            case .number: return !f.numberOutOfRange
            case .missing, .null, .nested: return false
            }
        case .compare(let slot, let op, let value, let utf8):
            return CompiledFilter.compare(fields[slot], op, value, utf8)
        case .oneOf(let slot, let values):
            let f = fields[slot]
            return values.contains { CompiledFilter.compare(f, .eq, $0.value, $0.utf8) }
        }
    }

    /// `field op literal` with `CompareOp.holds` semantics, on raw bytes.
    static func compare(_ f: ScannedField, _ op: CompareOp, _ value: FieldValue, _ utf8: [UInt8]) -> Bool {
        switch (f.kind, value) {
        case (.number, .number(let rhs)):
            if f.numberOutOfRange { return false }
            return op.holds(.number(f.number), .number(rhs))
        case (.bool, .bool(let rhs)):
            return op.holds(.bool(f.bool), .bool(rhs))
        case (.string, .string):
            let order = utf8.withUnsafeBytes { CompiledFilter.compareBytes(f.bytes, $0) }
            switch op {
            case .eq: return order == 0
            case .ne: return order != 0
            case .lt: return order < 0
            case .le: return order <= 0
            case .gt: return order > 0
            case .ge: return order >= 0
            }
        default:
            return false  // missing, null, nested or mismatched types
        }
    }

    static func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = Swift.min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
