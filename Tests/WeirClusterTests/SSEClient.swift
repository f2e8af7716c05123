import Foundation
import Testing

/// A minimal Server-Sent Events client over a plain socket (HTTP/1.1, chunked body), so the test
/// sees the events exactly as the server sends them, one at a time.
final class SSEClient: @unchecked Sendable {
    // @unchecked: used from the test's own task only.
    struct Event: Equatable {
        var id: Int
        var name: String
        var data: [String: Any]
        static func == (a: Event, b: Event) -> Bool { a.id == b.id && a.name == b.name }
    }

    private let fd: Int32
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private var headerDone = false
    private(set) var status = 0

    init(port: Int, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        let connected = connectLoopback(fd, port: port)
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    deinit { close(fd) }

    /// The next event, or nil when none arrived within `seconds`.
    func next(seconds: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let event = try takeEvent() { return event }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return nil }
            if n > 0 { raw += buffer[0..<n]; decode() }
        }
        return try takeEvent()
    }

    /// Moves whole chunks of the chunked body from `raw` into `body`.
    private func decode() {
        if !headerDone {
            guard let end = find([13, 10, 13, 10], in: raw) else { return }
            let head = String(decoding: raw[0..<end], as: UTF8.self)
            status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            raw.removeFirst(end + 4)
            headerDone = true
        }
        while let lineEnd = find([13, 10], in: raw) {
            let size = Int(String(decoding: raw[0..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    private func takeEvent() throws -> Event? {
        while let end = find([10, 10], in: body) {
            let text = String(decoding: body[0..<end], as: UTF8.self)
            body.removeFirst(end + 2)
            var id = 0, name = "message", data = ""
            for line in text.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) ?? 0 }
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            if text.hasPrefix(":") { continue }  // a keepalive comment
            let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] ?? [:]
            return Event(id: id, name: name, data: object)
        }
        return nil
    }

    private func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

/// Connects socket `fd` to 127.0.0.1:`port`; 0 on success (as `connect`).
func connectLoopback(_ fd: Int32, port: Int) -> Int32 {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}
