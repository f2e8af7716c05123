/// Merges partial aggregates from many partitions into rollup rows, exactly as one engine
/// would have computed them over all the partitions' events.
///
/// Aligned windows (tumbling, hopping, cumulate) merge by (window, group). Session windows merge
/// per group by overlap: two partial sessions belong to the same session exactly when their
/// intervals `[first, last + gap)` overlap (each partial is a chain of events closer than the
/// gap, so an overlap means two events closer than the gap). Two partials of one partition are
/// never merged: that engine already decided they are separate sessions (a session closed by
/// the watermark is not reopened by a later overlapping event).
public final class RollupMerger {
    public let spec: JobSpec
    private let isSession: Bool
    private var values: [FieldValue] = []
    private var ids: [FieldValue: UInt32] = [:]
    /// Aligned: one slot per (window, group), its states merged in place. Sessions: one entry
    /// per partial, merged at the end.
    private var slots = SlotTable()
    private var slotKeys: [AlignedKey] = []
    /// Slot `s`'s states are `slotStates[s * stateStride ..< (s + 1) * stateStride]`: one flat
    /// array rather than an array per slot, which cost an allocation per merged group (a
    /// dashboard query's open window merges tens of thousands).
    private var slotStates: ContiguousArray<AggregateState> = []
    private let stateStride: Int
    private var sessions: [[FieldValue]: [SessionPartial]] = [:]
    /// Aligned: slots by the encoded group bytes of rows merged from their wire form.
    private var encodedGroups = EncodedGroupIndex()
    /// Each aggregate's empty state, made once: a partial's state must be of the same kind
    /// (making them per row allocated a sketch or 2^p HyperLogLog registers each time).
    private let initials: [AggregateState]
    /// The aggregates' functions and their number of output columns, taken out of `spec` once
    /// (read for every row).
    private let functions: [AggregateFunction]
    private let cellCount: Int

    /// A (window, group) hashed once: a dictionary hashed a key on every lookup, insert and
    /// resize, and hashing the group's values each time was most of a dashboard query's merge
    /// (perf of `bench/cluster.sh`: the dictionary's inserts alone 6 % of the coordinator).
    private struct AlignedKey: Hashable {
        let window: Window
        let group: [FieldValue]
        let hashed: Int

        init(window: Window, group: [FieldValue]) {
            self.window = window
            self.group = group
            var hasher = Hasher()
            hasher.combine(window)
            hasher.combine(group)
            hashed = hasher.finalize()
        }

        static func == (a: AlignedKey, b: AlignedKey) -> Bool { a.hashed == b.hashed && a.window == b.window && a.group == b.group }
        func hash(into hasher: inout Hasher) { hasher.combine(hashed) }
    }

    private struct SessionPartial {
        var window: Window
        var states: [AggregateState]
        var partitions: Set<Int>
    }

    public init(spec: JobSpec) {
        self.spec = spec
        if case .session = spec.window { isSession = true } else { isSession = false }
        initials = spec.aggregates.map { AggregateState.initial($0.function) }
        functions = spec.aggregates.map(\.function)
        cellCount = spec.aggregates.reduce(0) { $0 + $1.outputColumns.count }
        stateStride = spec.aggregates.count
    }

    public enum MergeError: Error, Equatable, CustomStringConvertible {
        case shape(String)
        public var description: String {
            switch self { case .shape(let m): return "partial aggregate does not fit the job: \(m)" }
        }
    }

    /// Adds one partition's partial row. After it throws, this merger may hold part of that
    /// row: drop it (an answer with a bad partial is an error, not a partial answer).
    public func add(_ partial: PartialRow, partition: Int) throws(MergeError) {
        try checkShape(groupCount: partial.group.count, stateCount: partial.states.count)
        guard !isSession else {
            sessions[partial.group, default: []].append(SessionPartial(window: partial.window, states: try states(partial), partitions: [partition]))
            return
        }
        let key = AlignedKey(window: partial.window, group: partial.group)
        let (found, bucket) = slots.find(key.hashed) { slotKeys[$0] == key }
        if let slot = found {
            // As `mergeStates`: state by state, no states array per row.
            for (i, p) in partial.states.enumerated() { slotStates[slot * stateStride + i].merge(try state(p, index: i), order: valueOrder) }
            return
        }
        let states = try states(partial)
        slotKeys.append(key)
        slotStates.append(contentsOf: states)
        slots.insert(slotKeys.count - 1, at: bucket) { slotKeys.map(\.hashed) }
    }

