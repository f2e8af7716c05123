import ArgumentParser
import Foundation
import WeirCore

/// Prints one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A failure already explained on stderr: exit non-zero without ArgumentParser's usage text.
struct CommandFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Stops with `weir: <message>` and exit code 1.
func fail(_ message: String) -> ExitCode {
    printError("weir: \(message)")
    return ExitCode(1)
}

/// Reads and validates a job spec file; errors name the file, field path and line.
func loadSpec(_ path: String) throws -> JobSpec {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw fail("cannot read job spec \(path): no such file or not readable")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw fail("\(path): not UTF-8 text") }
    do {
        return try JobSpecParser.parse(text)
    } catch {
        throw fail("\(path): \(error)")
    }
}

/// Parses counts like `10M`, `500k`, `2000`.
func parseCount(_ text: String) -> Int? {
    let lower = text.lowercased().replacingOccurrences(of: "_", with: "")
    let multipliers: [(String, Double)] = [("g", 1e9), ("b", 1e9), ("m", 1e6), ("k", 1e3)]
    for (suffix, m) in multipliers where lower.hasSuffix(suffix) {
        guard let v = Double(lower.dropLast()), v >= 0 else { return nil }
        return Int(v * m)
    }
    return Int(lower)
}

/// True when standard error is a terminal (progress bars only then).
var stderrIsTerminal: Bool { isatty(2) != 0 }

/// Draws a one-line progress bar on stderr.
func drawProgress(_ done: Int, of total: Int, label: String) {
    guard stderrIsTerminal, total > 0 else { return }
    let width = 30
    let filled = min(width, done * width / total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let percent = done * 100 / total
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Parses sizes like `64m`, `512k`, `1g`, `1000` (binary multiples).
func parseBytes(_ text: String) -> Int? {
    let lower = text.lowercased()
    let multipliers: [(String, Int)] = [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)]
    for (suffix, m) in multipliers where lower.hasSuffix(suffix) {
        guard let v = Int(lower.dropLast()), v >= 0 else { return nil }
        return v * m
    }
    return Int(lower)
}
