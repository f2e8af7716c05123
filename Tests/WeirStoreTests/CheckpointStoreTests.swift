import Foundation
import Testing
import WeirCodec
import WeirCore
import WeirTestSupport
@testable import WeirStore

/// The worker's checkpoint store: chains of base + deltas, fencing by epoch, and corruption
/// refused before use (reliability matrix R7).
@Suite struct CheckpointStoreTests {
    static func tempDir() -> String {
        TestScratch.directory("weir-ckpt")
    }

    /// A job checkpoint with real content: an engine snapshot with cells and some final rows.
    static func job(_ n: Int) -> JobCheckpoint {
        let cell = PartialRow(window: Window(start: Int64(n) * 10_000, end: Int64(n + 1) * 10_000), group: [.string("p\(n)")],
                              states: [.count(Int64(n)), .sum(Decimal9(integer: Int64(n)), values: 1)], isFinal: false)
        var finals = WireWriter()
        var finalRow = cell
        finalRow.isFinal = true
        PartialRowCodec.append(finalRow, to: &finals)
        let engine = EngineSnapshot(watermark: Int64(n) * 1_000, maxEventTime: Int64(n) * 1_000 + 500, stats: EngineStats(),
                                    lateLedger: LateLedger(counts: [Window(start: 0, end: 10): 2]), cells: [cell, cell])
        return JobCheckpoint(name: "j", specDigest: 42, nextOffset: UInt64(n) * 100, rejected: 0, newestEnd: Int64(n) * 10_000,
                             engine: engine, finals: [FinalRowGroup(start: finalRow.window.start, maxEnd: finalRow.window.end, rows: 1, bytes: finals.bytes)])
    }

    static func blob(_ kind: CheckpointBlob.Kind, partition: Int = 3, epoch: UInt64 = 1, seq: UInt64, previous: UInt64)
        throws -> (bytes: [UInt8], header: CheckpointBlob.Header) {
        try CheckpointBlob.seal(kind: kind, partition: partition, epoch: epoch, seq: seq, previousDigest: previous, jobs: [job(Int(seq))])
    }