    /// Room for `rows` partial rows, so adding them does not grow the tables on the way.
    public func reserve(rows: Int) {
        guard !isSession else { return }
        slots.reserve(rows) { slotKeys.map(\.hashed) }
        slotKeys.reserveCapacity(rows)
        slotStates.reserveCapacity(rows * stateStride)
        encodedGroups.reserve(rows)
    }

    /// Adds one partition's partial row given in its wire form: the group's values encoded
    /// (`ValueEncoding`, `groupCount` of them) and its states read one by one from
    /// `nextState`, which is called exactly `stateCount` times unless this throws. The same
    /// merge as `add(_:partition:)` of the decoded row; a row whose (window, group bytes) this
    /// merger saw before neither decodes its values nor builds arrays.
    public func add(window: Window, encodedGroup group: ArraySlice<UInt8>, groupCount: Int, stateCount: Int, partition: Int,
                    nextState: () throws(MergeError) -> PortableAggregate) throws(MergeError) {
        try checkShape(groupCount: groupCount, stateCount: stateCount)
        func decodedGroup() throws(MergeError) -> [FieldValue] {
            guard let values = ValueEncoding.decode(group, count: groupCount) else { throw .shape("the group values are not a valid encoding") }
            return values
        }
        func decodedStates() throws(MergeError) -> [AggregateState] {
            var states: [AggregateState] = []
            states.reserveCapacity(stateCount)
            for i in 0..<stateCount { states.append(try state(try nextState(), index: i)) }
            return states
        }
        guard !isSession else {
            let values = try decodedGroup()
            sessions[values, default: []].append(SessionPartial(window: window, states: try decodedStates(), partitions: [partition]))
            return
        }
        let (hash, seen) = group.withUnsafeBytes { bytes in
            let hash = EncodedGroupIndex.hash(window, bytes)
            return (hash, encodedGroups.find(hash, window, bytes))
        }
        if let slot = seen.target {
            try mergeStates(into: slot, count: stateCount, nextState)
            return
        }
        // Bytes not seen yet: by value, as `add(_:partition:)` does, then remembered.
        let key = AlignedKey(window: window, group: try decodedGroup())
        let (found, bucket) = slots.find(key.hashed) { slotKeys[$0] == key }
        let slot: Int
        if let found {
            try mergeStates(into: found, count: stateCount, nextState)
            slot = found
        } else {
            try appendDecodedStates(count: stateCount, nextState)
            slotKeys.append(key)
            slot = slotKeys.count - 1
            slots.insert(slot, at: bucket) { slotKeys.map(\.hashed) }
        }
        group.withUnsafeBytes { encodedGroups.insert(hash, window, $0, target: slot, bucket: seen.bucket) }
    }

    private func checkShape(groupCount: Int, stateCount: Int) throws(MergeError) {
        guard groupCount == spec.groupBy.count else { throw .shape("\(groupCount) group values for \(spec.groupBy.count) group fields") }
        guard stateCount == spec.aggregates.count else {
            throw .shape("\(stateCount) aggregate states for \(spec.aggregates.count) aggregates")
        }
    }

    /// Merges a row's states into an existing slot state by state, with no states array per
    /// row (after a bad state this merger is left half-merged, and the caller drops it with the
    /// error).
    private func mergeStates(into slot: Int, count: Int, _ nextState: () throws(MergeError) -> PortableAggregate) throws(MergeError) {
        for i in 0..<count {
            let portable = try nextState()
            let (other, plain) = try checkedState(portable, index: i)
            // Plain states never ask for a value order: passing the method `valueOrder` made a
            // closure retaining this merger per state, most of merging a count or sum.
            if plain {
                slotStates[slot * stateStride + i].merge(other, order: Self.plainStatesHaveNoOrder)
            } else {
                slotStates[slot * stateStride + i].merge(other, order: valueOrder)
            }
        }
    }

    /// The value order passed when merging plain states (count, sum, min, max, avg), which hold
    /// no values and never ask for it.
    private static func plainStatesHaveNoOrder(_ a: UInt32, _ b: UInt32) -> Bool {
        preconditionFailure("a merge of plain states asked for a value order")
    }

    /// A new slot's states, read one by one onto the end of `slotStates`; on a bad state none of
    /// them stays, so the slots stay aligned.
    private func appendDecodedStates(count: Int, _ nextState: () throws(MergeError) -> PortableAggregate) throws(MergeError) {
        let base = slotStates.count
        do throws(MergeError) {
            for i in 0..<count { slotStates.append(try state(try nextState(), index: i)) }
        } catch {
            slotStates.removeSubrange(base...)
            throw error
        }
    }

