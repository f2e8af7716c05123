import Foundation
import NIOPosix

/// Dedicated threads for CPU-heavy data-path work (routing events, reading logs, running
/// engines). Keeping it off Swift's cooperative pool means lease renewals and other control
/// messages are never starved by a busy data path: a lease must not lapse because the process
/// was busy aggregating.
public enum DataPath {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        pool.start()
        return pool
    }()

    /// A separate thread for work a person waits for (queries), so it never queues behind bulk
    /// ingest and processing work.
    static let interactivePool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Separate threads for restoring partitions: a failover's restore must not queue behind the
    /// bulk processing of the partitions that kept running (the OS shares the cores instead), and
    /// the partitions a failover brings restore side by side.
    static let restorePool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        pool.start()
        return pool
    }()

    /// Runs `body` on a data-path thread and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on the interactive thread (query answers) and returns its result.
    public static func runInteractive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await interactivePool.runIfActive(body)
    }

    /// Runs `body` on a restore thread (rebuilding a partition that stands still meanwhile).
    public static func runRestore<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await restorePool.runIfActive(body)
    }
}
