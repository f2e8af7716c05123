import WeirCodec
import WeirCore

/// The output side of a run: dead letters, the bad-event budget, and rows written to the sink in
/// canonical order as soon as no earlier row can follow.
final class RunOutput {
    let sink: RollupSink
    let deadLetter: DeadLetterWriter?
    let maxBad: Int64?
    let inputPath: String
    let onFinalRows: ([RollupRow]) -> Void
    private var pending: [RollupRow] = []
    private(set) var rowCount = 0
    private(set) var notFinalRows = 0
    private var windows = Set<Window>()
    private var lastWrittenWindow: Window?
    private var bad: Int64 = 0
    /// Rows waiting past this many go to sorted runs on disk (then everything is merged at the end).
    let rowsInMemoryMax: Int
    private var spill: RowSpill?

    init(sink: RollupSink, deadLetter: DeadLetterWriter?, maxBad: Int64?, inputPath: String, rowsInMemoryMax: Int,
         onFinalRows: @escaping ([RollupRow]) -> Void) {
        precondition(rowsInMemoryMax > 0, "rowsInMemoryMax must be positive")
        self.rowsInMemoryMax = rowsInMemoryMax
        self.sink = sink
        self.deadLetter = deadLetter
        self.maxBad = maxBad
        self.inputPath = inputPath
        self.onFinalRows = onFinalRows
    }

    var windowCount: Int { windows.count }

    /// Records a rejected or late event; throws once more than `maxBad` events were bad.
    func bad(_ line: UnsafeRawBufferPointer?, _ location: LineLocation, _ reason: BadEventReason, _ message: String) throws {
        try deadLetter?.write(line: line, at: location, reason: reason, message: message)
        guard reason != .late else { return }
        bad += 1
        if let maxBad, bad > maxBad {
            throw RunError.tooManyBad(limit: maxBad, last: "\(inputPath): \(location): \(reason.rawValue): \(message)")
        }
    }

    /// Takes rows that became final; writes out every row that starts before `bound`.
    func take(_ rows: [RollupRow], bound: Int64) throws {
        guard !rows.isEmpty else { return }
        onFinalRows(rows)
        if pending.isEmpty && spill == nil && rows.allSatisfy({ $0.window.start < bound }) {
            // The common case (windows final in order): write the engine's rows as they are.
            try write(RollupRow.sortedCanonically(rows))
            return
        }
        pending += rows
        if spill != nil {
            try spillIfFull()
            return
        }
        guard pending.contains(where: { $0.window.start < bound }) else {
            try spillIfFull()
            return
        }
        var ready: [RollupRow] = []
        var later: [RollupRow] = []
        for row in pending {
            if row.window.start < bound { ready.append(row) } else { later.append(row) }
        }
        pending = later
        try write(RollupRow.sortedCanonically(ready))
        try spillIfFull()
    }

    /// Once too many rows wait, stop streaming: sort them into a run on disk.
    private func spillIfFull() throws {
        guard pending.count >= rowsInMemoryMax else { return }
        let runs = try spill ?? RowSpill()
        spill = runs
        try runs.write(RollupRow.sortedCanonically(pending))
        pending = []
    }

    /// Writes everything left (end of input) and closes the sink and the dead-letter file.
    func finish(_ last: [RollupRow], flushed: [RollupRow]) throws {
        onFinalRows(last)
        pending += last
        pending += flushed
        let rest = RollupRow.sortedCanonically(pending)
        pending = []
        if let spill {
            try spill.merge(with: rest) { try write($0) }
            self.spill = nil
        } else {
            try write(rest)
        }
        try sink.close()
        try deadLetter?.close()
    }

    private func write(_ rows: [RollupRow]) throws {
        guard !rows.isEmpty else { return }
        rowCount += rows.count
        for row in rows where row.window != lastWrittenWindow {
            windows.insert(row.window)
            lastWrittenWindow = row.window
        }
        notFinalRows += rows.reduce(0) { $0 + ($1.isFinal ? 0 : 1) }
        try sink.write(rows)
    }
}
