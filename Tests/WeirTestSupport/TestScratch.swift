import Foundation
import Synchronization

/// Scratch directories for tests. Each is removed when the test process exits, so runs leave
/// nothing behind in the temporary directory; `WEIR_KEEP_TEST_DIRS=1` keeps them (to read the
/// logs of a failed cluster test).
public enum TestScratch {
    private static let created = Mutex<[String]>([])
    /// Registers the exit hook once (a static's initializer runs exactly once).
    private static let removalAtExit: Void = {
        if ProcessInfo.processInfo.environment["WEIR_KEEP_TEST_DIRS"] != "1" { atexit { TestScratch.removeAll() } }
    }()

    /// A new, empty directory named `prefix-<unique>` in the temporary directory.
    public static func directory(_ prefix: String) -> String {
        _ = removalAtExit
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        created.withLock { $0.append(path) }
        return path
    }

    static func removeAll() {
        for path in created.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}
