import WeirCodec
#if canImport(Glibc)
import Glibc
#endif

extension PartitionLog {
    /// Durable events from `offset` on, about `maxBytes` of them (at least one frame's worth
    /// when any is available), as shipped to workers. Every frame is checked against its
    /// checksum before use.
    public func read(from offset: UInt64, maxBytes: Int = 1 << 20) throws(LogError) -> WireLogChunk {
        let (frames, segments, durableEnd) = durableFrames(from: offset, maxBytes: maxBytes)
        guard offset <= durableEnd else {
            throw LogError(directory, "offset \(offset) is beyond the end of partition \(partition) (\(durableEnd))")
        }
        var out: [UInt8] = []
        var count = 0
        var first = offset
        // Taken at the first compressed frame and kept for the rest of this read; `lines` (its
        // buffer, moved out meanwhile) holds each compressed frame's decompressed lines.
        var scratch: LogFrameScratch?
        var lines: [UInt8] = []
        defer {
            if let scratch {
                swap(&lines, &scratch.lines)
                LogFrameScratch.pool.give(scratch)
            }
        }
        for (index, frame) in frames.enumerated() {
            let seg = segments[frame.segment]
            let at = frame.position - LogFrame.headerBytes
            let total = LogFrame.headerBytes + frame.length
            var raw = [UInt8](repeating: 0, count: total)
            let got = raw.withUnsafeMutableBytes { pread(seg.fd, $0.baseAddress, total, off_t(at)) }
            guard got == total else { throw LogError(seg.path, offset: at, "short read of a log frame") }
            let failure: LogError? = raw.withUnsafeBytes { bytes in
                let head = UnsafeRawBufferPointer(rebasing: bytes[0..<LogFrame.headerBytes])
                let payload = UnsafeRawBufferPointer(rebasing: bytes[LogFrame.headerBytes...])
                guard let header = LogFrame.header(head), header.firstOffset == frame.firstOffset,
                      LogFrame.verify(header, headerBytes: head, payload: payload)
                else { return LogError(seg.path, offset: at, "log frame fails its checksum") }
                if header.isCompressed, scratch == nil, let taken = try? LogFrameScratch.pool.take() {
                    swap(&lines, &taken.lines)
                    scratch = taken
                }
                if index == 0 { first = frame.firstOffset + UInt64(offset > frame.firstOffset ? offset - frame.firstOffset : 0) }
                do throws(LogFrameError) {
                    try LogFrame.lines(header, payload: payload, scratch: &lines, decompressor: scratch?.decompressor) { frameLines in
                        var skip = index == 0 ? Int(first - frame.firstOffset) : 0
                        var start = 0
                        while skip > 0, start < frameLines.count { start = frameLines.indexOfNewline(from: start) + 1; skip -= 1 }
                        out.append(contentsOf: frameLines[min(start, frameLines.count)...])
                    }
                } catch {
                    return LogError(seg.path, offset: at, "log frame: \(error)")
                }
                count += frame.count - (index == 0 ? Int(first - frame.firstOffset) : 0)
                return nil
            }
            if let failure { throw failure }
        }
        return WireLogChunk(firstOffset: frames.isEmpty ? offset : first, count: count, durableEnd: durableEnd, lines: out)
    }
}
