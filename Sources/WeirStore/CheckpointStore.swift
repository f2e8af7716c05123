import Foundation
import Synchronization
import WeirCodec

/// A worker's checkpoints in its own LMDB environment (`DATA/state`): the partitions it owns
/// and the ones it is the standby of, stored the same way.
///
/// Per partition it keeps a chain: the newest base checkpoint before the newest one, and every
/// checkpoint after it, so that the coordinator-committed checkpoint can be rebuilt even when a
/// newer one (not yet committed) arrived. Every stored blob has passed `CheckpointBlob.verify`;
/// a delta is stored only on top of the checkpoint its `prevDigest` names; an epoch lower than
/// one seen for the partition is refused (a zombie's late checkpoint).
///
/// Keys: `c/PPPPPP/SSSSSSSSSSSSSSSSSSSS` → blob; `x/PPPPPP` → index (seq u64, kind u8, digest u64)…
/// in seq order; `e/PPPPPP` → highest epoch seen; `q/PPPPPP/SEQ` → a quarantined blob.
public final class CheckpointStore: Sendable {
    public let environment: LMDBEnvironment
    /// Store operations read the index and write in one sequence; the lock makes that atomic.
    private let writer = Mutex(())

    public enum Outcome: Sendable, Equatable {
        case stored
        /// A delta whose predecessor is not here: the sender must send a base.
        case needBase(String)
    }

    struct IndexEntry: Equatable {
        var seq: UInt64
        var kind: CheckpointBlob.Kind
        var digest: UInt64
    }

