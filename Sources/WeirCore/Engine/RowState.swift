/// The aggregate states of one (pane or session, group).
final class RowState {
    var states: ContiguousArray<AggregateState>
    /// Changed since the last checkpoint (listed in its operator's changes); only while tracking.
    var changed = false

    init(_ job: CompiledJob) {
        states = ContiguousArray(job.spec.aggregates.map { AggregateState.initial($0.function) })
    }

    private init(states: ContiguousArray<AggregateState>) { self.states = states }

    func copy() -> RowState { RowState(states: ContiguousArray(states.map { $0.copy() })) }

    /// Applies the extracted inputs of one event.
    @inline(__always)
    func apply(_ inputs: [AggregateInput], time: Int64, order: (UInt32, UInt32) -> Bool) {
        for i in states.indices {
            switch inputs[i] {
            case .skip: continue
            case .event: states[i].addEvent()
            case .number(let v): states[i].add(number: v)
            case .value(let id, let hash): states[i].add(id: id, hash: hash, time: time, order: order)
            }
        }
    }

    func merge(_ other: RowState, order: (UInt32, UInt32) -> Bool) {
        for i in states.indices { states[i].merge(other.states[i], order: order) }
    }

    func cells(_ job: CompiledJob, resolve: (UInt32) -> FieldValue) -> [Cell] {
        var out: [Cell] = []
        out.reserveCapacity(job.cellCount)
        let aggregates = job.spec.aggregates
        for i in states.indices {
            states[i].appendCells(aggregates[i].function, resolve: resolve, to: &out)
        }
        return out
    }
}
