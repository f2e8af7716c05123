import Testing
@testable import WeirCodec
import WeirCore

/// The chain digest of checkpoint blobs: XXH64 from format version 3 (4 changed the rows'
/// layout, not the digest), FNV-1a (`StableHash`) in version 2, whose blobs a worker may still
/// hold in its store after an upgrade.
@Suite struct CheckpointDigestTests {
    /// Reference values from the xxhash Python package (`xxhash.xxh64(data, seed).intdigest()`).
    @Test func xxh64MatchesTheReferenceImplementation() {
        let bytes768 = [UInt8]((0..<768).map { UInt8($0 % 256) })
        let cases: [([UInt8], UInt64, UInt64)] = [
            ([], 0, 0xEF46_DB37_51D8_E999),
            (Array("a".utf8), 0, 0xD24E_C4F1_A98C_6E5B),
            (Array("abc".utf8), 0, 0x44BC_2CF5_AD77_0999),
            (Array("abc".utf8), 1, 0xBEA9_CA81_9932_8908),
            (bytes768, 0, 0x8E03_C838_C596_036F),
            (bytes768, 0x9E37_79B9_7F4A_7C15, 0x919E_1C78_9D52_2E91),
            (Array("0123456789abcdef0123456789abcdef0123456".utf8), 7, 0x08F7_3129_2261_ED46),
        ]
        for (bytes, seed, expected) in cases {
            #expect(XXH64.hash(bytes, seed: seed) == expected, "\(bytes.count) bytes, seed \(seed)")
        }
    }

    /// A blob sealed now is version 4; the same blob as version 2 would have written it (its
    /// digest by FNV-1a, the CRC over that header) still verifies and opens, with its own
    /// digest; either digest under the other's label is refused, and so are versions 1 and 5.
    @Test func versionTwoBlobsStillVerify_andEachVersionChecksItsOwnDigest() throws {
        let sealed = try CheckpointBlob.seal(kind: .base, partition: 5, epoch: 2, seq: 9, previousDigest: 0xABCD, jobs: [])
        #expect(sealed.bytes[4] == 4)
        #expect(try CheckpointBlob.verify(sealed.bytes, partition: 5) == sealed.header)
        let body = Array(sealed.bytes[CheckpointBlob.headerBytes..<(sealed.bytes.count - 4)])
        let v2Digest = body.withUnsafeBytes { CheckpointBlob.chainDigest(version: 2, previous: 0xABCD, seq: 9, compressedBody: $0) }
        #expect(v2Digest != sealed.header.digest)
        func relabeled(version: UInt8, digest: UInt64) -> [UInt8] {
            var b = Array(sealed.bytes.dropLast(4))
            b[4] = version
            for k in 0..<8 { b[34 + k] = UInt8(truncatingIfNeeded: digest >> (8 * UInt64(k))) }
            let crc = CRC32C.checksum(b)
            for k in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k)))) }
            return b
        }
        let v2 = relabeled(version: 2, digest: v2Digest)
        var expected = sealed.header
        expected.digest = v2Digest
        #expect(try CheckpointBlob.verify(v2, partition: 5) == expected)
        #expect(try CheckpointBlob.open(v2, partition: 5).header == expected)
        #expect(throws: CheckpointError.self) { try CheckpointBlob.verify(relabeled(version: 2, digest: sealed.header.digest), partition: 5) }
        #expect(throws: CheckpointError.self) { try CheckpointBlob.verify(relabeled(version: 3, digest: v2Digest), partition: 5) }
        #expect(throws: CheckpointError.self) { try CheckpointBlob.verify(relabeled(version: 1, digest: v2Digest), partition: 5) }
        #expect(try CheckpointBlob.verify(relabeled(version: 3, digest: sealed.header.digest), partition: 5) == sealed.header)
        #expect(throws: CheckpointError.self) { try CheckpointBlob.verify(relabeled(version: 5, digest: sealed.header.digest), partition: 5) }
    }
}
