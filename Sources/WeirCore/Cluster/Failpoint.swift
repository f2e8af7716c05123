import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named crash points for the crash-point tests (reliability matrix R2).
///
/// `WEIR_FAILPOINT=name` makes the process exit at once (status 86, no cleanup, like kill -9)
/// the first time it reaches `name`; `WEIR_FAILPOINT=name@N` on the N-th time. Unset, a hit
/// costs one comparison against a value read once.
public enum Failpoint {
    /// (name, hit on which the process dies), parsed once from the environment.
    private static let armed: (name: String, at: Int)? = {
        guard let raw = getenv("WEIR_FAILPOINT").map({ String(cString: $0) }), !raw.isEmpty else { return nil }
        let parts = raw.split(separator: "@", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let hits = Atomic<Int>(0)

    /// Every named point, for the tests that sweep them.
    public static let names = [
        "checkpoint.before_commit", "checkpoint.after_commit", "checkpoint.after_ship",
        "replica.before_store", "coordinator.before_commit", "coordinator.after_commit",
        "coordinator.after_persist_epoch", "handoff.before_release", "handoff.after_restore",
    ]

    public static func hit(_ name: StaticString) {
        guard let armed, armed.name == name.description else { return }
        if hits.add(1, ordering: .relaxed).newValue >= armed.at {
            let line = Array("weir: failpoint \(armed.name) reached; exiting\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            _exit(86)
        }
    }
}

