import CZstd

extension ZstdDecompressor {
    /// Decompresses a whole zstd body (one or more frames) into memory, refusing to produce more
    /// than `outputBytesMax` (so a small decompression bomb cannot exhaust memory).
    public func decompressAll(_ input: [UInt8], outputBytesMax: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompressAll($0, outputBytesMax: outputBytesMax) }
    }

    /// The same, from bytes in place (no copy of the input). When every frame declares its size
    /// (Weir's own frames do), the output is allocated once at that size and filled in one call:
    /// no chunk copies, no doubling of a growing array, each page touched once.
    public func decompressAll(_ input: UnsafeRawBufferPointer, outputBytesMax: Int) throws -> [UInt8] {
        guard input.count > 0 else { return [] }
        let declared = ZSTD_findDecompressedSize(input.baseAddress, input.count)
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != ZSTD_CONTENTSIZE_ERROR {
            guard declared <= UInt64(outputBytesMax) else {
                throw ZstdError(message: "decompressed body exceeds \(outputBytesMax) bytes")
            }
            let size = Int(declared)
            var failure: Int?
            let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                let code = decompressWhole(input, into: buffer)
                if ZSTD_isError(code) != 0 || code != size { failure = code; initialized = 0 } else { initialized = size }
            }
            if let failure {
                _ = try ZstdError.check(failure)  // throws zstd's message when it is an error code
                throw ZstdError(message: "frames declare \(size) bytes but decompress to \(failure)")
            }
            return out
        }
        return try decompressStreaming(input, outputBytesMax: outputBytesMax)
    }

    /// Frames of unknown size: decompressed in bounded chunks, the output checked against the limit as it grows.
    private func decompressStreaming(_ src: UnsafeRawBufferPointer, outputBytesMax: Int) throws -> [UInt8] {
        reset()
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 17)
        var offset = 0
        var finished = true
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
        return out
    }
}