    private func states(_ partial: PartialRow) throws(MergeError) -> [AggregateState] {
        var states: [AggregateState] = []
        states.reserveCapacity(partial.states.count)
        for (i, p) in partial.states.enumerated() { states.append(try state(p, index: i)) }
        return states
    }

    private func state(_ portable: PortableAggregate, index i: Int) throws(MergeError) -> AggregateState {
        try checkedState(portable, index: i).state
    }

    /// `portable` as the job's state `i`, and whether it is plain (count, sum, min, max, avg).
    private func checkedState(_ portable: PortableAggregate, index i: Int) throws(MergeError) -> (state: AggregateState, plain: Bool) {
        // Plain states first: passing the method `intern` made a closure retaining this merger
        // per state, and count, sum, min, max and avg need no interning.
        let made: AggregateState?
        let plain: Bool
        if let state = portable.plainState {
            made = state
            plain = true
        } else {
            made = portable.state(intern: intern)
            plain = false
        }
        guard let s = made, s.sameKind(as: initials[i]) else {
            throw .shape("state \(i) is not a valid \(spec.aggregates[i].function.keyword) partial")
        }
        return (s, plain)
    }

    /// The merged rows, in canonical order unless `canonicalOrder` is false (a caller that
    /// orders them itself spares the sort); `isFinal(window)` decides each row's finality.
    public func rows(isFinal: (Window) -> Bool, canonicalOrder: Bool = true) -> [RollupRow] {
        var out: [RollupRow] = []
        if isSession {
            for (group, partials) in sessions {
                for (window, states) in mergeSessions(partials) {
                    out.append(row(window, group, states, isFinal(window)))
                }
            }
        } else {
            out.reserveCapacity(slotKeys.count)
            for i in slotKeys.indices {
                let states = slotStates[i * stateStride ..< (i + 1) * stateStride]
                out.append(row(slotKeys[i].window, slotKeys[i].group, states, isFinal(slotKeys[i].window)))
            }
        }
        return canonicalOrder ? RollupRow.sortedCanonically(out) : out
    }

    private func mergeSessions(_ partials: [SessionPartial]) -> [(Window, [AggregateState])] {
        var merged: [SessionPartial] = []
        for p in partials.sorted(by: { $0.window < $1.window }) {
            // Overlapping partials of different partitions are one session.
            if let i = merged.lastIndex(where: { p.window.start < $0.window.end }),
               merged[i].partitions.isDisjoint(with: p.partitions) {
                for k in merged[i].states.indices { merged[i].states[k].merge(p.states[k], order: valueOrder) }
                merged[i].window = Window(start: merged[i].window.start, end: max(merged[i].window.end, p.window.end))
                merged[i].partitions.formUnion(p.partitions)
            } else {
                merged.append(p)
            }
        }
        return merged.map { ($0.window, $0.states) }
    }

    private func row<States: Collection<AggregateState>>(_ window: Window, _ group: [FieldValue], _ states: States, _ isFinal: Bool) -> RollupRow {
        var cells: [Cell] = []
        cells.reserveCapacity(cellCount)
        for (i, s) in states.enumerated() {
            s.appendCells(functions[i], resolve: { self.values[Int($0)] }, to: &cells)
        }
        return RollupRow(window: window, group: group, cells: cells, isFinal: isFinal)
    }

    private func intern(_ value: FieldValue) -> UInt32 {
        if let id = ids[value] { return id }
        let id = UInt32(values.count)
        values.append(value)
        ids[value] = id
        return id
    }

    private func valueOrder(_ a: UInt32, _ b: UInt32) -> Bool { values[Int(a)] < values[Int(b)] }
}

extension AggregateState {
    /// True when both states come from the same aggregate function and parameters (the merge precondition).
    func sameKind(as other: AggregateState) -> Bool {
        switch (self, other) {
        case let (.approxDistinct(a), .approxDistinct(b)): return a.precision == b.precision
        case let (.sketch(a), .sketch(b)): return a.mapping == b.mapping
        case (.count, .count), (.sum, .sum), (.minimum, .minimum), (.maximum, .maximum), (.average, .average),
             (.distinct, .distinct), (.exact, .exact),
             (.top, .top), (.first, .first), (.last, .last):
            return true
        default:
            return false
        }
    }
}
