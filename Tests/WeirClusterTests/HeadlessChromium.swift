import Foundation
import Testing

/// A real headless Chromium driven through the DevTools protocol: load a page, evaluate
/// JavaScript in it, take a screenshot. `.ci/run` installs Debian's `chromium`.
///
/// The protocol runs over `--remote-debugging-pipe` (JSON messages ending in NUL on file
/// descriptors 3 and 4), which needs no WebSocket client: FoundationNetworking's WebSockets
/// depend on a libcurl built with them, which Debian's is not.
final class HeadlessChromium: @unchecked Sendable {
    // @unchecked: used from the test's own task only.
    private var pid: pid_t = 0
    private let profile: String
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private var inbox: [UInt8] = []
    private var nextID = 1
    private var session = ""

    init(url: String) async throws {
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let binary else {
            Issue.record("no chromium found: install Debian's chromium package (apt-get install -y chromium), as .ci/run does")
            throw CancellationError()
        }
        profile = NSTemporaryDirectory() + "weir-chromium-\(UUID().uuidString.prefix(8))"
        var commands: [Int32] = [0, 0], events: [Int32] = [0, 0]
        try #require(pipe(&commands) == 0 && pipe(&events) == 0)
        toBrowser = commands[1]
        fromBrowser = events[0]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
        posix_spawn_file_actions_adddup2(&actions, events[1], 4)
        let devNull = open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devNull, 1)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        let arguments = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--window-size=1400,1900", "--remote-debugging-pipe", "--user-data-dir=\(profile)", url]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let spawned = posix_spawn(&pid, binary, &actions, nil, &argv, environ)
        Glibc.close(commands[0]); Glibc.close(events[1]); Glibc.close(devNull)
        try #require(spawned == 0, "could not start \(binary): \(spawned)")
        // Attach to the page target; later commands go to its session.
        var pageID: String?
        for _ in 0..<100 where pageID == nil {
            let targets = try await command("Target.getTargets")["targetInfos"] as? [[String: Any]] ?? []
            pageID = targets.first { $0["type"] as? String == "page" }?["targetId"] as? String
            if pageID == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let target = try #require(pageID, "chromium has no page target")
        session = try #require(try await command("Target.attachToTarget", ["targetId": target, "flatten": true])["sessionId"] as? String)
    }

    /// Sends a DevTools command (to the page once attached) and returns its `result`.
    func command(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if !session.isEmpty { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let written = bytes.withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
        try #require(written == bytes.count, "writing to chromium failed")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            while let end = inbox.firstIndex(of: 0) {
                let data = Data(inbox[0..<end])
                inbox.removeFirst(end + 1)
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], object["id"] as? Int == id else { continue }
                if let error = object["error"] { Issue.record("DevTools \(method) failed: \(error)") }
                return object["result"] as? [String: Any] ?? [:]
            }
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            let n = buffer.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            try #require(n > 0, "chromium closed the DevTools pipe")
            inbox += buffer[0..<n]
        }
        Issue.record("DevTools \(method) got no answer in 30 s")
        throw CancellationError()
    }

    /// Evaluates `expression` in the page; returns its JSON value (the expression should
    /// produce a string of JSON, e.g. `JSON.stringify(...)`).
    func evaluateJSON(_ expression: String) async throws -> Any? {
        let result = try await command("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        guard let text = (result["result"] as? [String: Any])?["value"] as? String else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// A PNG of the page as it is rendered now.
    func screenshot() async throws -> Data {
        let result = try await command("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        let base64 = try #require(result["data"] as? String, "no screenshot data")
        return try #require(Data(base64Encoded: base64))
    }

    func close() {
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        Glibc.close(toBrowser)
        Glibc.close(fromBrowser)
        try? FileManager.default.removeItem(atPath: profile)
    }
}
