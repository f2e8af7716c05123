import Foundation
import Testing
import WeirTestSupport

/// `weir up` killed with SIGKILL takes its children with it: no orphaned coordinator keeps its
/// ports or its data directory.
extension ClusterTests { @Suite struct Orphans {
    /// The processes whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // After "pid (comm) ": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    /// True while `pid` runs (a zombie waiting to be reaped does not count).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    @Test func weirUpKilledWithSIGKILLTakesItsChildrenWithIt() async throws {
        let h = ClusterHarness(name: "orphans")
        defer { h.shutdown() }
        let up = try h.spawn(["up", "--workers", "2", "--data-dir", h.dir + "/up", "--http", "127.0.0.1:0", "--listen", "127.0.0.1:0"], log: "up.log")
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        try await h.waitFor("weir up to start its cluster", seconds: 60) { h.log("up.log").contains("Weir is up") }
        let children = Self.children(of: up.processIdentifier)
        defer { for child in children where Self.isRunning(child) { kill(child, SIGKILL) } }  // also when the test fails
        #expect(children.count == 3, "a coordinator and two workers: \(children)")
        kill(up.processIdentifier, SIGKILL)
        up.waitUntilExit()
        try await h.waitFor("the children of the killed weir up to stop", seconds: 15) { !children.contains(where: Self.isRunning) }
    }
}
}
