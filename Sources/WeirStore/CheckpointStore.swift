import Foundation
import Synchronization
import WeirCodec

/// A worker's checkpoints in its own LMDB environment (`DATA/state`): the partitions it owns
/// and the ones it is the standby of, stored the same way.
///
/// Per partition it keeps a chain (rules in `CheckpointChainIndex`): the newest base checkpoint
/// before the newest one, and every checkpoint after it, so that the coordinator-committed
/// checkpoint can be rebuilt even when a newer one (not yet committed) arrived. Every stored blob
/// has passed `CheckpointBlob.verify`; a delta is stored only on top of the checkpoint its
/// `prevDigest` names; an epoch lower than one seen for the partition is refused (a zombie's late
/// checkpoint).
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

    typealias IndexEntry = CheckpointChainIndex.Entry

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
                var index = try Self.loadIndex(txn, p)
                switch index.offer(header, partition: p) {
                case .staleEpoch(let why): throw CheckpointError(why)
                case .needBase(let why): return .needBase(why)
                case .store(let deleting):
                    for seq in deleting { try txn.delete(Self.blobKey(p, seq)) }
                    try txn.put(Self.blobKey(p, header.seq), bytes)
                    try txn.put(Self.indexKey(p), Self.encodeIndex(index.entries))
                    try txn.put(Self.epochKey(p), Self.encode64(index.highestEpoch))
                    return .stored
                }
            }
        }
    }

    private static func loadIndex(_ txn: LMDBWriteTransaction, _ p: Int) throws -> CheckpointChainIndex {
        CheckpointChainIndex(entries: try decodeIndex(txn.get(indexKey(p)) ?? []),
                             highestEpoch: try txn.get(epochKey(p)).map(decode64) ?? 0)
    }

    /// Installs a chain shipped from a replica for committed checkpoint (`seq`, `digest`) in one
    /// transaction, replacing what this store had for the partition, after verifying every blob,
    /// the chain and the committed digest.
    public func install(chain blobs: [[UInt8]], partition p: Int, seq: UInt64, digest: UInt64) throws {
        let headers = try blobs.map { try CheckpointBlob.verify($0, partition: p) }
        guard CheckpointChainIndex.isChain(headers), let last = headers.last, last.seq == seq, last.digest == digest else {
            throw CheckpointError("the shipped chain of partition \(p) does not rebuild committed checkpoint \(seq) (seqs \(headers.map(\.seq)))")
        }
        try writer.withLock { _ in
            try environment.write { txn in
                var index = try Self.loadIndex(txn, p)
                for old in index.install(headers) { try txn.delete(Self.blobKey(p, old)) }
                for (header, bytes) in zip(headers, blobs) { try txn.put(Self.blobKey(p, header.seq), bytes) }
                try txn.put(Self.indexKey(p), Self.encodeIndex(index.entries))
            }
        }
    }

    /// The blobs that rebuild checkpoint `seq` of partition `p` — its base first — after checking
    /// every CRC, the digest chain and that the last one's digest is `digest` (the committed
    /// one). A blob that fails its check is quarantined.
    public func chain(partition p: Int, upTo seq: UInt64, digest: UInt64) throws -> [[UInt8]] {
        let index = CheckpointChainIndex(entries: try Self.decodeIndex(environment.get(Self.indexKey(p)) ?? []))
        let seqs = try index.chain(upTo: seq, digest: digest, partition: p).get()
        let indexed = Dictionary(uniqueKeysWithValues: index.entries.map { ($0.seq, $0) })
        var blobs: [[UInt8]] = []
        var previous: CheckpointBlob.Header?
        for s in seqs {
            guard let bytes = try environment.get(Self.blobKey(p, s)), let entry = indexed[s] else {
                throw CheckpointError("checkpoint \(s) of partition \(p) is in the index but not stored")
            }
            let header: CheckpointBlob.Header
            do {
                header = try CheckpointBlob.verify(bytes, partition: p)
            } catch {
                try quarantine(partition: p, seq: s)
                throw error
            }
            if let previous, header.previousDigest != previous.digest || header.seq != previous.seq + 1 {
                throw CheckpointError("checkpoint \(header.seq) of partition \(p) does not follow \(previous.seq) (digest chain broken)")
            }
            guard header.seq == entry.seq, header.digest == entry.digest else {
                try quarantine(partition: p, seq: s)
                throw CheckpointError("checkpoint \(s) of partition \(p) is not the one indexed (seq \(header.seq))")
            }
            previous = header
            blobs.append(bytes)
        }
        return blobs
    }

    /// The chain of the newest checkpoint stored for `p` (its base first; empty when none),
    /// checked like `chain(partition:upTo:digest:)`.
    public func newestChain(partition p: Int) throws -> [[UInt8]] {
        guard let newest = try Self.decodeIndex(environment.get(Self.indexKey(p)) ?? []).last else { return [] }
        return try chain(partition: p, upTo: newest.seq, digest: newest.digest)
    }

    /// Moves a bad blob aside (kept for inspection) and drops it and everything after it from the chain.
    public func quarantine(partition p: Int, seq: UInt64) throws {
        try writer.withLock { _ in
            try environment.write { txn in
                var index = try Self.loadIndex(txn, p)
                if let bytes = try txn.get(Self.blobKey(p, seq)) { try txn.put(Array("q/\(Self.pad(p, 6))/\(seq)".utf8), bytes) }
                for e in index.entries where e.seq >= seq { try txn.delete(Self.blobKey(p, e.seq)) }
                index.drop(from: seq)
                try txn.put(Self.indexKey(p), Self.encodeIndex(index.entries))
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
