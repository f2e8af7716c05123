/// The aggregate states of one (pane or session, group).
///
/// The states live in the object itself (a `ManagedBuffer`, states tail-allocated), so a new
/// row is one allocation instead of a class plus an array: in a worker most events of the
/// benchmark's job open a row (each partition holds a row per page per window), and the second
/// allocation, its free and the array's reference counting were ~6 % of a worker's samples.
final class RowState: ManagedBuffer<RowState.Header, AggregateState> {
    struct Header {
        let count: Int
        /// Changed since the last checkpoint (listed in its operator's changes); only while tracking.
        var changed: Bool
    }

    /// A row of the job's initial states.
    static func make(_ job: CompiledJob) -> RowState {
        let initial = job.initialStates
        return make(count: initial.count) { initial[$0].copy() }
    }

    private static func make(count: Int, state: (Int) -> AggregateState) -> RowState {
        let buffer = create(minimumCapacity: count) { _ in Header(count: count, changed: false) }
        // `create` called on a subclass allocates an instance of that subclass (its dynamic
        // `Self`), so this downcast cannot fail.
        let row = unsafeDowncast(buffer, to: RowState.self)
        row.withUnsafeMutablePointerToElements { states in
            for i in 0..<count { (states + i).initialize(to: state(i)) }
        }
        return row
    }

    deinit {
        _ = withUnsafeMutablePointers { header, states in states.deinitialize(count: header.pointee.count) }
    }

    /// One state per aggregate of the job, in spec order.
    var count: Int { header.count }

    var changed: Bool {
        get { header.changed }
        set { header.changed = newValue }
    }

    subscript(i: Int) -> AggregateState {
        get {
            precondition(i >= 0 && i < header.count, "aggregate index \(i) outside the row's \(header.count) states")
            return withUnsafeMutablePointerToElements { $0[i] }
        }
        set {
            precondition(i >= 0 && i < header.count, "aggregate index \(i) outside the row's \(header.count) states")
            withUnsafeMutablePointerToElements { $0[i] = newValue }
        }
    }

    /// Each state transformed, in spec order.
    func map<T>(_ transform: (AggregateState) throws -> T) rethrows -> [T] {
        try withUnsafeMutablePointers { header, states in
            try UnsafeBufferPointer(start: states, count: header.pointee.count).map(transform)
        }
    }

    func copy() -> RowState {
        withUnsafeMutablePointerToElements { states in RowState.make(count: count) { states[$0].copy() } }
    }

    /// Applies the extracted inputs of one event. Takes the extractor rather than its value
    /// order: forming that closure per event (retaining the extractor) cost even jobs of numbers
    /// alone, which never ask for it.
    @inline(__always)
    func apply(_ inputs: [AggregateInput], time: Int64, extractor: EventExtractor) {
        withUnsafeMutablePointers { header, states in
            let count = header.pointee.count
            precondition(inputs.count == count, "\(inputs.count) inputs for a row of \(count) aggregates")
            for i in 0..<count {
                switch inputs[i] {
                case .skip: continue
                case .event: states[i].addEvent()
                case .number(let v): states[i].add(number: v)
                case .value(let id, let hash): states[i].add(id: id, hash: hash, time: time, order: extractor.valueOrder)
                }
            }
        }
    }

    func merge(_ other: RowState, order: (UInt32, UInt32) -> Bool) {
        precondition(other.count == count, "merging a row of \(other.count) aggregates into one of \(count)")
        withUnsafeMutablePointerToElements { states in
            other.withUnsafeMutablePointerToElements { others in
                for i in 0..<count { states[i].merge(others[i], order: order) }
            }
        }
    }

    func cells(_ job: CompiledJob, resolve: (UInt32) -> FieldValue) -> [Cell] {
        var out: [Cell] = []
        out.reserveCapacity(job.cellCount)
        let aggregates = job.spec.aggregates
        withUnsafeMutablePointerToElements { states in
            for i in 0..<count { states[i].appendCells(aggregates[i].function, resolve: resolve, to: &out) }
        }
        return out
    }
}
