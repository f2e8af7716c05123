import Foundation

/// Prints one line to standard error.
package func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Prints a line to standard output at once (unbuffered, so pipes and logs see it immediately).
package func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Wall seconds elapsed since `start`.
package func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Parses counts like `10M`, `500k`, `2000`.
package func parseCount(_ text: String) -> Int? {
    let lower = text.lowercased().replacingOccurrences(of: "_", with: "")
    let multipliers: [(String, Double)] = [("g", 1e9), ("b", 1e9), ("m", 1e6), ("k", 1e3)]
    for (suffix, m) in multipliers where lower.hasSuffix(suffix) {
        guard let v = Double(lower.dropLast()), v >= 0 else { return nil }
        return Int(v * m)
    }
    return Int(lower)
}

/// True when standard error is a terminal (progress bars only then).
package var stderrIsTerminal: Bool { isatty(2) != 0 }

/// Draws a one-line progress bar on stderr.
package func drawProgress(_ done: Int, of total: Int, label: String) {
    guard stderrIsTerminal, total > 0 else { return }
    let width = 30
    let filled = min(width, done * width / total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let percent = done * 100 / total
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Parses sizes like `64m`, `512k`, `1g`, `1000` (binary multiples).
package func parseBytes(_ text: String) -> Int? {
    let lower = text.lowercased()
    let multipliers: [(String, Int)] = [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)]
    for (suffix, m) in multipliers where lower.hasSuffix(suffix) {
        guard let v = Int(lower.dropLast()), v >= 0 else { return nil }
        return v * m
    }
    return Int(lower)
}

/// `s` padded with spaces to `width` (at least one space after it).
package func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
