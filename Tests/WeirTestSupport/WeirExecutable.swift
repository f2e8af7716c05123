import Foundation

/// The `weir` executable as the tests run it: found next to the test bundle (where `swift test`
/// builds it), in `.build/debug`, or at `$WEIR_BINARY`, and started in the repository root (the
/// sample jobs are named `jobs/…` relative to it).
public enum WeirExecutable {
    /// What a finished run printed and how it exited.
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The repository's root directory.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable to start (the last candidate when none exists yet, so the error names it).
    public static var path: String {
        let bundled: String = Bundle.main.bundleURL.appendingPathComponent("weir").path
        let built: String = root.appendingPathComponent(".build/debug/weir").path
        let candidates: [String] = [ProcessInfo.processInfo.environment["WEIR_BINARY"], bundled, built].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[candidates.count - 1]
    }

    /// Runs `weir arguments` to completion.
    public static func run(_ arguments: [String]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Both pipes drained before waiting: a child that fills one would block forever.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Starts `weir arguments` in the background with stdout and stderr going to `logPath`.
    public static func spawn(_ arguments: [String], logPath: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.currentDirectoryURL = root
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: logPath)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }
}
