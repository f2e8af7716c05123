#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a line sits in the decompressed event stream.
public struct LineLocation: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// Byte offset of the line's first byte in the decompressed stream.
    public var byteOffset: Int
    public var description: String { "line \(line) (byte \(byteOffset))" }
}

/// Splits a byte stream delivered in pieces into lines, carrying partial lines across pieces.
///
/// Lines longer than `lineBytesMax` are reported once through `tooLong` and skipped, so a
/// hostile input cannot make the carry buffer grow without bound. Blank lines are skipped (but
/// counted); a trailing `\r` is dropped.
public final class LineSplitter {
    public let lineBytesMax: Int
    private var carry: [UInt8] = []
    private var carryStart = 0
    private var skippingLongLine = false
    private var nextLine = 1
    private var streamOffset = 0

    public static let defaultLineBytesMax = 1 << 20

    public init(lineBytesMax: Int = LineSplitter.defaultLineBytesMax) {
        self.lineBytesMax = lineBytesMax
    }

    /// Feeds one piece; calls `line` for each complete line and `tooLong` for each oversized one.
    public func feed(
        _ piece: UnsafeRawBufferPointer,
        line: (UnsafeRawBufferPointer, LineLocation) throws -> Void,
        tooLong: (LineLocation) throws -> Void
    ) rethrows {
        guard let base = piece.baseAddress, piece.count > 0 else { return }
        var start = 0
        while start < piece.count {
            let found = memchr(base + start, 0x0A, piece.count - start)
            let end = found.map { UnsafeRawPointer($0) - base } ?? piece.count
            let segment = UnsafeRawBufferPointer(rebasing: piece[start..<end])
            if found == nil {
                // Partial line: keep it for the next piece (bounded).
                if carry.isEmpty && !skippingLongLine { carryStart = streamOffset + start }
                if !skippingLongLine {
                    if carry.count + segment.count > lineBytesMax {
                        try tooLong(LineLocation(line: nextLine, byteOffset: carryStart))
                        skippingLongLine = true
                        carry.removeAll(keepingCapacity: false)
                    } else {
                        carry.append(contentsOf: segment)
                    }
                }
                break
            }
            let location: LineLocation
            if skippingLongLine {
                skippingLongLine = false
            } else if !carry.isEmpty {
                location = LineLocation(line: nextLine, byteOffset: carryStart)
                if carry.count + segment.count > lineBytesMax {
                    try tooLong(location)
                } else {
                    carry.append(contentsOf: segment)
                    try carry.withUnsafeBytes { try emit($0, location, line) }
                }
                carry.removeAll(keepingCapacity: true)
            } else {
                location = LineLocation(line: nextLine, byteOffset: streamOffset + start)
                if segment.count > lineBytesMax { try tooLong(location) } else { try emit(segment, location, line) }
            }
            nextLine += 1
            start = end + 1
        }
        streamOffset += piece.count
    }

    /// Flushes a last line that had no newline.
    public func finish(
        line: (UnsafeRawBufferPointer, LineLocation) throws -> Void,
        tooLong: (LineLocation) throws -> Void
    ) rethrows {
        defer { carry.removeAll(); skippingLongLine = false }
        guard !carry.isEmpty, !skippingLongLine else { return }
        let location = LineLocation(line: nextLine, byteOffset: carryStart)
        nextLine += 1
        try carry.withUnsafeBytes { try emit($0, location, line) }
    }

    /// Lines seen so far (including blank and oversized ones).
    public var linesSeen: Int { nextLine - 1 }

    @inline(__always)
    private func emit(_ raw: UnsafeRawBufferPointer, _ location: LineLocation,
                      _ line: (UnsafeRawBufferPointer, LineLocation) throws -> Void) rethrows {
        var bytes = raw
        if let last = bytes.last, last == 0x0D { bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 1)]) }
        if let first = bytes.first, first != 0x20 && first != 0x09 {
            try line(bytes, location)
        } else if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            try line(bytes, location)
        }
    }
}
