import WeirCodec
import WeirFiles
import WeirCore

/// Writes rejected and late events to an NDJSON dead-letter file, one record per event:
/// `{"line":12,"offset":1180,"reason":"invalid_json","message":"…","event":"<the raw line>"}`.
/// Lines that are not valid UTF-8 are kept byte-exact as `event_hex`.
public final class DeadLetterWriter {
    private let file: WritableFile

    public init(path: String) throws {
        file = try WritableFile(path: path)
    }

    public func write(line: UnsafeRawBufferPointer?, at location: LineLocation, reason: BadEventReason, message: String) throws {
        var record = "{\"line\":\(location.line),\"offset\":\(location.byteOffset),\"reason\":\"\(reason.rawValue)\""
        record += ",\"message\":\(JSONText.quote(message))"
        if let line {
            if let text = String(validating: line, as: UTF8.self) {
                record += ",\"event\":\(JSONText.quote(text))"
            } else {
                record += ",\"event_hex\":\"\(line.map { String(format: "%02x", $0) }.joined())\""
            }
        }
        record += "}\n"
        try file.write(record)
    }

    public func close() throws { try file.sync() }
}

import Foundation
