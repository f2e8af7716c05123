import Foundation
import NIOPosix

/// Dedicated threads for CPU-heavy data-path work (routing events, reading logs, running
/// engines). Keeping it off Swift's cooperative pool means lease renewals and other control
/// messages are never starved by a busy data path: a lease must not lapse because the process
/// was busy aggregating.
///
/// Priorities (Linux; elsewhere every thread runs at normal priority): bulk threads run at nice
/// 5, so that when the cores are saturated the work something stands still for — a failover's
/// restore, a query, lease renewals and the network on the event loops (nice 0) — gets about
/// three times their share; speculative work runs in the idle class.
public final class DataPath: Sendable {
    private let pool: NIOThreadPool
    /// A separate thread for work a person waits for (queries), so it never queues behind bulk
    /// ingest and processing work.
    private let interactivePool: NIOThreadPool
    /// Separate threads for restoring partitions: a failover's restore must not queue behind the
    /// bulk processing of the partitions that kept running (the OS shares the cores instead), and
    /// the partitions a failover brings restore side by side.
    private let restorePool: NIOThreadPool
    /// One thread at the lowest CPU priority (idle class) for speculative work, such as folding the
    /// checkpoint chains a restarted worker still stores in case a failover brings one of them:
    /// it gets the cores when processing and restores (in this process and the others on the
    /// machine) leave them idle, instead of slowing a failover down.
    private let backgroundPool: NIOThreadPool

    /// The nice value of bulk data-path threads.
    static let bulkNice: Int32 = 5

    /// Starts the threads. The process that makes a data path owns it and calls `shutdown()`
    /// before it exits (`withDataPath` does both).
    /// - Parameter threads: bulk and restore threads each (default: one per core, at least 2).
    public init(threads: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)) {
        precondition(threads > 0, "a data path needs at least one thread")
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        onEveryThread(of: pool, threads: threads) { setCurrentThreadNice(DataPath.bulkNice) }
        interactivePool = NIOThreadPool(numberOfThreads: 1)
        interactivePool.start()
        restorePool = NIOThreadPool(numberOfThreads: threads)
        restorePool.start()
        backgroundPool = NIOThreadPool(numberOfThreads: 1)
        backgroundPool.start()
        onEveryThread(of: backgroundPool, threads: 1) { moveCurrentThreadToIdleClass() }
    }

    /// Stops every thread once the work already handed over has run; later calls of the `run`
    /// functions throw.
    public func shutdown() async {
        for p in [pool, interactivePool, restorePool, backgroundPool] { try? await p.shutdownGracefully() }
    }

    /// Runs `body` on a data-path thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on the interactive thread (query answers) and returns its result.
    public func runInteractive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await interactivePool.runIfActive(body)
    }

    /// Runs `body` on the background thread (speculative work nothing waits for).
    public func runBackground<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await backgroundPool.runIfActive(body)
    }

    /// Runs `body` on a restore thread (rebuilding a partition that stands still meanwhile).
    public func runRestore<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await restorePool.runIfActive(body)
    }
}

/// Runs `body` with a new data path and shuts its threads down afterwards, also when `body` throws.
public func withDataPath<T>(threads: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
                            _ body: (DataPath) async throws -> T) async rethrows -> T {
    let dataPath = DataPath(threads: threads)
    do {
        let result = try await body(dataPath)
        await dataPath.shutdown()
        return result
    } catch {
        await dataPath.shutdown()
        throw error
    }
}

/// Runs `configure` once on each of the pool's `threads` threads before anything else runs there:
/// every call waits until all have started, so no thread takes two.
private func onEveryThread(of pool: NIOThreadPool, threads: Int, _ configure: @escaping @Sendable () -> Void) {
    let started = DispatchGroup()
    let configured = DispatchGroup()
    for _ in 0..<threads {
        started.enter()
        configured.enter()
    }
    for _ in 0..<threads {
        pool.submit { _ in
            configure()
            started.leave()
            started.wait()
            configured.leave()
        }
    }
    configured.wait()
}

/// Sets the calling thread's nice value (on Linux the nice value is per thread, and `who` 0 is
/// the calling thread). Best effort: where it fails the thread runs at normal priority.
private func setCurrentThreadNice(_ nice: Int32) {
    #if os(Linux)
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
    #endif
}

/// Puts the calling thread in Linux's idle scheduling class (`SCHED_IDLE`: it runs only when no
/// normal thread wants the core). Best effort: where it fails the thread runs at normal priority.
private func moveCurrentThreadToIdleClass() {
    #if os(Linux)
    let schedIdle: Int32 = 5  // SCHED_IDLE in <sched.h>, which Glibc's module does not export
    var parameters = sched_param(sched_priority: 0)
    _ = pthread_setschedparam(pthread_self(), schedIdle, &parameters)
    #endif
}
