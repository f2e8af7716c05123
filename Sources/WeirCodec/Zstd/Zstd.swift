import CZstd

/// A zstd failure with libzstd's own description.
public struct ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { "zstd: \(message)" }

    static func check(_ code: Int) throws -> Int {
        if ZSTD_isError(code) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(code))) }
        return code
    }
}

/// Compresses whole frames (with content size and content checksum).
///
/// Not thread-safe: one per thread.
public final class ZstdFrameCompressor {
    private let context: OpaquePointer

    public init(level: Int32 = 3) throws {
        guard let ctx = ZSTD_createCCtx() else { throw ZstdError(message: "cannot allocate a compression context") }
        context = ctx
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level))
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1))
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 1))
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One complete zstd frame holding `input`.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        try compressBytes(input)
    }

    private func compressBytes(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var code = 0
        // Uninitialized: zstd writes what it returns, and zero-filling the bound first touched
        // every page of it once more (checkpoints are compressed every second).
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
            code = ZSTD_compress2(context, dst.baseAddress, bound, input.baseAddress, input.count)
            initialized = ZSTD_isError(code) != 0 ? 0 : code
        }
        _ = try ZstdError.check(code)
        return out
    }

    /// The most bytes a frame of `inputBytes` can take.
    public func bound(_ inputBytes: Int) -> Int { ZSTD_compressBound(inputBytes) }

    /// Writes one complete frame holding `input` into `output` (at least `bound(input.count)`
    /// bytes) and returns its length.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        precondition(output.count >= bound(input.count), "a zstd output buffer holds the frame's bound")
        return try ZstdError.check(ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count))
    }

    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try compressBytes($0) }
    }
}

/// Decompresses zstd data: whole frames of known size, or a stream in bounded chunks.
///
/// The window size is capped (`windowLogMax`), so a hostile file cannot make it allocate more
/// than 128 MiB of history. Not thread-safe: one per thread.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    public static let windowLogMax: Int32 = 27

    public init() throws {
        guard let ctx = ZSTD_createDCtx() else { throw ZstdError(message: "cannot allocate a decompression context") }
        context = ctx
        _ = try ZstdError.check(ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, ZstdDecompressor.windowLogMax))
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The content size a frame at the start of `frame` declares; nil when it declares none or
    /// is not a zstd frame.
    public static func contentSize(_ frame: UnsafeRawBufferPointer) -> Int? {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two highest UInt64 values.
        guard declared < UInt64.max - 1, declared <= UInt64(Int.max) else { return nil }
        return Int(declared)
    }

    /// Decompresses one whole frame whose content size is `expectedSize`; the checksum is verified.
    public func decompressFrame(_ frame: UnsafeRawBufferPointer, expectedSize: Int, into out: inout [UInt8]) throws {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        guard declared == UInt64(expectedSize) else {
            throw ZstdError(message: "frame declares \(declared) bytes but the index says \(expectedSize)")
        }
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(expectedSize)
        out.append(contentsOf: repeatElement(0, count: expectedSize))
        let n = try ZstdError.check(out.withUnsafeMutableBufferPointer { decompressWhole(frame, into: $0) })
        guard n == expectedSize else { throw ZstdError(message: "frame decompressed to \(n) bytes, expected \(expectedSize)") }
    }

    /// Decompresses every frame of `input` into `output` in one call; returns zstd's result
    /// (bytes written, or an error code for `ZstdError.check`).
    func decompressWhole(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        ZSTD_decompressDCtx(context, output.baseAddress, output.count, input.baseAddress, input.count)
    }

    /// Resets for a new stream.
    public func reset() {
        _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
    }

    /// Feeds `input` from `inputOffset` and fills `output`; returns (bytes consumed, bytes produced,
    /// frame finished). Skippable frames are consumed and produce nothing.
    public func stream(_ input: UnsafeRawBufferPointer, from inputOffset: Int, into output: UnsafeMutableRawBufferPointer)
        throws -> (consumed: Int, produced: Int, frameDone: Bool)
    {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: inputOffset)
        var outBuf = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = try ZstdError.check(ZSTD_decompressStream(context, &outBuf, &inBuf))
        return (inBuf.pos - inputOffset, outBuf.pos, hint == 0)
    }
}
