import Foundation

/// Children of `weir up` (and of `weir verify`) stop when their parent dies, also of SIGKILL:
/// an orphaned coordinator would keep its ports and its data directory's lock. The parent
/// names itself in `WEIR_PARENT_PID`; the child checks every 200 ms that it still has that
/// parent, and when not, stops itself as SIGTERM would, and with SIGKILL if that has not
/// ended it within 3 s.
///
/// A watch rather than Linux's `PR_SET_PDEATHSIG`: that signal follows the *thread* that
/// started the child, and `weir up` restarts children from short-lived background threads.
package enum ParentWatch {
    /// The environment variable a parent sets on its children.
    package static let variable = "WEIR_PARENT_PID"

    /// Starts watching when this process was started by a `weir` parent that asked for it.
    package static func startIfAsked() {
        guard let text = ProcessInfo.processInfo.environment[variable], let parent = Int32(text), parent > 1 else { return }
        guard getppid() == parent else {
            // The parent died before this process got here.
            kill(getpid(), SIGKILL)
            return
        }
        let thread = Thread {
            while getppid() == parent { usleep(200_000) }
            printError("weir: the parent process \(parent) is gone; stopping")
            kill(getpid(), SIGTERM)
            sleep(3)
            kill(getpid(), SIGKILL)
        }
        thread.name = "weir-parent-watch"
        thread.start()
    }
}
