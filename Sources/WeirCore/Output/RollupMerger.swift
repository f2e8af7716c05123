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
    private var slots: [AlignedKey: Int] = [:]
    private var slotKeys: [AlignedKey] = []
    private var slotStates: [[AggregateState]] = []
    private var sessions: [[FieldValue]: [SessionPartial]] = [:]
    /// Each aggregate's empty state, made once: a partial's state must be of the same kind
    /// (making them per row allocated a sketch or 2^p HyperLogLog registers each time).
    private let initials: [AggregateState]

    /// A (window, group) hashed once: `slots` hashes a key on every lookup, insert and resize,
    /// and hashing the group's values each time was most of a dashboard query's merge (perf of
    /// `bench/cluster.sh`: the dictionary's inserts alone 6 % of the coordinator).
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
    }

    public enum MergeError: Error, Equatable, CustomStringConvertible {
        case shape(String)
        public var description: String {
            switch self { case .shape(let m): return "partial aggregate does not fit the job: \(m)" }
        }
    }

    /// Adds one partition's partial row.
    public func add(_ partial: PartialRow, partition: Int) throws(MergeError) {
        guard partial.group.count == spec.groupBy.count else {
            throw .shape("\(partial.group.count) group values for \(spec.groupBy.count) group fields")
        }
        guard partial.states.count == spec.aggregates.count else {
            throw .shape("\(partial.states.count) aggregate states for \(spec.aggregates.count) aggregates")
        }
        var states: [AggregateState] = []
        states.reserveCapacity(partial.states.count)
        for (i, p) in partial.states.enumerated() {
            guard let s = p.state(intern: intern), s.sameKind(as: initials[i]) else {
                throw .shape("state \(i) is not a valid \(spec.aggregates[i].function.keyword) partial")
            }
            states.append(s)
        }
        if isSession {
            sessions[partial.group, default: []].append(SessionPartial(window: partial.window, states: states, partitions: [partition]))
        } else {
            let key = AlignedKey(window: partial.window, group: partial.group)
            if let slot = slots[key] {
                for i in states.indices { slotStates[slot][i].merge(states[i], order: valueOrder) }
            } else {
                slots[key] = slotStates.count
                slotKeys.append(key)
                slotStates.append(states)
            }
        }
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
            for i in slotKeys.indices { out.append(row(slotKeys[i].window, slotKeys[i].group, slotStates[i], isFinal(slotKeys[i].window))) }
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

    private func row(_ window: Window, _ group: [FieldValue], _ states: [AggregateState], _ isFinal: Bool) -> RollupRow {
        var cells: [Cell] = []
        for (i, s) in states.enumerated() {
            s.appendCells(spec.aggregates[i].function, resolve: { self.values[Int($0)] }, to: &cells)
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
