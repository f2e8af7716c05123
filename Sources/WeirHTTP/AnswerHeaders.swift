import Hummingbird
import WeirCore

/// What a rollup answer says about its own freshness, as response headers: CSV and NDJSON
/// bodies are `weir run`'s exact bytes and have no place for it. A client that needs every
/// acknowledged event counted (a comparison with a reference, an export) checks
/// `Weir-Events-Behind: 0` on the same response that carries the rows, instead of asking
/// another query first (a partition may move between the two, and a moving partition answers
/// from its committed checkpoint).
enum AnswerHeaders {
    static let eventsBehind = field("Weir-Events-Behind")
    static let eventsUncommitted = field("Weir-Events-Uncommitted")
    static let source = field("Weir-Source")
    static let stalenessMilliseconds = field("Weir-Staleness-Ms")
    static let watermark = field("Weir-Watermark")

    /// The headers of `answer`: events behind and uncommitted, source (`primary`, `standby`,
    /// `committed`), staleness when known, watermark when any partition has one.
    static func fields(_ answer: RollupAnswer) -> HTTPFields {
        var fields = HTTPFields()
        fields[eventsBehind] = String(answer.eventsBehind)
        fields[eventsUncommitted] = String(answer.eventsUncommitted)
        fields[source] = answer.source.rawValue
        if let ms = answer.stalenessMilliseconds { fields[stalenessMilliseconds] = String(ms) }
        if let mark = answer.watermark { fields[watermark] = String(mark) }
        return fields
    }

    /// `HTTPField.Name` (Hummingbird re-exports `HTTPFields` only).
    typealias Name = HTTPFields.Element.Name

    private static func field(_ name: String) -> Name {
        guard let field = Name(name) else { preconditionFailure("\(name) is not a valid header field name") }
        return field
    }
}
