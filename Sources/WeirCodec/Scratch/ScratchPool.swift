import Foundation
import Synchronization

/// Objects worth keeping between uses — zstd contexts, big buffers — handed to one thread at a
/// time: made fresh for each use, their memory came from new pages the kernel had to clear.
///
/// Keeps at most `kept` idle items (about as many as are used at once: one per data-path
/// thread); more are made on demand and dropped when given back.
public final class ScratchPool<Item: AnyObject & Sendable>: Sendable {
    private let idle = Mutex<[Item]>([])
    private let kept: Int
    private let make: @Sendable () throws -> Item
    private let reuse: @Sendable (Item) -> Bool

    /// - Parameters:
    ///   - make: a new item.
    ///   - reuse: readies a given-back item for its next use; false drops it instead (a
    ///     buffer grown too big to keep).
    public init(kept: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
                make: @escaping @Sendable () throws -> Item, reuse: @escaping @Sendable (Item) -> Bool) {
        self.kept = kept
        self.make = make
        self.reuse = reuse
    }

    /// An idle item, or a new one.
    public func take() throws -> Item {
        if let item = idle.withLock({ $0.popLast() }) { return item }
        return try make()
    }

    /// Takes `item` back for a later `take`, unless `reuse` refuses it or enough are idle.
    public func give(_ item: Item) {
        guard reuse(item) else { return }
        idle.withLock { if $0.count < kept { $0.append(item) } }
    }
}
