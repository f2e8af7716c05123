import WeirCodec
import WeirCore

/// A batch of scanned lines handed from the scanning thread to the aggregating thread.
///
/// Strings are copied into one arena so the batch outlives the scanner's buffers; field byte
/// pointers are rebuilt from arena offsets when the batch is consumed (the arena no longer grows).
final class ScannedBatch: @unchecked Sendable {
    // `@unchecked Sendable`: a batch is filled by one thread, then handed over through
    // `BatchQueue` (whose lock orders the hand-over) and only read by the other thread.
    struct Entry {
        var location: LineLocation
        /// First field in `fields`, or -1 when the line failed to scan.
        var firstField: Int
        var failure: ScanFailure?
        /// The raw line in `arena` (kept only when dead letters are written), or -1.
        var rawOffset: Int
        var rawLength: Int
    }

    let slotCount: Int
    private(set) var entries: [Entry] = []
    private var fields: [ScannedField] = []
    private var stringOffsets: [Int] = []
    private var stringLengths: [Int] = []
    private var arena: [UInt8] = []

    init(slotCount: Int, capacity: Int) {
        self.slotCount = slotCount
        entries.reserveCapacity(capacity)
        fields.reserveCapacity(capacity * slotCount)
        stringOffsets.reserveCapacity(capacity * slotCount)
        stringLengths.reserveCapacity(capacity * slotCount)
        arena.reserveCapacity(capacity * 32)
    }

    var count: Int { entries.count }

    /// Copies one scanned line (and, with `keepRaw`, its bytes) into the batch.
    func append(_ scanned: UnsafeBufferPointer<ScannedField>, failure: ScanFailure?, line: UnsafeRawBufferPointer,
                location: LineLocation, keepRaw: Bool) {
        var rawOffset = -1
        if keepRaw || failure != nil {
            rawOffset = arena.count
            arena.append(contentsOf: line)
        }
        guard failure == nil else {
            entries.append(Entry(location: location, firstField: -1, failure: failure, rawOffset: rawOffset, rawLength: line.count))
            return
        }
        let first = fields.count
        for f in scanned {
            var copy = f
            var offset = -1
            if f.kind == .string {
                offset = arena.count
                arena.append(contentsOf: f.bytes)
                copy.bytes = UnsafeRawBufferPointer(start: nil, count: 0)  // rebound in forEach
            }
            fields.append(copy)
            stringOffsets.append(offset)
            stringLengths.append(f.bytes.count)
        }
        entries.append(Entry(location: location, firstField: first, failure: nil, rawOffset: rawOffset, rawLength: line.count))
    }

    /// Calls `body` for each entry with its fields (pointing into the arena) and raw line.
    func forEach(_ body: (Entry, UnsafeBufferPointer<ScannedField>, UnsafeRawBufferPointer?) throws -> Void) rethrows {
        try arena.withUnsafeBytes { arenaBytes in
            // Rebind string fields to the arena once; the arena does not change any more.
            if let base = arenaBytes.baseAddress {
                for i in fields.indices where stringOffsets[i] >= 0 {
                    fields[i].bytes = UnsafeRawBufferPointer(start: base + stringOffsets[i], count: stringLengths[i])
                }
            }
            try fields.withUnsafeBufferPointer { all in
                for entry in entries {
                    let raw = entry.rawOffset >= 0
                        ? UnsafeRawBufferPointer(rebasing: arenaBytes[entry.rawOffset..<(entry.rawOffset + entry.rawLength)]) : nil
                    if entry.firstField >= 0 {
                        try body(entry, UnsafeBufferPointer(rebasing: all[entry.firstField..<(entry.firstField + slotCount)]), raw)
                    } else {
                        try body(entry, UnsafeBufferPointer(start: nil, count: 0), raw)
                    }
                }
            }
        }
    }
}
