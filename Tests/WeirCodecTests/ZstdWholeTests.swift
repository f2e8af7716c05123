import Testing
import WeirCodec

/// `decompressAll`: frames that declare their size are decompressed in one call into a buffer of
/// that size; others in bounded chunks. Both give the same bytes and the same limits.
@Suite struct ZstdWholeTests {
    static func sample(_ count: Int) -> [UInt8] {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { i in
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return i % 7 == 0 ? UInt8(truncatingIfNeeded: x >> 56) : UInt8(ascii: "a") + UInt8(i % 26)
        }
    }

    @Test func framesOfDeclaredSizeRoundTripAlsoConcatenated() throws {
        let first = Self.sample(1 << 20), second = Self.sample(70_001)
        let compressor = try ZstdFrameCompressor(level: 1)
        let a = try compressor.compress(first), b = try compressor.compress(second)
        #expect(try ZstdDecompressor().decompressAll(a, outputBytesMax: 1 << 20) == first)
        #expect(try ZstdDecompressor().decompressAll(a + b, outputBytesMax: 2 << 20) == first + second)
        #expect(try ZstdDecompressor().decompressAll([], outputBytesMax: 10) == [])
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsAllocated() throws {
        let bomb = try ZstdFrameCompressor(level: 1).compress([UInt8](repeating: 7, count: 64 << 20))
        #expect(bomb.count < 100_000)
        #expect {
            try ZstdDecompressor().decompressAll(bomb, outputBytesMax: 1 << 20)
        } throws: { error in
            "\(error)".contains("exceeds 1048576 bytes")
        }
    }

    @Test func truncatedAndCorruptFramesAreErrors() throws {
        let data = Self.sample(300_000)
        let frame = try ZstdFrameCompressor(level: 1).compress(data)
        for cut in [frame.count - 1, frame.count / 2, 13] {
            #expect(throws: ZstdError.self) { try ZstdDecompressor().decompressAll(Array(frame[..<cut]), outputBytesMax: 1 << 20) }
        }
        var flipped = frame
        flipped[frame.count / 2] ^= 0x40
        #expect(throws: ZstdError.self) { try ZstdDecompressor().decompressAll(flipped, outputBytesMax: 1 << 20) }
    }
}
