import Testing
@testable import WeirCore

@Suite struct Decimal9Tests {
    func parse(_ s: String) -> Decimal9? { try? Decimal9.parse(s).get() }

    @Test func parsesIntegersDecimalsAndExponents() {
        #expect(parse("0")?.description == "0")
        #expect(parse("-17")?.description == "-17")
        #expect(parse("12.500")?.description == "12.5")
        #expect(parse("1e3")?.description == "1000")
        #expect(parse("1.5E-3")?.description == "0.0015")
        #expect(parse("-0.000000001")?.description == "-0.000000001")
        #expect(parse("123456789012345678")?.description == "123456789012345678")
        #expect(parse("9223372036854775807")?.description == "9223372036854775807")
    }

    @Test func roundsHalfToEvenAtTheNinthDigit() {
        #expect(parse("0.0000000005")?.description == "0")
        #expect(parse("0.0000000015")?.description == "0.000000002")
        #expect(parse("0.0000000025")?.description == "0.000000002")
        #expect(parse("-0.0000000015")?.description == "-0.000000002")
    }

    @Test func rejectsNonJSONNumbers() {
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "1.2.3", "0x10", "NaN", "Infinity", "1e+"] {
            #expect(throws: NumberError.syntax, "\(bad)") { try Decimal9.parse(bad).get() }
        }
    }

    @Test func reportsOutOfRangeNumbers() {
        #expect(throws: NumberError.range) { try Decimal9.parse("1e40").get() }
        #expect(throws: NumberError.range) { try Decimal9.parse("123456789012345678901234567890123").get() }
        #expect(parse("1e-50")?.description == "0")
    }

    @Test func dividesWithHalfEvenRounding() {
        #expect(Decimal9(integer: 10).divided(by: 3).description == "3.333333333")
        #expect(Decimal9(integer: 20).divided(by: 3).description == "6.666666667")
        #expect(Decimal9(integer: -20).divided(by: 3).description == "-6.666666667")
        #expect(Decimal9(scaled: 5).divided(by: 2).description == "0.000000002")
    }

    @Test func sumsAreOrderIndependent() {
        var rng = SeededGenerator(seed: 1)
        let values = (0..<1000).map { _ in Decimal9(scaled: Int128(rng.next() % 1_000_000_000_000) - 500_000_000_000) }
        let forward = values.reduce(Decimal9.zero) { $0.adding($1) ?? $0 }
        let backward = values.reversed().reduce(Decimal9.zero) { $0.adding($1) ?? $0 }
        let shuffled = values.shuffled(using: &rng).reduce(Decimal9.zero) { $0.adding($1) ?? $0 }
        #expect(forward == backward)
        #expect(forward == shuffled)
    }
}

@Suite struct DurationTextTests {
    @Test func parsesUnitsAndCompounds() {
        #expect(DurationText.milliseconds("500ms") == 500)
        #expect(DurationText.milliseconds("10s") == 10_000)
        #expect(DurationText.milliseconds("5m") == 300_000)
        #expect(DurationText.milliseconds("1h") == 3_600_000)
        #expect(DurationText.milliseconds("1d") == 86_400_000)
        #expect(DurationText.milliseconds("1m30s") == 90_000)
        #expect(DurationText.milliseconds("0") == 0)
    }

    @Test func rejectsNonDurations() {
        for bad in ["", "10x", "s", "10", "1.5s", "-1s", "10 s", "99999999999999999999h"] {
            #expect(DurationText.milliseconds(bad) == nil, "\(bad)")
        }
    }

    @Test func formatsShortest() {
        #expect(DurationText.format(milliseconds: 90_000) == "1m30s")
        #expect(DurationText.format(milliseconds: 500) == "500ms")
    }
}

@Suite struct ISO8601TimeTests {
    func ms(_ s: String) -> Int64? {
        var copy = s
        return copy.withUTF8 { ISO8601Time.milliseconds(UnsafeRawBufferPointer($0)) }
    }

    @Test func parsesUTCAndOffsets() {
        #expect(ms("1970-01-01T00:00:00Z") == 0)
        #expect(ms("2026-01-01T00:00:00.000Z") == 1_767_225_600_000)
        #expect(ms("2026-01-01T01:00:00.5+01:00") == 1_767_225_600_500)
        #expect(ms("1969-12-31T23:59:59.999Z") == -1)
    }

    @Test func rejectsMalformedTimes() {
        for bad in ["2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "x"] {
            #expect(ms(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct Decimal9TextTests {
    @Test func appendTextMatchesDescription() throws {
        var rng = SeededGenerator(seed: 12)
        let samples: [Int128] = [0, 1, -1, 1_000_000_000, -1_000_000_000, 123_456_789, 100, Int128(Int64.max) * 1_000_000_000, Int128(Int64.min) * 1_000_000_000]
        for scaled in samples + (0..<2000).map({ _ in Int128(Int64(bitPattern: rng.next())) / Int128(1 + rng.below(1000)) }) {
            let d = Decimal9(scaled: scaled)
            var out: [UInt8] = []
            d.appendText(to: &out)
            #expect(String(decoding: out, as: UTF8.self) == d.description, "\(scaled)")
            #expect(try Decimal9.parse(d.description).get() == d)
        }
    }
}
