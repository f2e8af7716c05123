import Synchronization

/// Set once by a signal handler, polled by the main loop.
package final class StopFlag: Sendable {
    private let flag = Mutex(false)
    package init() {}
    package func set() { flag.withLock { $0 = true } }
    package var isSet: Bool { flag.withLock { $0 } }
}