    public init(directory: String, mapSizeBytes: Int = 1 << 30) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = LMDBEnvironment.Settings()
        settings.mapSizeBytes = mapSizeBytes
        environment = try LMDBEnvironment(path: directory, settings: settings)
    }

    /// Verifies and stores a checkpoint blob in one durable transaction.
    /// - Throws: `CheckpointError` for a corrupt, foreign or stale blob; `LMDBError` when the
    ///   store fails (map full, disk full): nothing was written then.
    public func store(_ bytes: [UInt8], partition p: Int) throws -> Outcome {
        let header = try CheckpointBlob.verify(bytes, partition: p)
        return try writer.withLock { _ in
            try environment.write { txn -> Outcome in
                let seen = try txn.get(Self.epochKey(p)).map(Self.decode64) ?? 0
                guard header.epoch >= seen else {
                    throw CheckpointError("checkpoint \(header.seq) of partition \(p) has epoch \(header.epoch), older than the \(seen) already seen: refused")
                }
                var index = try Self.decodeIndex(txn.get(Self.indexKey(p)) ?? [])
                // Checkpoints at or after this seq are an older epoch's uncommitted history.
                for e in index where e.seq >= header.seq { try txn.delete(Self.blobKey(p, e.seq)) }
                index.removeAll { $0.seq >= header.seq }
                if header.kind == .delta {
                    guard let previous = index.last, previous.seq + 1 == header.seq, previous.digest == header.previousDigest else {
                        return .needBase("partition \(p) has no checkpoint \(header.seq - 1) with the digest delta \(header.seq) builds on")
                    }
                } else if let previousBase = index.last(where: { $0.kind == .base }) {
                    // Keep the previous base's chain (the committed checkpoint may be in it), drop what is older.
                    for e in index where e.seq < previousBase.seq { try txn.delete(Self.blobKey(p, e.seq)) }
                    index.removeAll { $0.seq < previousBase.seq }
                }
                index.append(IndexEntry(seq: header.seq, kind: header.kind, digest: header.digest))
                try txn.put(Self.blobKey(p, header.seq), bytes)
                try txn.put(Self.indexKey(p), Self.encodeIndex(index))
                if header.epoch > seen { try txn.put(Self.epochKey(p), Self.encode64(header.epoch)) }
                return .stored
            }
        }
    }

    /// The blobs that rebuild checkpoint `seq` of partition `p` — its base first — after checking
    /// every CRC, the digest chain and that the last one's digest is `digest` (the committed
    /// one). A blob that fails its check is quarantined.
    public func chain(partition p: Int, upTo seq: UInt64, digest: UInt64) throws -> [[UInt8]] {
        let index = try Self.decodeIndex(environment.get(Self.indexKey(p)) ?? [])
        guard let last = index.firstIndex(where: { $0.seq == seq }) else {
            throw CheckpointError("partition \(p) has no checkpoint \(seq) here (have \(index.map(\.seq)))")
        }
        guard index[last].digest == digest else {
            throw CheckpointError("checkpoint \(seq) of partition \(p) here has digest \(index[last].digest), the committed one is \(digest)")
        }
        guard let first = index[...last].lastIndex(where: { $0.kind == .base }) else {
            throw CheckpointError("partition \(p) has no base checkpoint at or before \(seq)")
        }
        var blobs: [[UInt8]] = []
        var previous: CheckpointBlob.Header?
        for entry in index[first...last] {
            guard let bytes = try environment.get(Self.blobKey(p, entry.seq)) else {
                throw CheckpointError("checkpoint \(entry.seq) of partition \(p) is in the index but not stored")
            }
            let header: CheckpointBlob.Header
            do {
                header = try CheckpointBlob.verify(bytes, partition: p)
            } catch {
                try quarantine(partition: p, seq: entry.seq)
                throw error
            }
            if let previous, header.previousDigest != previous.digest || header.seq != previous.seq + 1 {
                throw CheckpointError("checkpoint \(header.seq) of partition \(p) does not follow \(previous.seq) (digest chain broken)")
            }
            guard header.seq == entry.seq, header.digest == entry.digest else {
                try quarantine(partition: p, seq: entry.seq)
                throw CheckpointError("checkpoint \(entry.seq) of partition \(p) is not the one indexed (seq \(header.seq))")
            }
            previous = header
            blobs.append(bytes)
        }
        return blobs
    }

    /// Moves a bad blob aside (kept for inspection) and drops it and everything after it from the chain.
    public func quarantine(partition p: Int, seq: UInt64) throws {
        try writer.withLock { _ in
            try environment.write { txn in
                var index = try Self.decodeIndex(txn.get(Self.indexKey(p)) ?? [])
                if let bytes = try txn.get(Self.blobKey(p, seq)) { try txn.put(Array("q/\(Self.pad(p, 6))/\(seq)".utf8), bytes) }
                for e in index where e.seq >= seq { try txn.delete(Self.blobKey(p, e.seq)) }
                index.removeAll { $0.seq >= seq }
                try txn.put(Self.indexKey(p), Self.encodeIndex(index))
            }
        }
    }

    /// The seqs stored for a partition (oldest first), for tests and `weir inspect`.
    public func storedSeqs(partition p: Int) throws -> [UInt64] {
        try Self.decodeIndex(environment.get(Self.indexKey(p)) ?? []).map(\.seq)
    }

    /// Keys of quarantined blobs.
    public func quarantined() throws -> [String] {
        try environment.entries(withPrefix: Array("q/".utf8)).map { String(decoding: $0.key, as: UTF8.self) }
    }

    static func pad(_ v: some BinaryInteger, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    static func blobKey(_ p: Int, _ seq: UInt64) -> [UInt8] { Array("c/\(pad(p, 6))/\(pad(seq, 20))".utf8) }
    static func indexKey(_ p: Int) -> [UInt8] { Array("x/\(pad(p, 6))".utf8) }
    static func epochKey(_ p: Int) -> [UInt8] { Array("e/\(pad(p, 6))".utf8) }
    static func encode64(_ v: UInt64) -> [UInt8] { CoordinatorStore.encode64(v) }
    static func decode64(_ b: [UInt8]) -> UInt64 { CoordinatorStore.decode64(b) }

    static func encodeIndex(_ index: [IndexEntry]) -> [UInt8] {
        var w = WireWriter(capacity: index.count * 17)
        for e in index { w.u64(e.seq); w.u8(e.kind.rawValue); w.u64(e.digest) }
        return w.bytes
    }

    static func decodeIndex(_ bytes: [UInt8]) throws -> [IndexEntry] {
        guard bytes.count % 17 == 0 else { throw CheckpointError("checkpoint index is \(bytes.count) bytes, not a multiple of 17") }
        var r = WireReader(bytes)
        var out: [IndexEntry] = []
        while !r.isAtEnd {
            let seq = try r.u64()
            guard let kind = CheckpointBlob.Kind(rawValue: try r.u8()) else { throw CheckpointError("checkpoint index has an unknown kind") }
            out.append(IndexEntry(seq: seq, kind: kind, digest: try r.u64()))
        }
        return out
    }
}
