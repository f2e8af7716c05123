import Foundation

/// A `JobSpec` bound to field slots: everything the engine needs per event, precomputed.
public struct CompiledJob {
    public let spec: JobSpec
    public let plan: FieldPlan
    let timeSlot: Int
    let groupSlots: [Int]
    /// Per aggregate: the input slot, or nil for `count` without a field.
    let inputSlots: [Int?]
    /// Per aggregate: what kind of input it takes (precomputed so the hot path copies no spec).
    let inputKinds: [InputKind]
    let filter: CompiledFilter?
    /// Output cells per row (aggregates, with one per quantile).
    let cellCount: Int
    /// Per aggregate: its identity state, which a new row starts from (copied: some hold references).
    let initialStates: [AggregateState]

    enum InputKind {
        /// `count` without a field: every event.
        case event
        /// `count` with a field: events where the field is present and not null.
        case presentField
        /// A number (sum, min, max, avg, quantiles).
        case number
        /// An interned value (distinct, top-n, first, last, approx distinct).
        case value
    }

    public init(_ spec: JobSpec) {
        var names = [spec.time.field] + spec.groupBy
        names += spec.aggregates.compactMap { $0.function.field }
        names += spec.filter?.fields ?? []
        let plan = FieldPlan(names: names)
        self.spec = spec
        self.plan = plan
        timeSlot = plan.slot(of: spec.time.field)
        groupSlots = spec.groupBy.map { plan.slot(of: $0) }
        inputSlots = spec.aggregates.map { $0.function.field.map { plan.slot(of: $0) } }
        inputKinds = spec.aggregates.map { agg in
            switch agg.function {
            case .count(nil): return .event
            case .count: return .presentField
            default: return agg.function.needsNumber ? .number : .value
            }
        }
        filter = spec.filter.map { CompiledFilter($0, plan: plan) }
        cellCount = spec.aggregates.reduce(0) { $0 + $1.outputColumns.count }
        initialStates = spec.aggregates.map { AggregateState.initial($0.function) }
    }
}

/// One aggregate's input for the current event, extracted before any state changes so that a
/// rejected event changes nothing.
enum AggregateInput {
    /// The field is missing or null: the aggregate ignores this event.
    case skip
    /// `count` without a field.
    case event
    case number(Decimal9)
    case value(id: UInt32, hash: UInt64)
}

/// Reads time, group key and aggregate inputs from scanned fields.
final class EventExtractor {
    let job: CompiledJob
    let groups = ByteInterner()
    let values = ByteInterner()
    private var keyBuffer: [UInt8] = []
    private var valueBuffer: [UInt8] = []
    private(set) var inputs: [AggregateInput]
    private var decodedGroups: [[FieldValue]?] = []
    private var groupSortKeys: [[UInt8]?] = []
    private var decodedValues: [FieldValue?] = []

    init(_ job: CompiledJob) {
        self.job = job
        inputs = Array(repeating: .skip, count: job.spec.aggregates.count)
        keyBuffer.reserveCapacity(256)
        valueBuffer.reserveCapacity(64)
    }

    func time(_ fields: UnsafeBufferPointer<ScannedField>) -> Result<Int64, EventRejection> {
        EventTimeReader.milliseconds(fields[job.timeSlot], unit: job.spec.time.unit, name: job.spec.time.field)
    }

    func passesFilter(_ fields: UnsafeBufferPointer<ScannedField>) -> Bool {
        job.filter?.evaluate(fields) ?? true
    }

