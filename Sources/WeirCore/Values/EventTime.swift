/// Converts a time field to event-time milliseconds since the Unix epoch.
public enum EventTimeReader {
    /// The event time of `field` in `unit`, or the rejection that explains why not.
    public static func milliseconds(_ field: ScannedField, unit: TimeUnit, name: String) -> Result<Int64, EventRejection> {
        switch field.kind {
        case .missing:
            return .failure(EventRejection(.missingTime, "time field \"\(name)\" is missing"))
        case .number:
            guard unit != .iso8601 else {
                return .failure(EventRejection(.badTime, "time field \"\(name)\" is a number but the job reads ISO-8601 strings"))
            }
            let scaled = field.number.scaled
            if field.numberOutOfRange || scaled > timeScaledMax || scaled < -timeScaledMax {
                return .failure(EventRejection(.timeOutOfRange, "time field \"\(name)\" is out of range"))
            }
            let ms: Int128
            switch unit {
            case .milliseconds: ms = Decimal9(scaled: scaled).floorInteger
            case .seconds: ms = Decimal9(scaled: scaled * 1000).floorInteger
            case .microseconds: ms = floorDiv128(Decimal9(scaled: scaled).floorInteger, 1_000)
            case .nanoseconds: ms = floorDiv128(Decimal9(scaled: scaled).floorInteger, 1_000_000)
            case .iso8601: preconditionFailure("handled above")
            }
            return bounded(ms, name: name)
        case .string:
            guard unit == .iso8601 else {
                return .failure(EventRejection(.badTime, "time field \"\(name)\" is a string but the job reads numbers in \(unit.rawValue)"))
            }
            guard let ms = ISO8601Time.milliseconds(field.bytes) else {
                return .failure(EventRejection(.badTime, "time field \"\(name)\" is not an ISO-8601 time like 2026-01-01T00:00:00.000Z"))
            }
            return bounded(Int128(ms), name: name)
        case .null, .bool, .nested:
            return .failure(EventRejection(.badTime, "time field \"\(name)\" is \(field.typeName), not a time"))
        }
    }

    /// Time numbers beyond ±10^20 are rejected before unit conversion (keeps it overflow-free).
    static let timeScaledMax: Int128 = 100_000_000_000_000_000_000 * Decimal9.scale

    static func bounded(_ ms: Int128, name: String) -> Result<Int64, EventRejection> {
        let limit = Int128(EngineLimits.eventTimeMagnitudeMax)
        guard ms > -limit && ms < limit else {
            return .failure(EventRejection(.timeOutOfRange, "time field \"\(name)\" is more than 10^15 ms from the epoch"))
        }
        return .success(Int64(ms))
    }

    static func floorDiv128(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` to Unix-epoch milliseconds (fraction floored).
public enum ISO8601Time {
    public static func milliseconds(_ b: UnsafeRawBufferPointer) -> Int64? {
        func digits(_ at: Int, _ n: Int) -> Int64? {
            guard at + n <= b.count else { return nil }
            var v: Int64 = 0
            for i in at..<(at + n) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        func byte(_ at: Int, _ c: Character) -> Bool { at < b.count && b[at] == c.asciiValue }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
              let day = digits(8, 2), byte(10, "T") || byte(10, "t") || byte(10, " "),
              let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"),
              let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var millis: Int64 = 0
        if byte(i, ".") || byte(i, ",") {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if n < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                n += 1; i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<3 where n < 3 { millis *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            let sign: Int64 = byte(i, "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2) else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
