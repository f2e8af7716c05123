import Foundation
import WeirCodec
import WeirFiles
import WeirCore

/// Sorted runs of rollup rows spilled to a temporary directory, merged back in canonical order.
///
/// Used when rows must wait for earlier ones (a session open since the start holds back every
/// later row) and more than `JobRun.Settings.rowsInMemoryMax` of them pile up: memory then stays
/// bounded and the output is still written in canonical order. The directory is removed on deinit.
final class RowSpill {
    let directory: String
    private var runs: [String] = []
    static let mergeBatchRows = 8192

    init() throws {
        directory = NSTemporaryDirectory() + "weir-spill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes `rows` (already in canonical order) as one run.
    func write(_ rows: [RollupRow]) throws {
        guard !rows.isEmpty else { return }
        let path = directory + "/run-\(runs.count)"
        let file = try WritableFile(path: path)
        var buffer: [UInt8] = []
        for row in rows {
            RowSpillCodec.append(row, to: &buffer)
            if buffer.count > 1 << 20 {
                try file.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try file.write(buffer)
        try file.flush()
        runs.append(path)
    }

    /// Merges every run with `rows` (in canonical order) and hands the result on in batches.
    func merge(with rows: [RollupRow], into body: ([RollupRow]) throws -> Void) throws {
        var sources = try runs.map { try RunReader(path: $0) }
        var heads = try sources.map { try $0.next() }
        var memoryIndex = 0
        var batch: [RollupRow] = []
        batch.reserveCapacity(RowSpill.mergeBatchRows)
        while true {
            var best: Int? = nil  // index into heads; sources.count means the in-memory rows
            var bestRow: RollupRow? = memoryIndex < rows.count ? rows[memoryIndex] : nil
            if bestRow != nil { best = sources.count }
            for (i, head) in heads.enumerated() {
                guard let head else { continue }
                if let current = bestRow, !RollupRow.canonicallyPrecedes(head, current) { continue }
                best = i
                bestRow = head
            }
            guard let chosen = best, let row = bestRow else { break }
            batch.append(row)
            if chosen == sources.count {
                memoryIndex += 1
            } else {
                heads[chosen] = try sources[chosen].next()
            }
            if batch.count >= RowSpill.mergeBatchRows {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try body(batch)
        sources.removeAll()
    }

    /// Reads the records of one run file in 1 MiB pieces.
    final class RunReader {
        let file: ReadableFile
        private var offset = 0
        private var buffer: [UInt8] = []
        private var position = 0

        init(path: String) throws { file = try ReadableFile(path: path) }

        func next() throws -> RollupRow? {
            guard try ensure(4) else { return nil }
            let length = Int(buffer[position]) | Int(buffer[position + 1]) << 8 | Int(buffer[position + 2]) << 16 | Int(buffer[position + 3]) << 24
            guard try ensure(4 + length) else {
                throw FileError(path: file.path, offset: offset, message: "spill run ends inside a record")
            }
            let body = buffer[(position + 4)..<(position + 4 + length)]
            position += 4 + length
            guard let row = RowSpillCodec.decode(body) else {
                throw FileError(path: file.path, offset: offset, message: "spill run holds a malformed record")
            }
            return row
        }

        /// Makes at least `n` unread bytes available; false at a clean end of file.
        private func ensure(_ n: Int) throws -> Bool {
            if buffer.count - position >= n { return true }
            buffer.removeSubrange(0..<position)
            position = 0
            while buffer.count < n && offset < file.size {
                let want = min(max(n - buffer.count, 1 << 20), file.size - offset)
                buffer += try file.read(at: offset, count: want)
                offset += want
            }
            return buffer.count >= n
        }
    }
}
