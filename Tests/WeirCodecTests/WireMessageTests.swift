import Testing
import WeirCodec
import WeirCore

@Suite struct WireMessageTests {
    static let row = PartialRow(
        window: Window(start: 10_000, end: 20_000), group: [.string("p1"), .number(Decimal9(integer: 3)), .null, .bool(true)],
        states: [
            .count(7), .sum(Decimal9(integer: 12), values: 3), .minimum(nil), .maximum(Decimal9(integer: 5)), .average(Decimal9(integer: 9), values: 2),
            .distinct([.string("a"), .string("b")]), .approxDistinct(precision: 4, registers: Array(repeating: 3, count: 16)),
            .sketch(DDSketchSnapshot(relativeError: 0.01, positiveOffset: -3, positiveCounts: [1, 0, 2], negativeOffset: 0,
                                     negativeCounts: [], zeroCount: 1, count: 4)),
            .exact([Decimal9(integer: 1), Decimal9(integer: 2)]), .top([.string("x")], counts: [4]),
            .first(TimedFieldValue(time: 11_000, value: .string("u1"))), .last(nil),
        ],
        isFinal: true)

    static let encodedRow: [UInt8] = {
        var w = WireWriter()
        PartialRowCodec.append(row, to: &w)
        return w.bytes
    }()

    static let samples: [WireMessage] = [
        .hello(worker: "w1", incarnation: 42, cores: 2),
        .renew(seq: 9, leases: [LeaseRef(partition: 3, epoch: 7), LeaseRef(partition: 15, epoch: 1)], problem: ""),
        .renew(seq: 10, leases: [], problem: "checkpoint store: map full"),
        .release(LeaseRef(partition: 2, epoch: 5)), .leave,
        .fetch(request: 1, lease: LeaseRef(partition: 1, epoch: 2), stream: "clicks", offset: 99, maxBytes: 1 << 20),
        .partials(request: 4, reports: [PartitionReport(
            lease: LeaseRef(partition: 0, epoch: 3), watermark: .min, offset: 12, accepted: 10, lateEvents: 1, rejected: 1,
            lateByWindow: [LateCount(window: Window(start: 0, end: 10), count: 1)], rows: [], encodedRows: encodedRow, encodedRowCount: 1)]),
        .partials(request: 7, reports: [Self.reportKnowingItsNewestRow]),
        .welcome(leaseTTLMilliseconds: 3_000, partitionCount: 16),
        .grant(LeaseRef(partition: 4, epoch: 8), committed: CommittedCheckpoint(seq: 12, digest: 0xDEAD_BEEF)), .revoke(LeaseRef(partition: 4, epoch: 8)),
        .renewReply(seq: 9, verdicts: [LeaseVerdict(lease: LeaseRef(partition: 3, epoch: 7), verdict: .revoked)]),
        .fetchReply(request: 1, lease: LeaseRef(partition: 1, epoch: 2), status: .ok,
                    chunk: WireLogChunk(firstOffset: 99, count: 1, durableEnd: 100, lines: Array("{\"a\":1}\n".utf8))),
        .jobs([JobDefinition(name: "j", specText: "name: j\n")]),
        .queryPartials(request: 5, job: "j", from: .min, to: .max, last: 60_000, skipFinals: 0..<0),
        .queryPartials(request: 6, job: "j", from: 0, to: 100, last: 0, skipFinals: 10..<40),
        .ingest(seq: 3, stream: "clicks", lines: Array("{}\n".utf8)),
        .ingestReply(seq: 3, accepted: 1, rejected: 1, problems: [IngestProblemInfo(line: 2, reason: "invalid_json", message: "m")], error: nil),
        .ingestReply(seq: 4, accepted: 0, rejected: 0, problems: [], error: .notFound("unknown_stream", "no stream s")),
        .ingestReply(seq: 5, accepted: 0, rejected: 0, problems: [], error: .unavailable("log_unwritable", "disk full")),
        .failure(.badRequest("protocol", "x")),
        .standbyQuery(request: 9, job: "j", from: 1, to: 2, last: 3,
                      checkpoints: [StandbyCheckpoint(lease: LeaseRef(partition: 4, epoch: 5), committed: CommittedCheckpoint(seq: 6, digest: 7))]),
        .checkpoint(lease: LeaseRef(partition: 2, epoch: 3), seq: 4, digest: 5, offsets: [StreamOffset(stream: "clicks", offset: 77)], blob: [1, 2, 3],
                    timing: CheckpointTiming(stallMicroseconds: 6, localMicroseconds: 7)),
        .replicated(request: 6, partition: 2, seq: 4, status: .needBase, message: "no predecessor"),
        .stateRequest(request: 7, lease: LeaseRef(partition: 2, epoch: 4), seq: 4, digest: 5),
        .stateReply(request: 7, partition: 2, blobs: [[9, 9], []], error: ""),
        .stateReply(request: 8, partition: 3, blobs: [], error: StateTransfer.replicasSilent,
                    bounds: ReplayBounds(logStarts: [StreamOffset(stream: "clicks", offset: 10)], committed: [StreamOffset(stream: "clicks", offset: 99)])),
        .checkpointReply(lease: LeaseRef(partition: 2, epoch: 3), seq: 4, status: .committed, message: ""),
        .replicate(request: 8, partition: 2, epoch: 3, seq: 4, blob: [4, 5]),
    ]

