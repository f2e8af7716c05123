import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import WeirCodec
import WeirFiles

/// `weir record`'s client: taps a live stream over HTTP into a recording (zstd, indexed by
/// event time) that `weir replay`, `weir run` and `weir verify` read.
package struct StreamRecorder: Sendable {
    package struct Settings: Sendable {
        package var stream: String
        /// The recording to write (.zst).
        package var out: String
        /// Stop after this many events (nil: at Ctrl-C).
        package var eventsMax: Int?
        /// Also the events still in the logs (otherwise: from now on).
        package var fromStart = false
        /// Top-level field with the event time in epoch ms, for the recording's time index.
        package var timeField = "ts"
        package var http = ClusterClient(address: "127.0.0.1:7480")

        package init(stream: String, out: String) { self.stream = stream; self.out = out }
    }

    package let settings: Settings

    package init(_ settings: Settings) { self.settings = settings }

    /// Records until Ctrl-C or `eventsMax`, then finishes the file (index and footer).
    /// - Throws: `ToolError` when the file cannot be written or the tap is refused or fails.
    package func run() async throws {
        let path = settings.out, stream = settings.stream, limit = settings.eventsMax
        let writer: RecordingWriter
        do {
            writer = try RecordingWriter(path: path, stream: stream)
        } catch {
            throw fail("cannot write \(path): \(error)")
        }
        let client = settings.http
        guard var components = URLComponents(string: client.base + "/v1/streams/\(stream)/tap") else { throw fail("bad address \(client.base)") }
        components.queryItems = [URLQueryItem(name: "from", value: settings.fromStart ? "start" : "now")]
        guard let url = components.url else { throw fail("bad address \(client.base)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 3_600
        if let token = client.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let reader = TapReader()
        let session = URLSession(configuration: .default, delegate: reader, delegateQueue: nil)
        let task = session.dataTask(with: request)
        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.set(); task.cancel() }
        defer { watcher.cancel() }
        task.resume()
        let key = Array("\"\(settings.timeField)\"".utf8)
        var pending: [UInt8] = [], written = 0
        let started = ContinuousClock.now
        say("recording stream \(stream) into \(path) (Ctrl-C to stop)")
        do {
            reading: for try await piece in reader.pieces {
                guard reader.status == 200 else {
                    let body = String(decoding: piece, as: UTF8.self)
                    throw fail("the coordinator refused the tap (HTTP \(reader.status)): \(body.trimmingCharacters(in: .whitespacesAndNewlines))")
                }
                pending += piece
                var start = 0
                while let newline = pending[start...].firstIndex(of: 10) {
                    let line = Array(pending[start..<newline])
                    start = newline + 1
                    try writer.append(line: line, eventTime: EventTimeField.milliseconds(in: line, key: key))
                    written += 1
                    if let limit, written >= limit { break reading }
                }
                pending.removeFirst(start)
            }
        } catch let refused as ToolError {
            throw refused
        } catch where stop.isSet {
            // Ctrl-C cancelled the request: finish the recording below.
        } catch {
            throw fail("the tap of \(stream) at \(client.base) failed: \(error.localizedDescription)", origin: .external)
        }
        task.cancel()
        try writer.finish()
        let seconds = max(0.001, Double((ContinuousClock.now - started).components.seconds))
        say("recorded \(written) events of \(stream) into \(path) in \(Int(seconds)) s")
    }
}

/// Finds a top-level numeric field's value in an NDJSON line without parsing it all (good for
/// the flat events of a stream; nil when absent or not an integer).
package enum EventTimeField {
    package static func milliseconds(in line: [UInt8], key: [UInt8]) -> Int64? {
        guard line.count > key.count else { return nil }
        var i = 0
        while i + key.count <= line.count {
            if line[i] == key[0] && Array(line[i..<(i + key.count)]) == key {
                var j = i + key.count
                while j < line.count && (line[j] == 32 || line[j] == 9) { j += 1 }
                guard j < line.count, line[j] == UInt8(ascii: ":") else { i += 1; continue }
                j += 1
                while j < line.count && (line[j] == 32 || line[j] == 9) { j += 1 }
                var value: Int64 = 0, digits = 0, negative = false
                if j < line.count && line[j] == UInt8(ascii: "-") { negative = true; j += 1 }
                while j < line.count, line[j] >= 48, line[j] <= 57, digits < 18 {
                    value = value * 10 + Int64(line[j] - 48); digits += 1; j += 1
                }
                return digits > 0 ? (negative ? -value : value) : nil
            }
            i += 1
        }
        return nil
    }
}
