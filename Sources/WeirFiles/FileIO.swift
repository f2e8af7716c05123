import WeirCodec
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file problem with the path and, where it matters, the byte offset.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int?
    public var message: String

    public init(path: String, offset: Int? = nil, message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(path): at byte \(offset): \(message)" }
        return "\(path): \(message)"
    }

    static func errno(_ path: String, _ action: String) -> FileError {
        FileError(path: path, message: "\(action): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// A file opened for reading by offset (`pread`), safe to share between threads.
public final class ReadableFile: Sendable {
    public let path: String
    public let size: Int
    private let fd: Int32

    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.errno(path, "cannot open") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw FileError.errno(path, "cannot stat")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw FileError(path: path, message: "not a regular file")
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the bytes read (0 at end).
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw FileError(path: path, offset: offset + done, message: "read failed: \(String(cString: strerror(Glibc.errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Exactly `count` bytes at `offset`, or an error naming the offset.
    public func read(at offset: Int, count: Int) throws(FileError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let result = out.withUnsafeMutableBytes { p in Result { () throws(FileError) in try read(at: offset, into: p) } }
        let n = try result.get()
        guard n == count else {
            throw FileError(path: path, offset: offset + n, message: "file ends early (truncated): wanted \(count) bytes at byte \(offset), got \(n)")
        }
        return out
    }
}

/// A file written sequentially with buffered writes.
public final class WritableFile {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var bytesWritten = 0
    private static let bufferBytesMax = 1 << 20

    /// Creates or truncates `path`.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.errno(path, "cannot create") }
        self.fd = fd
        buffer.reserveCapacity(WritableFile.bufferBytesMax)
    }

    /// Writes to standard output (not closed on deinit).
    public init(standardOutput: Void) {
        path = "<stdout>"
        fd = 1
        ownsDescriptor = false
    }

    private var ownsDescriptor = true

    deinit {
        try? flush()
        if ownsDescriptor { close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        if buffer.count + bytes.count > WritableFile.bufferBytesMax { try flush() }
        if bytes.count >= WritableFile.bufferBytesMax {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        bytesWritten += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws(FileError) {
        let result = bytes.withUnsafeBytes { p in Result { () throws(FileError) in try write(p) } }
        try result.get()
    }

    public func write(_ text: String) throws(FileError) { try write(Array(text.utf8)) }

    public func flush() throws(FileError) {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        let result = pending.withUnsafeBytes { p in Result { () throws(FileError) in try writeAll(p) } }
        try result.get()
    }

    /// Flushes and fsyncs.
    public func sync() throws(FileError) {
        try flush()
        guard fsync(fd) == 0 else { throw FileError.errno(path, "fsync failed") }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw FileError.errno(path, "write failed")
            }
            done += n
        }
    }
}
