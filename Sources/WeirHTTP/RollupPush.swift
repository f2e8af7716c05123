import WeirCore

/// Turns successive answers to one rollup query into Server-Sent Events, sending only what
/// changed: `facts` (watermark, completeness, event counts) when they change, `update` for a
/// window that is new or whose rows changed while open, and `final` once when a window becomes
/// final (its rows can no longer change, so nothing more is sent for it). Within one answer the
/// events go in window order, so a client sees a window's updates before its finalization.
struct RollupPush {
    private var sentWindows: [Window: (text: String, isFinal: Bool)] = [:]
    private var sentFacts: String?
    /// The SSE `id` of the next event (a client can tell it missed none).
    private(set) var nextID = 1

    /// The SSE text for what changed since the previous answer ("" when nothing did).
    mutating func events(for answer: RollupAnswer) -> String {
        var out = ""
        var facts = JSONBuilder()
        APIJSON.facts(answer, into: &facts)
        if facts.text != sentFacts {
            out += event("facts", facts.text)
            sentFacts = facts.text
        }
        var present = Set<Window>()
        for w in answer.windows.sorted(by: { $0.window < $1.window }) {
            present.insert(w.window)
            let previous = sentWindows[w.window]
            // A final window was sent whole; a later answer missing a partition (a failover in
            // progress) may show it open again, which must not take the finalization back.
            if previous?.isFinal == true { continue }
            var j = JSONBuilder()
            APIJSON.window(w, of: answer, into: &j)
            if previous?.text == j.text { continue }
            out += event(w.isFinal ? "final" : "update", j.text)
            sentWindows[w.window] = (j.text, w.isFinal)
        }
        // Windows that left the query's range are forgotten (they do not come back: `last`
        // follows the newest window).
        if sentWindows.count > present.count { sentWindows = sentWindows.filter { present.contains($0.key) } }
        return out
    }

    /// A terminal `error` event (the job was cancelled, say); the stream ends after it.
    mutating func error(_ e: APIError) -> String { event("error", APIJSON.error(e)) }

    private mutating func event(_ name: String, _ json: String) -> String {
        precondition(!json.contains("\n"), "an SSE data line must not contain a newline")
        defer { nextID += 1 }
        return "id: \(nextID)\nevent: \(name)\ndata: \(json)\n\n"
    }
}
