import Foundation
import WeirCore

/// A plain recursive-descent JSON reader for the reference: one event line → field dictionary.
///
/// Deliberately simple and separate from the engine's byte scanner, so that a scanner bug shows
/// up as a difference between the two.
struct ReferenceJSON {
    enum Value: Equatable {
        case string(String)
        case number(Result<Decimal9, NumberError>)
        case bool(Bool)
        case null
        case nested
    }

    struct Failure: Error {
        var reason: BadEventReason
    }

    let bytes: [UInt8]
    var i = 0
    let rejectNested: Bool

    /// Parses a line holding one JSON object; duplicate keys keep the last value.
    static func parseObject(_ line: [UInt8], rejectNested: Bool) -> Result<[String: Value], Failure> {
        var p = ReferenceJSON(bytes: line, rejectNested: rejectNested)
        do throws(Failure) {
            p.ws()
            guard p.i < line.count else { throw Failure(reason: .invalidJSON) }
            guard line[p.i] == UInt8(ascii: "{") else {
                // A JSON value of another type is "not an object"; anything else is not JSON.
                let rest = String(decoding: line[p.i...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let isValue = "[\"-0123456789".utf8.contains(line[p.i]) || ["true", "false", "null"].contains(rest)
                throw Failure(reason: isValue ? .notAnObject : .invalidJSON)
            }
            let object = try p.object(depth: 0)
            p.ws()
            guard p.i == line.count else { throw Failure(reason: .invalidJSON) }
            return .success(object)
        } catch {
            return .failure(error)
        }
    }

    mutating func ws() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ c: Character) throws(Failure) {
        ws()
        guard i < bytes.count, bytes[i] == c.asciiValue else { throw Failure(reason: .invalidJSON) }
        i += 1
    }

    mutating func object(depth: Int) throws(Failure) -> [String: Value] {
        try expect("{")
        var result: [String: Value] = [:]
        ws()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return result }
        while true {
            ws()
            let key = try string()
            try expect(":")
            ws()
            result[key] = try value(depth: depth)
            ws()
            guard i < bytes.count else { throw Failure(reason: .invalidJSON) }
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return result }
            throw Failure(reason: .invalidJSON)
        }
    }

    mutating func array(depth: Int) throws(Failure) {
        try expect("[")
        ws()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
        while true {
            ws()
            _ = try value(depth: depth)
            ws()
            guard i < bytes.count else { throw Failure(reason: .invalidJSON) }
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return }
            throw Failure(reason: .invalidJSON)
        }
    }

    mutating func value(depth: Int) throws(Failure) -> Value {
        guard i < bytes.count else { throw Failure(reason: .invalidJSON) }
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if rejectNested { throw Failure(reason: .nestedValue) }
            guard depth + 1 <= 64 else { throw Failure(reason: .invalidJSON) }
            if c == UInt8(ascii: "{") { _ = try object(depth: depth + 1) } else { try array(depth: depth + 1) }
            return .nested
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            var text = ""
            while i < bytes.count, "0123456789+-.eE".utf8.contains(bytes[i]) {
                text.append(Character(UnicodeScalar(bytes[i])))
                i += 1
            }
            guard !text.isEmpty else { throw Failure(reason: .invalidJSON) }
            let parsed = Decimal9.parse(text)
            if case .failure(.syntax) = parsed { throw Failure(reason: .invalidJSON) }
            return .number(parsed)
        }
    }

    mutating func literal(_ word: String) throws(Failure) {
        for b in word.utf8 {
            guard i < bytes.count, bytes[i] == b else { throw Failure(reason: .invalidJSON) }
            i += 1
        }
    }

    mutating func string() throws(Failure) -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure(reason: .invalidJSON) }
        i += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flushRaw() throws(Failure) {
            guard !raw.isEmpty else { return }
            guard let s = String(validating: raw, as: UTF8.self) else { throw Failure(reason: .invalidUTF8) }
            scalars.append(contentsOf: s.unicodeScalars)
            raw.removeAll()
        }
        while true {
            guard i < bytes.count else { throw Failure(reason: .invalidJSON) }
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw Failure(reason: .invalidJSON) }
            if c != UInt8(ascii: "\\") { raw.append(c); continue }
            try flushRaw()
            guard i < bytes.count else { throw Failure(reason: .invalidJSON) }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw Failure(reason: .invalidJSON)
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure(reason: .invalidJSON) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw Failure(reason: .invalidJSON)
                }
                guard let scalar = UnicodeScalar(code) else { throw Failure(reason: .invalidJSON) }
                scalars.append(scalar)
            default: throw Failure(reason: .invalidJSON)
            }
        }
        try flushRaw()
        return String(scalars)
    }

    mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
              bytes[i..<(i + 4)].allSatisfy({ "0123456789abcdefABCDEF".utf8.contains($0) })
        else { throw Failure(reason: .invalidJSON) }
        i += 4
        return v
    }
}
