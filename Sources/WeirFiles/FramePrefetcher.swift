import WeirCodec
import Foundation

/// Decompresses the frames of an indexed recording on background threads, ahead of the
/// consumer, and hands them over in order. At most `threads * 2` frames are in flight.
///
/// `@unchecked Sendable`: every mutable field is read and written only while holding `condition`.
final class FramePrefetcher: @unchecked Sendable {
    private let file: ReadableFile
    private let frames: [RecordingIndex.Frame]
    private let threads: Int
    private let window: Int
    private let condition = NSCondition()
    private var ready: [Int: Result<[UInt8], Error>] = [:]
    private var nextToClaim = 0
    private var consumed = 0
    private var cancelled = false
    private var running = 0

    init(file: ReadableFile, frames: [RecordingIndex.Frame], threads: Int) {
        precondition(threads > 0, "FramePrefetcher needs at least one thread")
        self.file = file
        self.frames = frames
        self.threads = threads
        self.window = threads * 2
    }

    func run(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        condition.lock()
        running = threads
        condition.unlock()
        for _ in 0..<threads {
            let thread = Thread { [self] in self.decodeLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
        defer {
            condition.lock()
            cancelled = true
            condition.broadcast()
            while running > 0 { condition.wait() }
            condition.unlock()
        }
        for i in frames.indices {
            condition.lock()
            while ready[i] == nil { condition.wait() }
            let result = ready.removeValue(forKey: i)
            consumed = i + 1
            condition.broadcast()
            condition.unlock()
            guard let result else { preconditionFailure("frame \(i) vanished") }
            let bytes = try result.get()
            try bytes.withUnsafeBytes { try body($0) }
        }
    }

    private func decodeLoop() {
        var out: [UInt8] = []
        let decompressor: ZstdDecompressor
        do { decompressor = try ZstdDecompressor() } catch {
            finishWith(error)
            return
        }
        while true {
            condition.lock()
            while !cancelled && nextToClaim < frames.count && nextToClaim >= consumed + window { condition.wait() }
            if cancelled || nextToClaim >= frames.count {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let i = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let result: Result<[UInt8], Error>
            do {
                try RecordingReader.decode(frames[i], file: file, decompressor: decompressor, into: &out)
                result = .success(out)
            } catch {
                result = .failure(error)
            }
            condition.lock()
            ready[i] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Publishes a setup failure as the result of the next frame.
    private func finishWith(_ error: Error) {
        condition.lock()
        ready[nextToClaim] = .failure(error)
        nextToClaim = frames.count
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
