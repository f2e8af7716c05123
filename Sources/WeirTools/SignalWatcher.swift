import Dispatch
import Foundation

/// Calls `handler` on SIGINT or SIGTERM (instead of the default immediate exit), so commands
/// can stop their children and leave the cluster cleanly.
package final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    package init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { handler(sig) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    package func cancel() { for s in sources { s.cancel() } }
}
