import Foundation
import Testing
import WeirCodec
import WeirCore
import WeirStore
import WeirTestSupport
import WeirWire
@testable import WeirWorker

/// A real worker against a coordinator played by the test over TCP, so the order of checkpoint
/// answers and lease events is the test's to choose.
@Suite struct CheckpointInFlightTests {
    static let partition = LeaseRef(partition: 0, epoch: 1)

    static func job() throws -> JobDefinition {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../jobs/clicks-per-page.yaml").path
        return JobDefinition(name: "clicks-per-page", specText: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// 3,000 clicks 10 ms apart over 40 pages: three 10 s windows, the first two final by the end.
    static let lines: [[UInt8]] = (0..<3_000).map { i in
        Array(#"{"ts":\#(1_767_225_600_000 + i * 10),"user":"u\#(i % 97)","page":"p\#((i * 7) % 40)","latency_ms":\#(i % 300),"bytes":\#(1_000 + i)}"#.utf8)
    }

    /// The lease lapses for a moment and a late renewal answer makes it valid again while a
    /// delta is on its way to the coordinator: the worker resumes the partition with new loops
    /// (`LeaseHolder` says `.start` for a partition still running). The new loops' checkpoint
    /// must wait for the one in flight and follow it. (It once captured a second delta with the
    /// same seq; had that one been committed first, the changes the first one carried would have
    /// been missing from the committed chain, and a restore from it would have counted less.)
    @Test func aCheckpointInFlightWhenTheLeaseComesBackIsFollowedNotOvertaken() async throws {
        let dir = TestScratch.directory("worker-in-flight")
        let job = try Self.job()
        let server = try await WireEndpoint.listen(host: "127.0.0.1", port: 0)
        var settings = WorkerSettings(name: "w1", dataDirectory: dir)
        settings.coordinatorPort = try #require(server.channel.localAddress?.port)
        settings.checkpointIntervalMilliseconds = 50
        // Time moves only when the test advances it: "nothing happens for 20 intervals" is 20
        // intervals of the worker's clock, each one's work run to its end (`settle`).
        let clock = ManualClock()
        let dataPath = DataPath(threads: 2)
        let worker = Worker(settings: settings, store: try CheckpointStore(directory: dir + "/state"), dataPath: dataPath, clock: clock)
        let running = Task { try await worker.run() }
        defer { running.cancel() }

        try await server.executeThenClose { connections in
            var accepted = connections.makeAsyncIterator()
            let connection = try #require(try await accepted.next())
            try await connection.executeThenClose { inbound, outbound in
                let coordinator = ScriptedCoordinator(outbound: outbound, lines: Self.lines, job: job, lease: Self.partition)
                let reader = Task { for try await frame in inbound { try await coordinator.handle(frame.decode()) } }
                defer { reader.cancel() }

                try await coordinator.release(upTo: 1_000)
                let first = try await Self.checkpoint(1, from: coordinator, clock, worker)
                #expect(first.seq == 1)
                try await coordinator.commit(first)
                try await coordinator.release(upTo: 2_000)
                let inFlight = try await Self.checkpoint(2, from: coordinator, clock, worker)
                #expect(inFlight.seq == 2)

                // Its answer is held back: the lease comes back meanwhile, and more events arrive.
                await worker.apply([.start(partition: Self.partition.partition, epoch: Self.partition.epoch)])
                try await coordinator.release(upTo: 3_000)
                #expect(await Self.processed(3_000, by: worker), "the new loops fetched every event")
                for _ in 0..<20 {  // 20 checkpoint intervals, each one's wake-ups run to their end
                    #expect(await Self.renewalsAnswered(worker), "no renewal left on the wire")
                    clock.advance(by: .milliseconds(50))
                    #expect(await clock.settle(), "the worker's loops went back to sleep")
                }
                let sent = await coordinator.checkpoints.map(\.seq)
                #expect(sent == [1, 2], "no checkpoint may overtake the one in flight: sent \(sent)")

                // Answered: the next one follows it, until every event is covered.
                try await coordinator.commit(inFlight)
                var committed = [first, inFlight]
                while committed.last?.offsets.first?.offset != 3_000 {
                    let next = try await Self.checkpoint(committed.count + 1, from: coordinator, clock, worker)
                    #expect(next.seq == UInt64(committed.count + 1))
                    try await coordinator.commit(next)
                    committed.append(next)
                }
                let chain = try CheckpointChain.rebuild(committed.map(\.blob), partition: 0)
                #expect(chain.header.seq == UInt64(committed.count))
                #expect(try Self.rows(restoredFrom: chain.jobs, job) == Self.rows(restoredFrom: [], job, feeding: Self.lines),
                        "the committed chain holds exactly the state of every event")
            }
        }
        running.cancel()
        _ = await running.result
        await dataPath.shutdown()
    }

    /// Advances the worker's clock until it has sent its `n`-th checkpoint (a generous limit of
    /// clock time; in real time each step waits only for the work it woke).
    static func checkpoint(_ n: Int, from coordinator: ScriptedCoordinator, _ clock: ManualClock, _ worker: Worker) async throws -> ScriptedCoordinator.Checkpoint {
        // Time moves only while no lease renewal is on the wire: a loaded machine's slow reply
        // must not let the worker's lease lapse on a clock that ran ahead of it.
        let arrived = await clock.advance(by: .milliseconds(10), until: { await coordinator.checkpoints.count >= n }, limit: .seconds(600),
                                          ready: { await Self.settledOnTheWire(worker) })
        let sent = await coordinator.checkpoints
        guard arrived, sent.count >= n else {
            Issue.record("checkpoint \(n) did not arrive within 600 s of the worker's clock (or a renewal stayed unanswered for 180 s)")
            throw CancellationError()
        }
        return sent[n - 1]
    }

    /// The worker holds its grant and has no lease renewal on the wire: its clock may move on.
    static func settledOnTheWire(_ worker: Worker) async -> Bool {
        let holder = await worker.holder
        return holder.leases[partition.partition] != nil && !holder.renewalOutstanding
    }

    /// Waits (real time, with a deadline) until the worker holds its grant and has no lease renewal on the wire.
    static func renewalsAnswered(_ worker: Worker) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if await Self.settledOnTheWire(worker) { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    /// Waits (real time, with a deadline) until the worker's partition has applied `count` events.
    static func processed(_ count: UInt64, by worker: Worker) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let runner = await worker.running[partition.partition]?.runner, runner.progress() >= count { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// A partition's rows (final and open) from `restored` state after feeding `lines`, in a
    /// canonical order.
    static func rows(restoredFrom restored: [JobCheckpoint], _ job: JobDefinition, feeding lines: [[UInt8]] = []) throws -> [String] {
        let spec = try JobSpecParser.parse(job.specText)
        let runner = try PartitionRunner(lease: partition, jobs: [WorkerJob(spec: spec, digest: StableHash.hash(Array(job.specText.utf8)))],
                                         restored: restored, retentionMilliseconds: 3_600_000, checkpoints: false)
        if !lines.isEmpty {
            let bytes = lines.flatMap { $0 + [UInt8(ascii: "\n")] }
            try runner.apply(stream: spec.stream, WireLogChunk(firstOffset: 0, count: lines.count, durableEnd: UInt64(lines.count), lines: bytes))
        }
        let report = try #require(runner.report(job: job.name, from: .min, to: .max, last: 0))
        // Through the wire, which decodes the final rows kept encoded into `rows`.
        guard case .partials(_, let decoded) = try WireMessage.decode(frameBody: Array(WireMessage.partials(request: 1, reports: [report]).encodedFrame().dropFirst(4))) else {
            Issue.record("partials did not decode as partials")
            return []
        }
        #expect(decoded.first?.accepted == Int64(Self.lines.count))
        // A decoded report keeps its rows encoded as they came (the coordinator merges the bytes).
        let only = try #require(decoded.first)
        var reader = WireReader(only.encodedRows)
        let rows = try (0..<only.encodedRowCount).map { _ in try PartialRowCodec.decodeRow(&reader) }
        #expect(rows.count > 40, "the report holds the rows of three windows over 40 pages")
        return (only.rows + rows).map { "\($0)" }.sorted()
    }
}