    @Test func everyMessageRoundTrips() throws {
        for m in Self.samples {
            let frame = m.encodedFrame()
            let length = Int(frame[0]) | Int(frame[1]) << 8 | Int(frame[2]) << 16 | Int(frame[3]) << 24
            #expect(length == frame.count - 4)
            #expect(try WireMessage.decode(frameBody: Array(frame[4...])) == m)
        }
    }

    /// A report that says where its newest row ends (nil, unknown, in the other sample).
    static var reportKnowingItsNewestRow: PartitionReport {
        var report = PartitionReport(lease: LeaseRef(partition: 2, epoch: 1), watermark: 50, offset: 3, accepted: 3, lateEvents: 0,
                                     rejected: 0, lateByWindow: [], rows: [], encodedRows: encodedRow, encodedRowCount: 1)
        report.newestRowEnd = 70_000
        report.coveredFrom = 10_000
        return report
    }

    @Test func preEncodedRowsTravelLikeRows() throws {
        var w = WireWriter()
        PartialRowCodec.append(Self.row, to: &w)
        let lease = LeaseRef(partition: 1, epoch: 1)
        let sent = PartitionReport(lease: lease, watermark: 5, offset: 9, accepted: 1, lateEvents: 0, rejected: 0, lateByWindow: [],
                                   rows: [Self.row], encodedRows: w.bytes + w.bytes, encodedRowCount: 2)
        let frame = WireMessage.partials(request: 1, reports: [sent]).encodedFrame()
        guard case .partials(_, let reports) = try WireMessage.decode(frameBody: Array(frame[4...])) else { Issue.record("not partials"); return }
        // A decoded report keeps every row in wire form, the ones sent as rows first.
        let report = try #require(reports.first)
        #expect(report.rows.isEmpty && report.encodedRowCount == 3)
        #expect(try PartialRowCodec.decodeRows(report.encodedRows, count: report.encodedRowCount) == [Self.row, Self.row, Self.row])
        #expect(throws: WireError.self) { try PartialRowCodec.decodeRows(report.encodedRows, count: 2) }
        #expect(throws: WireError.self) { try PartialRowCodec.decodeRows(report.encodedRows, count: 4) }
    }

    @Test func everyTruncationAndCorruptHeaderIsAnErrorNotACrash() {
        for m in Self.samples {
            let body = Array(m.encodedFrame()[4...])
            for cut in 0..<body.count {
                #expect(throws: WireError.self) { try WireMessage.decode(frameBody: Array(body[..<cut])) }
            }
            #expect(throws: WireError.self) { try WireMessage.decode(frameBody: body + [0]) }
            var badVersion = body
            badVersion[0] = 9
            #expect(throws: WireError.self) { try WireMessage.decode(frameBody: badVersion) }
            var badType = body
            badType[1] = 250
            #expect(throws: WireError.self) { try WireMessage.decode(frameBody: badType) }
        }
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cMatchesTheStandardCheckValue_atEveryAlignment() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        // Slicing-by-8 must agree with the bytewise definition for every length and offset.
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        func bytewise(_ b: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = ~0
            for x in b {
                crc ^= UInt32(x)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32C.checksum(Array(data[start..<end])) == bytewise(data[start..<end]))
                let table = Array(data[start..<end]).withUnsafeBytes { CRC32C.tableChecksum($0) }
                #expect(table == bytewise(data[start..<end]))
            }
        }
        // Seeded (a checksum continued over a second buffer) agrees between the two ways.
        let head = Array(data[0..<37]), tail = Array(data[37...])
        let seed = CRC32C.checksum(head)
        #expect(tail.withUnsafeBytes { CRC32C.checksum($0, seed: seed) } == tail.withUnsafeBytes { CRC32C.tableChecksum($0, seed: seed) })
        #if arch(x86_64)
        #expect(CRC32C.usesHardware, "x86-64 machines that run Weir have SSE4.2")
        #endif
    }
}
