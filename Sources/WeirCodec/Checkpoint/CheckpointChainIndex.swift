/// The rules of a partition's stored checkpoint chain, without storage: which checkpoint may be
/// stored on top of which, what it replaces, and which chain rebuilds a committed one.
/// `CheckpointStore` applies them inside its LMDB transactions; the seeded simulation applies
/// them to memory, so both run the same rules.
public struct CheckpointChainIndex: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var seq: UInt64
        public var kind: CheckpointBlob.Kind
        public var digest: UInt64
        public init(seq: UInt64, kind: CheckpointBlob.Kind, digest: UInt64) { self.seq = seq; self.kind = kind; self.digest = digest }
    }

    /// Stored checkpoints, oldest first, seqs strictly increasing.
    public private(set) var entries: [Entry]
    /// The highest epoch any stored checkpoint of the partition had.
    public private(set) var highestEpoch: UInt64

    public init(entries: [Entry] = [], highestEpoch: UInt64 = 0) {
        self.entries = entries
        self.highestEpoch = highestEpoch
    }

    public enum Decision: Sendable, Equatable {
        /// Store it; first delete the blobs of these seqs.
        case store(deleting: [UInt64])
        /// A delta whose predecessor is not here: the sender must send a base.
        case needBase(String)
        /// An epoch lower than one already seen: a stale owner's late write.
        case staleEpoch(String)
    }

    /// Decides about an arriving checkpoint and, when it is to be stored, updates the index.
    /// - A lower epoch than seen is refused.
    /// - Checkpoints at or after its seq are an older epoch's uncommitted history: replaced.
    /// - A delta needs the checkpoint seq − 1 with the digest it names.
    /// - A base drops everything before the previous base (whose chain may hold the committed one).
    public mutating func offer(_ header: CheckpointBlob.Header, partition p: Int) -> Decision {
        guard header.epoch >= highestEpoch else {
            return .staleEpoch("checkpoint \(header.seq) of partition \(p) has epoch \(header.epoch), older than the \(highestEpoch) already seen: refused")
        }
        var index = entries
        var deleting = index.filter { $0.seq >= header.seq }.map(\.seq)
        index.removeAll { $0.seq >= header.seq }
        if header.kind == .delta {
            guard let previous = index.last, previous.seq + 1 == header.seq, previous.digest == header.previousDigest else {
                return .needBase("partition \(p) has no checkpoint \(header.seq - 1) with the digest delta \(header.seq) builds on")
            }
        } else if let previousBase = index.last(where: { $0.kind == .base }) {
            deleting += index.filter { $0.seq < previousBase.seq }.map(\.seq)
            index.removeAll { $0.seq < previousBase.seq }
        }
        index.append(Entry(seq: header.seq, kind: header.kind, digest: header.digest))
        entries = index
        highestEpoch = max(highestEpoch, header.epoch)
        return .store(deleting: deleting)
    }

    /// Replaces the partition's chain with a shipped one that rebuilds a committed checkpoint
    /// (the caller verified every blob and that the last digest is the committed one). Unlike
    /// `offer`, older epochs are expected here: a committed checkpoint may predate an epoch this
    /// store saw from an owner whose checkpoints were never committed. Returns the seqs to delete.
    public mutating func install(_ chain: [CheckpointBlob.Header]) -> [UInt64] {
        let deleting = entries.map(\.seq)
        entries = chain.map { Entry(seq: $0.seq, kind: $0.kind, digest: $0.digest) }
        return deleting
    }

    /// Checks that headers form one chain: a base, then deltas each on top of the previous.
    public static func isChain(_ chain: [CheckpointBlob.Header]) -> Bool {
        guard let first = chain.first, first.kind == .base else { return false }
        return zip(chain, chain.dropFirst()).allSatisfy { a, b in b.seq == a.seq + 1 && b.previousDigest == a.digest && b.kind == .delta }
    }

    /// The seqs that rebuild committed checkpoint (seq, digest), base first, or why not.
    public func chain(upTo seq: UInt64, digest: UInt64, partition p: Int) -> Result<[UInt64], CheckpointError> {
        guard let last = entries.firstIndex(where: { $0.seq == seq }) else {
            return .failure(CheckpointError("partition \(p) has no checkpoint \(seq) here (have \(entries.map(\.seq)))"))
        }
        guard entries[last].digest == digest else {
            return .failure(CheckpointError("checkpoint \(seq) of partition \(p) here has digest \(entries[last].digest), the committed one is \(digest)"))
        }
        guard let first = entries[...last].lastIndex(where: { $0.kind == .base }) else {
            return .failure(CheckpointError("partition \(p) has no base checkpoint at or before \(seq)"))
        }
        return .success(entries[first...last].map(\.seq))
    }

    /// Drops `seq` and everything after it (a corrupt blob found at restore).
    public mutating func drop(from seq: UInt64) {
        entries.removeAll { $0.seq >= seq }
    }
}
