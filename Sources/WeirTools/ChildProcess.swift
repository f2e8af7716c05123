import Foundation
import Synchronization

/// A child process of `weir up`: started with its output in a log file, restarted when it dies
/// unexpectedly (unless restarts are off), stopped with SIGTERM then SIGKILL.
package final class ChildProcess: Sendable {
    package let name: String
    private let argumentList: Mutex<[String]>
    package var arguments: [String] { argumentList.withLock { $0 } }
    package let logPath: String
    package let restart: Bool
    private let state = Mutex<(process: Process?, stopping: Bool, restarts: Int)>((nil, false, 0))

    package init(name: String, arguments: [String], logPath: String, restart: Bool) {
        self.name = name
        argumentList = Mutex(arguments)
        self.logPath = logPath
        self.restart = restart
    }

    package static var executable: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    package func start() throws {
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw fail("cannot write \(logPath)") }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        // The child stops when this process dies, even of SIGKILL (`ParentWatch`).
        let extra = extraEnvironment.withLock { $0 }.merging([ParentWatch.variable: String(getpid())]) { own, _ in own }
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        process.standardOutput = log
        process.standardError = log
        process.terminationHandler = { [weak self] p in self?.exited(p) }
        try process.run()
        state.withLock { $0.process = process }
    }

    private let exitHandler = Mutex<(@Sendable (Int32) -> Void)?>(nil)

    /// Called with the exit status whenever the process ends on its own or by a signal we did
    /// not send through `stop` (runs on a background thread).
    package func onExit(_ handler: @escaping @Sendable (Int32) -> Void) { exitHandler.withLock { $0 = handler } }

    private func exited(_ p: Process) {
        let (stopping, restarts) = state.withLock { ($0.stopping, $0.restarts) }
        guard !stopping else { return }
        if let handler = exitHandler.withLock({ $0 }) {
            handler(p.terminationStatus)
            return
        }
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

    private let extraEnvironment = Mutex<[String: String]>([:])

    /// Extra environment variables for the next start (e.g. `WEIR_FAILPOINT`); nil removes one.
    package func setEnvironment(_ name: String, _ value: String?) { extraEnvironment.withLock { $0[name] = value } }

    /// Replaces the command line for the next start.
    package func setArguments(_ arguments: [String]) { argumentList.withLock { $0 = arguments } }

    /// The exit status of the last run, nil while running or never started.
    package var exitStatus: Int32? {
        guard let p = state.withLock({ $0.process }), !p.isRunning else { return nil }
        return p.terminationStatus
    }

    package var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

    /// Sends `signal` to the running process (chaos: SIGKILL, SIGSTOP, SIGCONT); false if not running.
    @discardableResult
    package func send(_ signal: Int32) -> Bool {
        guard let process = state.withLock({ $0.process }), process.isRunning else { return false }
        return kill(process.processIdentifier, signal) == 0
    }

    /// Waits until the process has exited (after a SIGKILL, before starting it again).
    package func waitForExit() {
        state.withLock { $0.process }?.waitUntilExit()
    }

    /// The ports a coordinator child wrote to its `--ready-file` (`wire=…`, `http=…` lines), waited
    /// for up to 60 s; a child that exits and is not restarted fails at once.
    package func waitForReadyFile(_ path: String) async throws -> (wire: Int, http: Int) {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                var ports: [String: Int] = [:]
                for line in text.split(separator: "\n") {
                    let kv = line.split(separator: "=")
                    if kv.count == 2 { ports[String(kv[0])] = Int(kv[1]) }
                }
                if let wire = ports["wire"], let http = ports["http"] { return (wire, http) }
            }
            if !isRunning {
                guard restart else { throw fail("\(name) exited; see \(logPath)") }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw fail("\(name) did not start within 60 s; see \(logPath)")
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL.
    package func stop(grace: TimeInterval) {
        guard let process = state.withLock({ s -> Process? in s.stopping = true; return s.process }) else { return }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
