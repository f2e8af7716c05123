import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named crash points for the crash-point tests (reliability matrix R2).
///
/// The process that wants them arms one (`arm(name:at:)`; the `weir` executable does so from
/// `WEIR_FAILPOINT=name[@N]`): the process then exits at once (status 86, no cleanup, like
/// kill -9) the N-th time it reaches `name`. Unarmed, a hit costs one atomic load.
public enum Failpoint {
    private static let armedPoint = Mutex<(name: String, at: Int)?>(nil)
    private static let isArmed = Atomic<Bool>(false)
    private static let hits = Atomic<Int>(0)

    /// Every named point, for the tests that sweep them.
    public static let names = [
        "checkpoint.before_commit", "checkpoint.after_commit", "checkpoint.after_ship",
        "replica.before_store", "coordinator.before_commit", "coordinator.after_commit",
        "coordinator.after_persist_epoch", "handoff.before_release", "handoff.after_restore",
    ]

    /// Makes the process exit the `at`-th time it reaches `name` (one of `names`).
    public static func arm(name: String, at: Int = 1) {
        precondition(names.contains(name), "unknown failpoint \(name)")
        armedPoint.withLock { $0 = (name, max(1, at)) }
        isArmed.store(true, ordering: .releasing)
    }

    public static func hit(_ name: StaticString) {
        guard isArmed.load(ordering: .acquiring), let armed = armedPoint.withLock({ $0 }), armed.name == name.description else { return }
        if hits.add(1, ordering: .relaxed).newValue >= armed.at {
            let line = Array("weir: failpoint \(armed.name) reached; exiting\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            _exit(86)
        }
    }
}
