import Foundation
import WeirTools
import WeirCore

/// `WEIR_FAILPOINT=name[@N]`: arms a crash point in this process (the crash-point tests and
/// `weir verify --failpoints` set it on the children they start).
func armFailpointFromEnvironment() throws {
    guard let raw = ProcessInfo.processInfo.environment["WEIR_FAILPOINT"], !raw.isEmpty else { return }
    let parts = raw.split(separator: "@", maxSplits: 1)
    let name = String(parts[0])
    guard Failpoint.names.contains(name) else {
        throw fail("WEIR_FAILPOINT=\(raw): unknown failpoint \"\(name)\" (known: \(Failpoint.names.joined(separator: ", ")))")
    }
    guard parts.count == 1 || Int(parts[1]).map({ $0 >= 1 }) == true else {
        throw fail("WEIR_FAILPOINT=\(raw): expected name or name@N with N ≥ 1")
    }
    Failpoint.arm(name: name, at: parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
}