    @Test func aChainOfBaseAndDeltasRebuildsTheCommittedCheckpoint() throws {
        let store = try CheckpointStore(directory: Self.tempDir())
        let b1 = try Self.blob(.base, seq: 1, previous: 0)
        let d2 = try Self.blob(.delta, seq: 2, previous: b1.header.digest)
        let d3 = try Self.blob(.delta, seq: 3, previous: d2.header.digest)
        for b in [b1, d2, d3] { #expect(try store.store(b.bytes, partition: 3) == .stored) }
        let chain = try store.chain(partition: 3, upTo: 2, digest: d2.header.digest)
        #expect(chain == [b1.bytes, d2.bytes])
        let rebuilt = try CheckpointChain.rebuild(try store.chain(partition: 3, upTo: 3, digest: d3.header.digest), partition: 3)
        #expect(rebuilt.header.seq == 3)
        // Final rows accumulate over the chain; engine state and offset are the newest.
        #expect(rebuilt.jobs.first?.finalCount == 3)
        #expect(rebuilt.jobs.first?.nextOffset == 300)
        // A committed digest that differs from what is stored is refused (never "the newest file").
        #expect(throws: CheckpointError.self) { try store.chain(partition: 3, upTo: 3, digest: d3.header.digest ^ 1) }
    }

    @Test func aDeltaWithoutItsPredecessorAsksForABase_andOlderEpochsAreRefused() throws {
        let store = try CheckpointStore(directory: Self.tempDir())
        let b1 = try Self.blob(.base, epoch: 2, seq: 1, previous: 0)
        #expect(try store.store(b1.bytes, partition: 3) == .stored)
        let gap = try Self.blob(.delta, epoch: 2, seq: 3, previous: 99)
        guard case .needBase = try store.store(gap.bytes, partition: 3) else { Issue.record("a gap must ask for a base"); return }
        let zombie = try Self.blob(.delta, epoch: 1, seq: 2, previous: b1.header.digest)
        #expect(throws: CheckpointError.self) { try store.store(zombie.bytes, partition: 3) }
        #expect(try store.storedSeqs(partition: 3) == [1])
    }

    @Test func aNewEpochReplacesUncommittedHistory_andBasesBoundTheChain() throws {
        let store = try CheckpointStore(directory: Self.tempDir())
        let b1 = try Self.blob(.base, seq: 1, previous: 0)
        let d2 = try Self.blob(.delta, seq: 2, previous: b1.header.digest)
        let d3old = try Self.blob(.delta, seq: 3, previous: d2.header.digest)
        for b in [b1, d2, d3old] { _ = try store.store(b.bytes, partition: 3) }
        // The owner died after storing 3 locally; the coordinator committed 2. The next owner writes its own 3.
        let d3new = try Self.blob(.delta, epoch: 2, seq: 3, previous: d2.header.digest)
        #expect(try store.store(d3new.bytes, partition: 3) == .stored)
        #expect(try store.chain(partition: 3, upTo: 3, digest: d3new.header.digest).count == 3)
        var previous = d3new.header.digest
        for seq in UInt64(4)...9 {
            let kind: CheckpointBlob.Kind = seq % 3 == 0 ? .base : .delta
            let b = try Self.blob(kind, epoch: 2, seq: seq, previous: previous)
            #expect(try store.store(b.bytes, partition: 3) == .stored)
            previous = b.header.digest
        }
        // Bases at 6 and 9: the chain from the previous base (6) is kept, older blobs are gone.
        #expect(try store.storedSeqs(partition: 3) == [6, 7, 8, 9])
    }

    /// ≥ 100 corruptions of a shipped checkpoint, each refused before it is stored or used.
    /// `WEIR_CORRUPTIONS=N` adds N random ones (bit flips, byte splices, swapped ranges):
    /// `bench/corruption.sh` runs 1,000.
    @Test func corruptShippedCheckpointsAreRefused() throws {
        let store = try CheckpointStore(directory: Self.tempDir())
        let good = try Self.blob(.base, seq: 1, previous: 0).bytes
        var rng = SeededGenerator(seed: 2026)
        var variants: [(String, [UInt8])] = []
        let extra = Int(ProcessInfo.processInfo.environment["WEIR_CORRUPTIONS"] ?? "") ?? 0
        for i in 0..<extra {
            var b = good
            let at = Int(rng.next() % UInt64(b.count))
            switch i % 3 {
            case 0:
                for _ in 0...(rng.next() % 4) {
                    let bit = Int(rng.next() % UInt64(b.count * 8))
                    b[bit / 8] ^= 1 << UInt8(bit % 8)
                }
                variants.append(("random bit flips \(i)", b))
            case 1:
                let n = 1 + Int(rng.next() % 32)
                for k in at..<min(b.count, at + n) { b[k] = UInt8(truncatingIfNeeded: rng.next()) }
                variants.append(("spliced \(n) random bytes at \(at) (\(i))", b))
            default:
                let other = Int(rng.next() % UInt64(b.count)), n = 1 + Int(rng.next() % 16)
                let a = min(at, other), c = max(at, other)
                guard c + n <= b.count, a + n <= c, b[a..<(a + n)] != b[c..<(c + n)] else { continue }
                let saved = Array(b[a..<(a + n)])
                b.replaceSubrange(a..<(a + n), with: b[c..<(c + n)])
                b.replaceSubrange(c..<(c + n), with: saved)
                variants.append(("swapped \(n) bytes \(a)↔\(c) (\(i))", b))
            }
        }
        for i in 0..<80 {
            var b = good
            let bit = Int(rng.next() % UInt64(b.count * 8))
            b[bit / 8] ^= 1 << UInt8(bit % 8)
            variants.append(("bit flip \(i) at bit \(bit)", b))
        }
        for cut in [0, 1, 4, 10, 45, 46, 47, 50, good.count / 2, good.count - 5, good.count - 4, good.count - 1] {
            variants.append(("truncated to \(cut)", Array(good.prefix(cut))))
        }
        for start in stride(from: 0, to: good.count, by: max(1, good.count / 10)) {
            var b = good
            for i in start..<min(b.count, start + 16) { b[i] = 0 }
            variants.append(("zeroed 16 bytes at \(start)", b))
        }
        variants.append(("extended", good + [0]))
        variants.append(("empty", []))
        variants.append(("other partition", try Self.blob(.base, partition: 4, seq: 1, previous: 0).bytes))
        // A random change can undo itself (the same bit flipped twice, a byte spliced with its own value).
        variants.removeAll { $0.1 == good }
        #expect(variants.count >= 100 + extra * 9 / 10, "\(variants.count) corruptions for WEIR_CORRUPTIONS=\(extra)")
        for (what, bytes) in variants {
            #expect(throws: CheckpointError.self, "\(what)") { try store.store(bytes, partition: 3) }
        }
        #expect(try store.storedSeqs(partition: 3).isEmpty)
    }

    /// Corruption at rest (LMDB has no page checksums): found at restore, quarantined, never used.
    @Test func corruptionAtRestIsFoundAtRestoreAndQuarantined() throws {
        let store = try CheckpointStore(directory: Self.tempDir())
        let b1 = try Self.blob(.base, seq: 1, previous: 0)
        let d2 = try Self.blob(.delta, seq: 2, previous: b1.header.digest)
        for b in [b1, d2] { _ = try store.store(b.bytes, partition: 3) }
        var bad = d2.bytes
        bad[bad.count / 2] ^= 0x10
        try store.environment.write { try $0.put(CheckpointStore.blobKey(3, 2), bad) }
        #expect(throws: CheckpointError.self) { try store.chain(partition: 3, upTo: 2, digest: d2.header.digest) }
        #expect(try store.quarantined().count == 1)
        #expect(try store.storedSeqs(partition: 3) == [1])
        // An older valid checkpoint is not the committed one either.
        #expect(throws: CheckpointError.self) { try store.chain(partition: 3, upTo: 2, digest: b1.header.digest) }
        // The base is still good and usable.
        #expect(try store.chain(partition: 3, upTo: 1, digest: b1.header.digest) == [b1.bytes])
    }
}

extension CheckpointStoreTests {
    /// R8: a full LMDB map aborts the checkpoint's transaction with a clear error; what was
    /// committed before stays usable, and after reopening with a larger map storing works again.
    @Test func aFullMapAbortsTheCheckpointAndKeepsWhatWasCommitted() throws {
        let dir = Self.tempDir()
        let b1 = try Self.blob(.base, seq: 1, previous: 0)
        // A checkpoint too large for the map: many final rows that do not compress away.
        var big = Self.job(2)
        var rng = SeededGenerator(seed: 9)
        var w = WireWriter()
        for i in 0..<4_000 {
            let row = PartialRow(window: Window(start: Int64(i) * 1_000, end: Int64(i + 1) * 1_000),
                                 group: [.string("g\(rng.next())")], states: [.count(Int64(rng.next() % 1_000)), .sum(Decimal9(integer: Int64(rng.next() % 1_000)), values: 1)],
                                 isFinal: true)
            PartialRowCodec.append(row, to: &w)
        }
        big.finals = try JobCheckpoint.groups(fromRows: w.bytes, count: 4_000)
        let d2 = try CheckpointBlob.seal(kind: .delta, partition: 3, epoch: 1, seq: 2, previousDigest: b1.header.digest, jobs: [big])
        do {
            let store = try CheckpointStore(directory: dir, mapSizeBytes: 96 << 10)
            #expect(try store.store(b1.bytes, partition: 3) == .stored)
            do {
                _ = try store.store(d2.bytes, partition: 3)
                Issue.record("a \(d2.bytes.count)-byte checkpoint fit a 96 KiB map")
            } catch let error as LMDBError {
                #expect(error.isMapFull)
                #expect(error.description.contains("map is full"))
            }
            #expect(try store.storedSeqs(partition: 3) == [1])
            #expect(try store.chain(partition: 3, upTo: 1, digest: b1.header.digest) == [b1.bytes])
        }
        let bigger = try CheckpointStore(directory: dir, mapSizeBytes: 64 << 20)
        #expect(try bigger.store(d2.bytes, partition: 3) == .stored)
        #expect(try bigger.chain(partition: 3, upTo: 2, digest: d2.header.digest).count == 2)
    }
}
