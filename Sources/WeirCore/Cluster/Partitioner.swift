/// Maps an event to its partition: a stable hash of the stream's key field (or of the whole
/// event when the stream declares no key), modulo the partition count.
///
/// The hash is `StableHash` (FNV-1a + fmix64), identical on every machine and run, so the same
/// event always lands in the same partition and a replay reproduces the same partition logs.
public struct Partitioner: Sendable, Equatable {
    public let partitionCount: Int

    public init(partitionCount: Int) {
        precondition(partitionCount > 0 && partitionCount <= 4096, "partition count must be 1...4096, got \(partitionCount)")
        self.partitionCount = partitionCount
    }

    /// The partition of an event whose key (raw JSON value bytes, or the whole line) is `bytes`.
    @inline(__always)
    public func partition(ofKey bytes: UnsafeRawBufferPointer) -> PartitionID {
        Int(StableHash.hash(bytes) % UInt64(partitionCount))
    }

    public func partition(ofKey bytes: [UInt8]) -> PartitionID {
        bytes.withUnsafeBytes { partition(ofKey: $0) }
    }
}