    /// Fills `inputs`; returns the rejection of the first field of the wrong type.
    func extractInputs(_ fields: UnsafeBufferPointer<ScannedField>) -> EventRejection? {
        let kinds = job.inputKinds
        let slots = job.inputSlots
        for i in 0..<kinds.count {
            let kind = kinds[i]
            guard kind != .event, let slot = slots[i] else { inputs[i] = .event; continue }
            let f = fields[slot]
            switch f.kind {
            case .missing, .null:
                inputs[i] = .skip
                continue
            case .nested:
                return inputRejection(i, .wrongType, "is an object or array; %@ needs a plain value")
            default:
                break
            }
            switch kind {
            case .event, .presentField:
                inputs[i] = .event
            case .number:
                guard f.kind == .number else { return inputRejection(i, .wrongType, "is \(f.typeName); %@ needs a number") }
                let limit = EngineLimits.numberMagnitudeMax.scaled
                guard !f.numberOutOfRange, f.number.scaled <= limit, f.number.scaled >= -limit else {
                    return inputRejection(i, .numberOutOfRange, "is beyond ±10^18")
                }
                inputs[i] = .number(f.number)
            case .value:
                if f.kind == .number && f.numberOutOfRange {
                    return inputRejection(i, .numberOutOfRange, "is a number too large to represent exactly")
                }
                valueBuffer.removeAll(keepingCapacity: true)
                f.appendEncoding(to: &valueBuffer)
                let id = values.intern(valueBuffer)
                inputs[i] = .value(id: id, hash: values.hash(id))
            }
        }
        return nil
    }

    /// A rejection naming aggregate `i`'s field; `%@` in `problem` becomes the function name.
    private func inputRejection(_ i: Int, _ reason: BadEventReason, _ problem: String) -> EventRejection {
        let fn = job.spec.aggregates[i].function
        let text = problem.replacingOccurrences(of: "%@", with: fn.keyword)
        return EventRejection(reason, "field \"\(fn.field ?? "")\" \(text)")
    }

    /// The interned group key of the event; nil with a rejection for an unusable group value.
    func groupKey(_ fields: UnsafeBufferPointer<ScannedField>) -> Result<UInt32, EventRejection> {
        keyBuffer.removeAll(keepingCapacity: true)
        for (i, slot) in job.groupSlots.enumerated() {
            let f = fields[slot]
            if f.kind == .nested {
                return .failure(EventRejection(.wrongType, "group field \"\(job.spec.groupBy[i])\" is an object or array"))
            }
            if f.kind == .number && f.numberOutOfRange {
                return .failure(EventRejection(.numberOutOfRange, "group field \"\(job.spec.groupBy[i])\" is a number too large to represent exactly"))
            }
            f.appendEncoding(to: &keyBuffer)
        }
        return .success(groups.intern(keyBuffer))
    }

    /// The group values of a group id (decoded once, then cached).
    func groupValues(_ id: UInt32) -> [FieldValue] {
        let i = Int(id)
        if i < decodedGroups.count, let v = decodedGroups[i] { return v }
        if decodedGroups.count <= i { decodedGroups.append(contentsOf: repeatElement(nil, count: i - decodedGroups.count + 1)) }
        guard let v = ValueEncoding.decode(groups.bytes(id), count: job.groupSlots.count) else {
            preconditionFailure("group key \(id) does not decode: the interner is corrupt")
        }
        decodedGroups[i] = v
        return v
    }

    /// The order-preserving sort key of a group id (built once, then cached).
    func groupSortKey(_ id: UInt32) -> [UInt8] {
        let i = Int(id)
        if i < groupSortKeys.count, let k = groupSortKeys[i] { return k }
        if groupSortKeys.count <= i { groupSortKeys.append(contentsOf: repeatElement(nil, count: i - groupSortKeys.count + 1)) }
        let key = ValueEncoding.sortKey(groupValues(id))
        groupSortKeys[i] = key
        return key
    }

    /// The value of a value id (decoded once, then cached).
    func value(_ id: UInt32) -> FieldValue {
        let i = Int(id)
        if i < decodedValues.count, let v = decodedValues[i] { return v }
        if decodedValues.count <= i { decodedValues.append(contentsOf: repeatElement(nil, count: i - decodedValues.count + 1)) }
        guard let v = ValueEncoding.decode(values.bytes(id), count: 1)?.first else {
            preconditionFailure("value \(id) does not decode: the interner is corrupt")
        }
        decodedValues[i] = v
        return v
    }

    /// Canonical order of two value ids (for first/last ties).
    func valueOrder(_ a: UInt32, _ b: UInt32) -> Bool { value(a) < value(b) }
}
