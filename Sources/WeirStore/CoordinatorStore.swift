import WeirCore
import Foundation

/// The coordinator's durable metadata in its own LMDB environment: the partition count, the
/// highest fencing epoch per partition, declared streams and registered jobs. Every write is
/// one fsync'd transaction, so an epoch returned by `persistEpoch` survives any crash.
///
/// Keys: `meta/partitions` → u32; `epoch/<p>` → u64; `lease/<p>` → the holder granted that epoch
/// (`name#incarnation`); `stream/<name>` → key field (UTF-8, empty = whole event); `job/<name>` →
/// the job spec text as submitted.
public final class CoordinatorStore: Sendable {
    public let environment: LMDBEnvironment

    public init(directory: String, mapSizeBytes: Int = 256 << 20) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = LMDBEnvironment.Settings()
        settings.mapSizeBytes = mapSizeBytes
        environment = try LMDBEnvironment(path: directory, settings: settings)
    }

    /// The partition count fixed at first start; nil before.
    public func partitionCount() throws -> Int? {
        try environment.get(Self.key("meta/partitions")).map { Int(Self.decode64($0)) }
    }

    public func setPartitionCount(_ n: Int) throws {
        try environment.write { try $0.put(Self.key("meta/partitions"), Self.encode64(UInt64(n))) }
    }

    /// The highest persisted epoch of each partition (0 = never granted).
    public func epochs(partitionCount: Int) throws -> [UInt64] {
        try (0..<partitionCount).map { p in try environment.get(Self.key("epoch/\(p)")).map(Self.decode64) ?? 0 }
    }

    /// Persists `epoch` and its holder for `partition` in one transaction; refuses to go
    /// backwards (an epoch is never reused).
    public func persistEpoch(partition: Int, epoch: UInt64, holder: String = "") throws {
        try environment.write { txn in
            let current = try txn.get(Self.key("epoch/\(partition)")).map(Self.decode64) ?? 0
            precondition(epoch > current, "epoch \(epoch) for partition \(partition) would not exceed the persisted \(current)")
            try txn.put(Self.key("epoch/\(partition)"), Self.encode64(epoch))
            try txn.put(Self.key("lease/\(partition)"), Array(holder.utf8))
        }
    }

    /// The last granted holder of each partition, as persisted with its epoch ("" = never granted).
    /// After a restart this is history: those leases may have lapsed, so nothing is granted for TTL + grace.
    public func leaseHolders(partitionCount: Int) throws -> [String] {
        try (0..<partitionCount).map { p in try environment.get(Self.key("lease/\(p)")).map { String(decoding: $0, as: UTF8.self) } ?? "" }
    }

    public func streams() throws -> [(name: String, keyField: String?)] {
        try environment.entries(withPrefix: Self.key("stream/")).map { entry in
            let key = String(decoding: entry.value, as: UTF8.self)
            return (String(decoding: entry.key.dropFirst(7), as: UTF8.self), key.isEmpty ? nil : key)
        }
    }

    public func putStream(name: String, keyField: String?) throws {
        try environment.write { try $0.put(Self.key("stream/\(name)"), Array((keyField ?? "").utf8)) }
    }

    public func jobs() throws -> [(name: String, specText: String)] {
        try environment.entries(withPrefix: Self.key("job/")).map { entry in
            (String(decoding: entry.key.dropFirst(4), as: UTF8.self), String(decoding: entry.value, as: UTF8.self))
        }
    }

    public func putJob(name: String, specText: String) throws {
        try environment.write { try $0.put(Self.key("job/\(name)"), Array(specText.utf8)) }
    }

    public func deleteJob(name: String) throws {
        try environment.write { try $0.delete(Self.key("job/\(name)")) }
    }

    /// The committed checkpoint of each partition (nil = none yet).
    public func commits(partitionCount: Int) throws -> [CheckpointCommit?] {
        try (0..<partitionCount).map { p in try environment.get(Self.key("ckpt/\(p)")).map(CheckpointCommit.decode) ?? nil }
    }

    /// Persists a checkpoint commit; refuses one that does not follow the stored one (the
    /// coordinator's own check already passed: this is the invariant, kept by the store).
    public func persistCommit(partition: Int, _ commit: CheckpointCommit) throws {
        try environment.write { txn in
            let current = try txn.get(Self.key("ckpt/\(partition)")).flatMap(CheckpointCommit.decode)
            precondition(commit.seq == (current?.seq ?? 0) + 1 && commit.epoch >= (current?.epoch ?? 0),
                         "commit \(commit.seq) epoch \(commit.epoch) of partition \(partition) does not follow \(String(describing: current))")
            try txn.put(Self.key("ckpt/\(partition)"), commit.encoded())
        }
    }

    static func key(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func encode64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func decode64(_ b: [UInt8]) -> UInt64 { b.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) } }
}
