import Testing
import WeirCore
@testable import WeirCodec

@Suite struct EventScannerTests {
    let plan = FieldPlan(names: ["ts", "page", "n", "flag", "obj"])

    func scan(_ line: String, rejectNested: Bool = false) -> (ScanFailure?, [FieldValue?]) {
        let scanner = EventScanner(plan: plan, rejectNested: rejectNested)
        var bytes = Array(line.utf8)
        let failure = bytes.withUnsafeMutableBytes { scanner.scan(UnsafeRawBufferPointer($0)) }
        return (failure, scanner.fields.map(\.fieldValue))
    }

    @Test func readsTheFieldsOfThePlanAndSkipsOthers() {
        let (failure, values) = scan(#"{"ts":1700000000000,"user":"u1","page":"p42","n":-1.25e1,"flag":true,"extra":[1,{"a":null}],"obj":null}"#)
        #expect(failure == nil)
        #expect(values[0] == .number(Decimal9(integer: 1_700_000_000_000)))
        #expect(values[1] == .string("p42"))
        #expect(values[2] == .number(try! Decimal9.parse("-12.5").get()))
        #expect(values[3] == .bool(true))
        #expect(values[4] == .null)
    }

    @Test func unescapesStrings() {
        let (failure, values) = scan(#"{"page":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#)
        #expect(failure == nil)
        #expect(values[1] == .string("a\"b\\c/d\né😀"))
        #expect(values[0] == nil)  // missing
    }

    @Test func lastDuplicateKeyWins() {
        let (_, values) = scan(#"{"page":"a","page":"b"}"#)
        #expect(values[1] == .string("b"))
    }

    @Test func nestedValuesAreSkippedOrRejected() {
        let line = #"{"ts":1,"obj":{"x":[1,2,{"y":"z"}]}}"#
        let (ok, values) = scan(line)
        #expect(ok == nil)
        #expect(values[4] == nil)  // nested: not a plain value
        let (failure, _) = scan(line, rejectNested: true)
        #expect(failure?.reason == .nestedValue)
    }

    @Test func classifiesBadLinesWithTheColumn() {
        let cases: [(String, BadEventReason, Int)] = [
            (#"{"ts":1"#, .invalidJSON, 7),
            (#"{"ts":1,}"#, .invalidJSON, 8),
            (#"{"ts" 1}"#, .invalidJSON, 6),
            (#"{"ts":01}"#, .invalidJSON, 6),
            (#"{"ts":1} x"#, .invalidJSON, 9),
            (#"{"page":"abc}"#, .invalidJSON, 8),
            (#"{"page":"a\qb"}"#, .invalidJSON, 10),
            (#"{"page":"\ud800"}"#, .invalidJSON, 9),
            (#"[1,2]"#, .notAnObject, 0),
            (#""text""#, .notAnObject, 0),
            (#"hello"#, .invalidJSON, 0),
            (#"{"ts":tru}"#, .invalidJSON, 9),
            ("{\"page\":\"a\tb\"}", .invalidJSON, 10),
        ]
        for (line, reason, column) in cases {
            let (failure, _) = scan(line)
            #expect(failure?.reason == reason, "\(line)")
            #expect(failure?.column == column, "\(line): \(String(describing: failure))")
        }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let scanner = EventScanner(plan: plan)
        var bytes = Array(#"{"page":"ab"}"#.utf8)
        bytes.insert(0xC3, at: 10)  // a lead byte without its continuation
        let failure = bytes.withUnsafeBytes { scanner.scan($0) }
        #expect(failure?.reason == .invalidUTF8)
        #expect(failure?.column == 10)
    }

    @Test func flagsUnrepresentableNumbers() {
        let scanner = EventScanner(plan: plan)
        var bytes = Array(#"{"n":1e300}"#.utf8)
        let failure = bytes.withUnsafeMutableBytes { scanner.scan(UnsafeRawBufferPointer($0)) }
        #expect(failure == nil)
        #expect(scanner.fields[2].kind == .number)
        #expect(scanner.fields[2].numberOutOfRange)
    }

    @Test func rejectsDeepNesting() {
        let deep = "{\"obj\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        let (failure, _) = scan(deep)
        #expect(failure?.reason == .invalidJSON)
        #expect(failure?.message.contains("nested deeper") == true)
    }

    /// The eight-bytes-at-a-time string scan finds the same first byte as a byte-wise one: every
    /// byte value at every position of a word, and random words.
    @Test func theWordScanFindsTheFirstByteAStringScanMustSee() {
        func isSpecial(_ b: UInt8) -> Bool { b == 0x22 || b == 0x5C || b < 0x20 || b >= 0x80 }
        func firstSpecial(_ bytes: [UInt8]) -> Int? { bytes.firstIndex(where: isSpecial) }
        func scanned(_ bytes: [UInt8]) -> Int? {
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let special = EventScanner.specialBytes(word)
            return special == 0 ? nil : special.trailingZeroBitCount >> 3
        }
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                #expect(scanned(bytes) == firstSpecial(bytes), "byte \(value) at \(position)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Mostly printable ASCII, so that specials after the first are common too.
            let bytes = (0..<8).map { _ in UInt8.random(in: 0...9, using: &generator) == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8.random(in: 0x20...0x7E, using: &generator) }
            #expect(scanned(bytes) == firstSpecial(bytes), "\(bytes)")
        }
    }

    /// Strings longer than a word, with an escape, a control character or a multi-byte character
    /// at every offset, scan as before: the same value, or the same error at the same column.
    @Test func longStringsScanTheSameWithTheSpecialByteAnywhere() {
        let text = "abcdefghijklmnopqrstu"
        for offset in 0...text.count {
            let head = String(text.prefix(offset)), tail = String(text.dropFirst(offset))
            let (escapedFailure, escaped) = scan("{\"page\":\"\(head)\\n\\u00e9\(tail)\"}")
            #expect(escapedFailure == nil)
            #expect(escaped[1] == .string(head + "\né" + tail))
            let (_, accented) = scan("{\"page\":\"\(head)é€😀\(tail)\"}")
            #expect(accented[1] == .string(head + "é€😀" + tail))
            let (controlFailure, _) = scan("{\"page\":\"\(head)\u{01}\(tail)\"}")
            #expect(controlFailure?.reason == .invalidJSON)
            #expect(controlFailure?.column == 9 + offset)
            let (unterminated, _) = scan("{\"page\":\"\(head)\(tail)")
            #expect(unterminated?.message.contains("unterminated") == true)
        }
    }
}
