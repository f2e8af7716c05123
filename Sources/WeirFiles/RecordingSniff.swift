import WeirCodec

/// A first look at a file someone wants to replay or run: is it events at all? Catches the
/// common mistakes before anything is sent (a text file, random bytes named `.zst`), so the
/// answer says what the file is instead of every line coming back rejected.
public enum RecordingSniff {
    /// Why `reader`'s file (at `path`) is not newline-delimited JSON events, or nil when its
    /// first non-blank line starts like one (a JSON object).
    public static func problem(_ reader: RecordingReader, path: String) -> String? {
        if reader.kind == .plainText, path.hasSuffix(".zst") || path.hasSuffix(".zstd") {
            let head = (try? reader.file.read(at: 0, count: min(4, reader.file.size))) ?? []
            let hex = head.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined(separator: " ")
            return "\(path) is named .zst but is not zstd (it starts with bytes \(hex); zstd starts with 28 B5 2F FD)"
        }
        var firstBytes: [UInt8] = []
        struct Enough: Error {}
        do {
            try reader.forEachPiece { piece in
                firstBytes.append(contentsOf: piece.prefix(4_096 - firstBytes.count))
                if firstBytes.count >= 4_096 { throw Enough() }
            }
        } catch is Enough {
        } catch {
            return nil  // reading fails with its own error (offset and reason) when it is used
        }
        if firstBytes.contains(0) {
            return "\(path) is not NDJSON: its \(reader.kind == .plainText ? "" : "decompressed ")bytes are binary (a NUL byte in the first \(firstBytes.count))"
        }
        var lineNumber = 1
        for line in firstBytes.split(separator: 10, omittingEmptySubsequences: false) {
            defer { lineNumber += 1 }
            guard let first = line.first(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }  // blank
            if first == UInt8(ascii: "{") { return nil }
            let shown = String(decoding: line.prefix(40), as: UTF8.self)
            return "\(path) does not look like NDJSON events: line \(lineNumber) starts with \"\(shown)\", not a JSON object ('{')"
        }
        return firstBytes.isEmpty ? "\(path) holds no events" : nil
    }
}
