import WeirCore

extension WireMessage {
    /// 4: partial rows in `PartialRowCodec`'s compact layout (fixed-width before).
    /// 5: errors travel classified (`APIError`: kind, code, message), not as bare text; ingest
    /// carries an idempotent producer's id, and its reply whether the batch was a duplicate.
    public static let version: UInt8 = 5
    /// Frames above this are refused before any allocation. Fetch replies carry a few MiB; the
    /// largest frames are a worker's partials for a query over every retained window of a job
    /// with big distinct sets (72–100 MB seen at 2 M events) and checkpoint chains shipped to a
    /// new owner. 512 MiB.
    public static let frameBytesMax = 512 << 20

    enum Kind: UInt8 {
        case hello = 1, renew, release, leave, fetch, partials, checkpoint, replicated, stateRequest, stateReply
        case welcome = 20, grant, revoke, renewReply, fetchReply, jobs, queryPartials, checkpointReply, replicate
        case ingest = 40, ingestReply
        case standbyQuery = 50
        case failure = 60
        case auth = 70
    }

    /// The type byte of `partials` (a query waits for it).
    public static var partialsKind: UInt8 { Kind.partials.rawValue }

    /// Message types whose decoding may take long (decode them off the connection's hot path).
    public static func isBulk(kind: UInt8) -> Bool {
        kind == Kind.partials.rawValue || kind == Kind.checkpoint.rawValue || kind == Kind.stateReply.rawValue
            || kind == Kind.replicate.rawValue
    }

