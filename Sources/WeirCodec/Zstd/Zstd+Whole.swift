extension ZstdDecompressor {
    /// Decompresses a whole zstd body (one or more frames) into memory, refusing to produce more
    /// than `outputBytesMax` (so a small decompression bomb cannot exhaust memory).
    public func decompressAll(_ input: [UInt8], outputBytesMax: Int) throws -> [UInt8] {
        reset()
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 17)
        var offset = 0
        var finished = true
        try input.withUnsafeBytes { src in
            while offset < src.count {
                let step = try chunk.withUnsafeMutableBytes { try stream(src, from: offset, into: $0) }
                offset += step.consumed
                out += chunk[0..<step.produced]
                finished = step.frameDone
                guard out.count <= outputBytesMax else {
                    throw ZstdError(message: "decompressed body exceeds \(outputBytesMax) bytes")
                }
                if step.consumed == 0 && step.produced == 0 { throw ZstdError(message: "no progress at byte \(offset)") }
            }
            // Drain output still buffered inside zstd.
            while !finished {
                let step = try chunk.withUnsafeMutableBytes { try stream(src, from: offset, into: $0) }
                out += chunk[0..<step.produced]
                finished = step.frameDone
                guard out.count <= outputBytesMax else { throw ZstdError(message: "decompressed body exceeds \(outputBytesMax) bytes") }
                if step.produced == 0 && !finished { throw ZstdError(message: "truncated zstd body") }
            }
        }
        return out
    }
}
