/// Parses and prints durations written like `500ms`, `10s`, `5m`, `1h`, `1d` or `1m30s`.
public enum DurationText {
    /// Milliseconds per unit suffix, longest suffixes first so `ms` wins over `m`.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// The duration in milliseconds, or nil when `text` is not a duration.
    public static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes == Array("0".utf8) { return 0 }
        var i = 0
        var total: Int64 = 0
        while i < bytes.count {
            var value: Int64 = 0
            let digitsStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
                if o1 || o2 { return nil }
                value = a
                i += 1
            }
            guard i > digitsStart else { return nil }
            let suffixStart = i
            while i < bytes.count, !(bytes[i] >= 48 && bytes[i] <= 57) { i += 1 }
            let suffix = String(decoding: bytes[suffixStart..<i], as: UTF8.self)
            guard let unit = units.first(where: { $0.suffix == suffix }) else { return nil }
            let (part, o) = value.multipliedReportingOverflow(by: unit.milliseconds)
            if o { return nil }
            let (sum, o2) = total.addingReportingOverflow(part)
            if o2 { return nil }
            total = sum
        }
        return total
    }

    /// The shortest text for a duration in milliseconds (`90000` → `1m30s`).
    public static func format(milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var text = milliseconds < 0 ? "-" : ""
        if rest < 0 { rest = -rest }
        for (suffix, size) in units.reversed() where rest >= size {
            let whole = rest / size
            if whole > 0 { text += "\(whole)\(suffix)"; rest -= whole * size }
        }
        return text
    }
}
