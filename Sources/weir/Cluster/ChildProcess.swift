import Foundation
import Synchronization

/// A child process of `weir up`: started with its output in a log file, restarted when it dies
/// unexpectedly (unless restarts are off), stopped with SIGTERM then SIGKILL.
final class ChildProcess: Sendable {
    let name: String
    let arguments: [String]
    let logPath: String
    let restart: Bool
    private let state = Mutex<(process: Process?, stopping: Bool, restarts: Int)>((nil, false, 0))

    init(name: String, arguments: [String], logPath: String, restart: Bool) {
        self.name = name
        self.arguments = arguments
        self.logPath = logPath
        self.restart = restart
    }

    static var executable: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    func start() throws {
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw fail("cannot write \(logPath)") }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.terminationHandler = { [weak self] p in self?.exited(p) }
        try process.run()
        state.withLock { $0.process = process }
    }

    private func exited(_ p: Process) {
        let (stopping, restarts) = state.withLock { ($0.stopping, $0.restarts) }
        guard !stopping else { return }
        printError("weir up: \(name) exited (status \(p.terminationStatus)); see \(logPath)")
        guard restart, restarts < 20 else { return }
        state.withLock { $0.restarts += 1 }
        Thread.sleep(forTimeInterval: 1)
        do {
            try start()
            printError("weir up: restarted \(name)")
        } catch {
            printError("weir up: cannot restart \(name): \(error)")
        }
    }

    var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

    /// SIGTERM, wait up to `grace`, then SIGKILL.
    func stop(grace: TimeInterval) {
        guard let process = state.withLock({ s -> Process? in s.stopping = true; return s.process }) else { return }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