    /// The whole frame: length prefix, version, type and payload.
    public func encodedFrame() -> [UInt8] {
        var w = WireWriter(capacity: 64)
        w.u32(0)  // length, patched below
        w.u8(WireMessage.version)
        encodeBody(&w)
        var bytes = w.bytes
        let length = UInt32(bytes.count - 4)
        for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: length >> (8 * i)) }
        return bytes
    }

    private func encodeBody(_ w: inout WireWriter) {
        switch self {
        case .hello(let worker, let incarnation, let cores):
            w.u8(Kind.hello.rawValue); w.string(worker); w.u64(incarnation); w.int(cores)
        case .auth(let token):
            w.u8(Kind.auth.rawValue); w.string(token)
        case .renew(let seq, let leases, let problem):
            w.u8(Kind.renew.rawValue); w.u64(seq); w.u32(UInt32(leases.count)); for l in leases { lease(l, &w) }
            w.string(problem)
        case .release(let l): w.u8(Kind.release.rawValue); lease(l, &w)
        case .leave: w.u8(Kind.leave.rawValue)
        case .fetch(let request, let l, let stream, let offset, let maxBytes):
            w.u8(Kind.fetch.rawValue); w.u64(request); lease(l, &w); w.string(stream); w.u64(offset); w.int(maxBytes)
        case .partials(let request, let reports):
            w.u8(Kind.partials.rawValue); w.u64(request); w.u32(UInt32(reports.count))
            for r in reports { report(r, &w) }
        case .checkpoint(let l, let seq, let digest, let offsets, let blob, let timing):
            w.u8(Kind.checkpoint.rawValue); lease(l, &w); w.u64(seq); w.u64(digest)
            w.u64(timing.stallMicroseconds); w.u64(timing.localMicroseconds)
            streamOffsets(offsets, &w)
            w.blob(blob)
        case .replicated(let request, let p, let seq, let status, let message):
            w.u8(Kind.replicated.rawValue); w.u64(request); w.u32(UInt32(p)); w.u64(seq); w.u8(status.rawValue); w.string(message)
        case .stateRequest(let request, let l, let seq, let digest):
            w.u8(Kind.stateRequest.rawValue); w.u64(request); lease(l, &w); w.u64(seq); w.u64(digest)
        case .stateReply(let request, let p, let blobs, let error, let bounds):
            w.u8(Kind.stateReply.rawValue); w.u64(request); w.u32(UInt32(p)); w.string(error)
            w.u32(UInt32(blobs.count)); for b in blobs { w.blob(b) }
            streamOffsets(bounds.logStarts, &w); streamOffsets(bounds.committed, &w)
        case .checkpointReply(let l, let seq, let status, let message):
            w.u8(Kind.checkpointReply.rawValue); lease(l, &w); w.u64(seq); w.u8(status.rawValue); w.string(message)
        case .replicate(let request, let p, let epoch, let seq, let blob):
            w.u8(Kind.replicate.rawValue); w.u64(request); w.u32(UInt32(p)); w.u64(epoch); w.u64(seq); w.blob(blob)
        case .welcome(let ttl, let partitions): w.u8(Kind.welcome.rawValue); w.i64(ttl); w.int(partitions)
        case .grant(let l, let committed): w.u8(Kind.grant.rawValue); lease(l, &w); w.u64(committed.seq); w.u64(committed.digest)
        case .revoke(let l): w.u8(Kind.revoke.rawValue); lease(l, &w)
        case .renewReply(let seq, let verdicts):
            w.u8(Kind.renewReply.rawValue); w.u64(seq); w.u32(UInt32(verdicts.count))
            for v in verdicts { lease(v.lease, &w); w.u8(v.verdict.rawValue) }
        case .fetchReply(let request, let l, let status, let chunk):
            w.u8(Kind.fetchReply.rawValue); w.u64(request); lease(l, &w); w.u8(status.rawValue)
            w.u64(chunk.firstOffset); w.int(chunk.count); w.u64(chunk.durableEnd); w.blob(chunk.lines)
        case .jobs(let jobs):
            w.u8(Kind.jobs.rawValue); w.u32(UInt32(jobs.count)); for j in jobs { w.string(j.name); w.string(j.specText) }
        case .queryPartials(let request, let job, let from, let to, let last, let skip):
            w.u8(Kind.queryPartials.rawValue); w.u64(request); w.string(job); w.i64(from); w.i64(to); w.i64(last)
            w.i64(skip.lowerBound); w.i64(skip.upperBound)
        case .standbyQuery(let request, let job, let from, let to, let last, let checkpoints):
            w.u8(Kind.standbyQuery.rawValue); w.u64(request); w.string(job); w.i64(from); w.i64(to); w.i64(last)
            w.u32(UInt32(checkpoints.count))
            for c in checkpoints { lease(c.lease, &w); w.u64(c.committed.seq); w.u64(c.committed.digest) }
        case .ingest(let seq, let stream, let lines, let producer):
            w.u8(Kind.ingest.rawValue); w.u64(seq); w.string(stream); w.blob(lines); w.u64(producer)
        case .ingestReply(let seq, let accepted, let rejected, let problems, let error, let duplicate):
            w.u8(Kind.ingestReply.rawValue); w.u64(seq); w.int(accepted); w.int(rejected)
            w.u32(UInt32(problems.count))
            for p in problems { w.int(p.line); w.string(p.reason); w.string(p.message) }
            w.bool(error != nil)
            if let error { apiError(error, &w) }
            w.bool(duplicate)
        case .failure(let error): w.u8(Kind.failure.rawValue); apiError(error, &w)
        }
    }

    /// An error as `kind u8 | code | message`; the kind carries its origin (user, external,
    /// internal) and whether a resend may succeed.
    private func apiError(_ e: APIError, _ w: inout WireWriter) {
        w.u8(Self.wireCode(e.kind)); w.string(e.code); w.string(e.message)
    }

    private static func wireCode(_ kind: APIError.Kind) -> UInt8 {
        switch kind {
        case .badRequest: 1
        case .notFound: 2
        case .conflict: 3
        case .tooLarge: 4
        case .unsupportedEncoding: 5
        case .methodNotAllowed: 6
        case .unauthorized: 7
        case .forbidden: 8
        case .unavailable: 9
        case .internal: 10
        }
    }

    private static let kindsByWireCode: [UInt8: APIError.Kind] = Dictionary(uniqueKeysWithValues:
        [APIError.Kind.badRequest, .notFound, .conflict, .tooLarge, .unsupportedEncoding, .methodNotAllowed,
         .unauthorized, .forbidden, .unavailable, .internal].map { (wireCode($0), $0) })

    private static func apiError(_ r: inout WireReader) throws(WireError) -> APIError {
        let code = try r.u8("error kind")
        guard let kind = kindsByWireCode[code] else { throw WireError("unknown error kind \(code)") }
        return APIError(kind, code: try r.string("error code"), try r.string("error message"))
    }

    private func lease(_ l: LeaseRef, _ w: inout WireWriter) { w.u32(UInt32(l.partition)); w.u64(l.epoch) }

    private func streamOffsets(_ offsets: [StreamOffset], _ w: inout WireWriter) {
        w.u32(UInt32(offsets.count))
        for o in offsets { w.string(o.stream); w.u64(o.offset) }
    }

    private func report(_ r: PartitionReport, _ w: inout WireWriter) {
        lease(r.lease, &w)
        w.i64(r.watermark); w.u64(r.offset); w.u64(r.committedOffset); w.i64(r.accepted); w.i64(r.lateEvents); w.i64(r.rejected)
        w.i64(r.filtered); w.i64(r.maxEventTime); w.i64(r.coveredFrom)
        w.u8(r.newestRowEnd == nil ? 0 : 1); w.i64(r.newestRowEnd ?? 0)
        w.u32(UInt32(r.lateByWindow.count))
        for l in r.lateByWindow { w.i64(l.window.start); w.i64(l.window.end); w.i64(l.count) }
        // The rows as one length-prefixed block: the coordinator keeps it as it is and merges
        // straight from it (`PartialRowCodec.merge`).
        w.u32(UInt32(r.rows.count + r.encodedRowCount))
        let block = w.beginBlock()
        for row in r.rows { PartialRowCodec.append(row, to: &w) }
        w.raw(r.encodedRows)
        w.endBlock(block)
    }

    /// Decodes the body of one frame (the bytes after the length prefix).
    public static func decode(frameBody bytes: [UInt8]) throws(WireError) -> WireMessage {
        var r = WireReader(bytes)
        let version = try r.u8("version")
        guard version == WireMessage.version else { throw WireError("unsupported protocol version \(version) (this build speaks \(WireMessage.version))") }
        let raw = try r.u8("message type")
        guard let kind = Kind(rawValue: raw) else { throw WireError("unknown message type \(raw)") }
        let message = try decodeBody(kind, &r)
        guard r.isAtEnd else { throw WireError("\(r.remaining) unexpected bytes after a \(kind) message") }
        return message
    }

    private static func decodeBody(_ kind: Kind, _ r: inout WireReader) throws(WireError) -> WireMessage {
        switch kind {
        case .hello: return .hello(worker: try r.string("worker name"), incarnation: try r.u64(), cores: try r.int())
        case .auth: return .auth(token: try r.string("token"))
        case .renew:
            let seq = try r.u64()
            let n = try r.count("leases", max: 1 << 16)
            var leases: [LeaseRef] = []
            for _ in 0..<n { leases.append(try lease(&r)) }
            return .renew(seq: seq, leases: leases, problem: try r.string("problem"))
        case .release: return .release(try lease(&r))
        case .leave: return .leave
        case .fetch:
            return .fetch(request: try r.u64(), lease: try lease(&r), stream: try r.string("stream"), offset: try r.u64(), maxBytes: try r.int())
        case .partials:
            let request = try r.u64()
            let n = try r.count("reports", max: 1 << 16)
            var reports: [PartitionReport] = []
            for _ in 0..<n { reports.append(try report(&r)) }
            return .partials(request: request, reports: reports)
        case .checkpoint:
            let l = try lease(&r), seq = try r.u64(), digest = try r.u64()
            let timing = CheckpointTiming(stallMicroseconds: try r.u64(), localMicroseconds: try r.u64())
            let offsets = try streamOffsets(&r)
            return .checkpoint(lease: l, seq: seq, digest: digest, offsets: offsets, blob: try r.blob("checkpoint"), timing: timing)
        case .replicated:
            let request = try r.u64(), p = Int(try r.u32("partition")), seq = try r.u64()
            let raw = try r.u8("replica status")
            guard let status = ReplicaStatus(rawValue: raw) else { throw WireError("unknown replica status \(raw)") }
            return .replicated(request: request, partition: p, seq: seq, status: status, message: try r.string("message"))
        case .stateRequest:
            return .stateRequest(request: try r.u64(), lease: try lease(&r), seq: try r.u64(), digest: try r.u64())
        case .stateReply:
            let request = try r.u64(), p = Int(try r.u32("partition")), error = try r.string("error")
            var blobs: [[UInt8]] = []
            for _ in 0..<(try r.count("checkpoints", max: 1 << 16)) { blobs.append(try r.blob("checkpoint")) }
            let bounds = ReplayBounds(logStarts: try streamOffsets(&r), committed: try streamOffsets(&r))
            return .stateReply(request: request, partition: p, blobs: blobs, error: error, bounds: bounds)
        case .checkpointReply:
            let l = try lease(&r), seq = try r.u64()
            let raw = try r.u8("checkpoint status")
            guard let status = CheckpointStatus(rawValue: raw) else { throw WireError("unknown checkpoint status \(raw)") }
            return .checkpointReply(lease: l, seq: seq, status: status, message: try r.string("message"))
        case .replicate:
            return .replicate(request: try r.u64(), partition: Int(try r.u32("partition")), epoch: try r.u64(), seq: try r.u64(), blob: try r.blob("checkpoint"))
        case .welcome: return .welcome(leaseTTLMilliseconds: try r.i64(), partitionCount: try r.int())
        case .grant:
            let l = try lease(&r)
            return .grant(l, committed: CommittedCheckpoint(seq: try r.u64(), digest: try r.u64()))
        case .revoke: return .revoke(try lease(&r))
        case .renewReply:
            let seq = try r.u64()
            let n = try r.count("verdicts", max: 1 << 16)
            var verdicts: [LeaseVerdict] = []
            for _ in 0..<n {
                let l = try lease(&r)
                let raw = try r.u8("verdict")
                guard let v = LeaseAuthority.RenewVerdict(rawValue: raw) else { throw WireError("unknown lease verdict \(raw)") }
                verdicts.append(LeaseVerdict(lease: l, verdict: v))
            }
            return .renewReply(seq: seq, verdicts: verdicts)
        case .fetchReply:
            let request = try r.u64(), l = try lease(&r)
            let raw = try r.u8("fetch status")
            guard let status = FetchStatus(rawValue: raw) else { throw WireError("unknown fetch status \(raw)") }
            let chunk = WireLogChunk(firstOffset: try r.u64(), count: try r.int(), durableEnd: try r.u64(), lines: try r.blob("log lines"))
            return .fetchReply(request: request, lease: l, status: status, chunk: chunk)
        case .jobs:
            let n = try r.count("jobs", max: 1 << 12)
            var jobs: [JobDefinition] = []
            for _ in 0..<n { jobs.append(JobDefinition(name: try r.string("job name"), specText: try r.string("job spec"))) }
            return .jobs(jobs)
        case .queryPartials:
            let request = try r.u64(), job = try r.string("job"), from = try r.i64(), to = try r.i64(), last = try r.i64()
            let skipFrom = try r.i64(), skipTo = try r.i64()
            guard skipFrom <= skipTo else { throw WireError("query skips windows from \(skipFrom) to \(skipTo): an inverted range") }
            return .queryPartials(request: request, job: job, from: from, to: to, last: last, skipFinals: skipFrom..<skipTo)
        case .standbyQuery:
            let request = try r.u64(), job = try r.string("job"), from = try r.i64(), to = try r.i64(), last = try r.i64()
            var checkpoints: [StandbyCheckpoint] = []
            for _ in 0..<(try r.count("checkpoints", max: 1 << 12)) {
                let l = try lease(&r)
                checkpoints.append(StandbyCheckpoint(lease: l, committed: CommittedCheckpoint(seq: try r.u64(), digest: try r.u64())))
            }
            return .standbyQuery(request: request, job: job, from: from, to: to, last: last, checkpoints: checkpoints)
        case .ingest: return .ingest(seq: try r.u64(), stream: try r.string("stream"), lines: try r.blob("events"), producer: try r.u64())
        case .ingestReply:
            let seq = try r.u64(), accepted = try r.int(), rejected = try r.int()
            let n = try r.count("problems", max: 1 << 16)
            var problems: [IngestProblemInfo] = []
            for _ in 0..<n { problems.append(IngestProblemInfo(line: try r.int(), reason: try r.string(), message: try r.string())) }
            let error = try r.bool() ? try apiError(&r) : nil
            return .ingestReply(seq: seq, accepted: accepted, rejected: rejected, problems: problems, error: error, duplicate: try r.bool())
        case .failure: return .failure(try apiError(&r))
        }
    }

    private static func streamOffsets(_ r: inout WireReader) throws(WireError) -> [StreamOffset] {
        var offsets: [StreamOffset] = []
        for _ in 0..<(try r.count("offsets", max: 1 << 12)) { offsets.append(StreamOffset(stream: try r.string("stream"), offset: try r.u64())) }
        return offsets
    }

    private static func lease(_ r: inout WireReader) throws(WireError) -> LeaseRef {
        let p = Int(try r.u32("partition"))
        return LeaseRef(partition: p, epoch: try r.u64("epoch"))
    }

    private static func report(_ r: inout WireReader) throws(WireError) -> PartitionReport {
        let l = try lease(&r)
        let watermark = try r.i64(), offset = try r.u64(), committedOffset = try r.u64(), accepted = try r.i64(), late = try r.i64(), rejected = try r.i64()
        let filtered = try r.i64(), maxEventTime = try r.i64(), coveredFrom = try r.i64()
        let newestKnown = try r.u8(), newestRowEnd = try r.i64()
        guard newestKnown <= 1 else { throw WireError("newest row end flag \(newestKnown) is neither 0 nor 1") }
        let nLate = try r.count("late windows")
        var lateByWindow: [LateCount] = []
        for _ in 0..<nLate {
            let start = try r.i64(), end = try r.i64(), count = try r.i64()
            guard start < end else { throw WireError("late window [\(start), \(end)) is empty") }
            lateByWindow.append(LateCount(window: Window(start: start, end: end), count: count))
        }
        let nRows = try r.count("rows")
        let rows = try r.blob("rows")
        var report = PartitionReport(lease: l, watermark: watermark, offset: offset, accepted: accepted, lateEvents: late,
                                     rejected: rejected, lateByWindow: lateByWindow, rows: [], encodedRows: rows, encodedRowCount: nRows)
        report.committedOffset = committedOffset
        report.filtered = filtered
        report.maxEventTime = maxEventTime
        report.coveredFrom = coveredFrom
        report.newestRowEnd = newestKnown == 1 ? newestRowEnd : nil
        return report
    }
}
