import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Rebuilds a partition log's index from its segment files at open.
enum PartitionLogRecovery {
    static func segmentName(_ firstOffset: UInt64) -> String { String(format: "%020llu.seg", firstOffset) }

    static func recover(directory: String) throws(LogError) -> PartitionLog.State {
        var s = PartitionLog.State()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".seg") }.sorted()
        for (i, name) in names.enumerated() {
            let path = directory + "/" + name
            guard let first = UInt64(name.dropLast(4)) else { throw LogError(path, "segment file name is not an offset") }
            // The oldest segments may have been truncated away behind committed checkpoints.
            if i == 0 { s.writtenEnd = first }
            guard first == s.writtenEnd else {
                throw LogError(path, "segment starts at offset \(first) but the previous one ends at \(s.writtenEnd): events are missing")
            }
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw LogError(path, "cannot open: \(String(cString: strerror(errno)))") }
            s.segments.append(PartitionLog.Segment(firstOffset: first, path: path, fd: fd, size: 0))
            let valid = try scan(&s, segment: s.segments.count - 1, isLast: i == names.count - 1)
            s.segments[s.segments.count - 1].size = valid
        }
        s.durableEnd = s.writtenEnd
        s.durableFrames = s.frames.count
        return s
    }

    /// A producer mark whose events are not all read yet: where it starts, and what is left.
    private struct OpenGroup {
        var mark: LogFrame.ProducerMark
        var position: Int
        var firstOffset: UInt64
        var framesBefore: Int
        var eventsLeft: Int
    }

    /// Indexes the frames of one segment; returns the byte length of its valid prefix.
    ///
    /// Only a torn write at the very end of the last segment is cut off: a frame shorter than
    /// its header says, a last frame failing its checksum, or a zero-filled tail — together
    /// with the producer mark and frames of a batch it leaves incomplete, so a batch of an
    /// idempotent producer is in the log whole or not at all. A bad frame with more data after
    /// it is corruption of acknowledged events and fails the open.
    private static func scan(_ s: inout PartitionLog.State, segment index: Int, isLast: Bool) throws(LogError) -> Int {
        let seg = s.segments[index]
        var st = stat()
        guard fstat(seg.fd, &st) == 0 else { throw LogError(seg.path, "cannot stat") }
        let size = Int(st.st_size)
        var position = 0
        var header = [UInt8](repeating: 0, count: LogFrame.headerBytes)
        var open: OpenGroup?
        /// Cuts the segment at `at` (a torn tail), and with it an incomplete batch before it.
        func cut(at: Int, _ s: inout PartitionLog.State) throws(LogError) -> Int {
            var at = at
            if let group = open {
                at = group.position
                s.frames.removeLast(s.frames.count - group.framesBefore)
                s.writtenEnd = group.firstOffset
            }
            guard ftruncate(seg.fd, off_t(at)) == 0, fsync(seg.fd) == 0 else {
                throw LogError(seg.path, offset: at, "cannot cut off a torn tail: \(String(cString: strerror(errno)))")
            }
            s.truncatedBytes += size - at
            return at
        }
        while position < size {
            var tornTail = false
            let problem: String? = header.withUnsafeMutableBytes { h -> String? in
                tornTail = true
                guard pread(seg.fd, h.baseAddress, LogFrame.headerBytes, off_t(position)) == LogFrame.headerBytes else { return "truncated frame header" }
                guard let parsed = LogFrame.header(UnsafeRawBufferPointer(h)) else {
                    tornTail = isZeroFilled(seg.fd, from: position, to: size)
                    return "bad frame header"
                }
                guard position + LogFrame.headerBytes + parsed.length <= size else { return "truncated frame payload" }
                tornTail = position + LogFrame.headerBytes + parsed.length == size
                guard parsed.firstOffset == s.writtenEnd else { return "frame offset \(parsed.firstOffset), expected \(s.writtenEnd)" }
                var payload = [UInt8](repeating: 0, count: parsed.length)
                let got = payload.withUnsafeMutableBytes { pread(seg.fd, $0.baseAddress, parsed.length, off_t(position + LogFrame.headerBytes)) }
                guard got == parsed.length,
                      payload.withUnsafeBytes({ LogFrame.verify(parsed, headerBytes: UnsafeRawBufferPointer(h), payload: $0) })
                else { return "frame fails its checksum" }
                if parsed.isProducerMark {
                    tornTail = false  // a verified frame that says something wrong is no torn write
                    guard open == nil else { return "a producer mark inside the batch of another" }
                    guard let mark = payload.withUnsafeBytes({ LogFrame.producerMark(parsed, payload: $0) }), mark.events > 0 else {
                        return "a producer mark that does not hold one"
                    }
                    open = OpenGroup(mark: mark, position: position, firstOffset: s.writtenEnd, framesBefore: s.frames.count, eventsLeft: mark.events)
                } else {
                    s.frames.append(PartitionLog.FrameRef(firstOffset: parsed.firstOffset, count: parsed.count, segment: index,
                                                          position: position + LogFrame.headerBytes, length: parsed.length))
                    s.writtenEnd += UInt64(parsed.count)
                    if var group = open {
                        group.eventsLeft -= parsed.count
                        guard group.eventsLeft >= 0 else { return "frames hold more events than their producer mark says" }
                        open = group.eventsLeft == 0 ? nil : group
                        if group.eventsLeft == 0 {
                            s.producerSeqs[group.mark.producer] = max(s.producerSeqs[group.mark.producer] ?? 0, group.mark.seq)
                        }
                    }
                }
                position += LogFrame.headerBytes + parsed.length
                return nil
            }
            if let problem {
                guard isLast && tornTail else { throw LogError(seg.path, offset: position, "\(problem) inside the log (not a torn tail): refusing to start") }
                return try cut(at: position, &s)
            }
        }
        if open != nil {
            // The batch's frames end with the segment: torn on the last one, a hole before it.
            guard isLast else { throw LogError(seg.path, offset: position, "a producer batch is incomplete inside the log (not a torn tail): refusing to start") }
            return try cut(at: position, &s)
        }
        return position
    }

    private static func isZeroFilled(_ fd: Int32, from: Int, to: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var position = from
        while position < to {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min($0.count, to - position), off_t(position)) }
            guard n > 0 else { return false }
            if buffer[0..<n].contains(where: { $0 != 0 }) { return false }
            position += n
        }
        return true
    }

    static func startSegment(_ s: inout PartitionLog.State, directory: String, firstOffset: UInt64) throws(LogError) {
        let path = directory + "/" + segmentName(firstOffset)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogError(path, "cannot create segment: \(String(cString: strerror(errno)))") }
        // The new file's directory entry must be durable too.
        let dfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        s.segments.append(PartitionLog.Segment(firstOffset: firstOffset, path: path, fd: fd, size: 0))
    }
}
