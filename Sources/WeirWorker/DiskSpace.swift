import Foundation

/// Free space of a directory's filesystem, to explain a failed write: a full disk often
/// surfaces from LMDB as a plain I/O error (tmpfs reports it that way through the page cache).
enum DiskSpace {
    /// Bytes available to this process on `path`'s filesystem; nil when it cannot be read.
    static func availableBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// "; the filesystem … has N KiB free (disk full)" when space is low, else "".
    static func note(_ path: String) -> String {
        guard let free = availableBytes(path) else { return "" }
        let kib = free / 1024
        guard free < 64 << 20 else { return "" }
        return "; the filesystem of \(path) has \(kib) KiB free\(free < 1 << 20 ? " (disk full)" : "")"
    }
}
