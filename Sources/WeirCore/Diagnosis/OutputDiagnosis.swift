/// Answers "why is there no output?" for a job from live facts: the causes users meet most
/// (nothing sent, nothing processed, everything rejected, filtered or late, a partition holding
/// the watermark back, a window that is simply not final yet) each as a finding that says what
/// is happening, with the numbers, and what makes it change. Pure: the coordinator gathers the
/// facts, the dashboard and `GET /v1/jobs/{job}/diagnosis` show the findings.
public enum OutputDiagnosis {
    /// What one partition of the job's stream looks like right now.
    public struct PartitionFacts: Sendable, Equatable {
        public var partition: Int
        /// Events in the partition's log.
        public var logEnd: UInt64
        /// Events its owner has processed; nil when no live owner answered.
        public var processed: UInt64?
        /// The partition's watermark for this job (`Int64.min` before its first event).
        public var watermark: Int64
        /// Milliseconds since an event was last appended to this partition (nil: none since the coordinator started).
        public var idleMilliseconds: Int64?
        /// True when the partition is idle and no longer holds the job's watermark back.
        public var excludedAsIdle: Bool
        public init(partition: Int, logEnd: UInt64, processed: UInt64?, watermark: Int64, idleMilliseconds: Int64?, excludedAsIdle: Bool = false) {
            self.partition = partition; self.logEnd = logEnd; self.processed = processed; self.watermark = watermark
            self.idleMilliseconds = idleMilliseconds; self.excludedAsIdle = excludedAsIdle
        }
    }

    public struct Facts: Sendable {
        public var spec: JobSpec
        public var partitions: [PartitionFacts]
        /// The job's newest windows as the API answers them (watermark, finality, counts).
        public var answer: RollupAnswer
        /// A partition without events for this long counts as idle.
        public var idleAfterMilliseconds: Int64
        public init(spec: JobSpec, partitions: [PartitionFacts], answer: RollupAnswer, idleAfterMilliseconds: Int64) {
            self.spec = spec; self.partitions = partitions; self.answer = answer; self.idleAfterMilliseconds = idleAfterMilliseconds
        }
    }

    public enum Level: String, Sendable { case ok, info, warning }

    public struct Finding: Sendable, Equatable {
        public var code: String
        public var level: Level
        public var message: String
    }

    /// The findings, most important first. Always at least one.
    public static func diagnose(_ facts: Facts) -> [Finding] {
        var out: [Finding] = []
        let spec = facts.spec, answer = facts.answer
        let stream = spec.stream
        let logged = facts.partitions.reduce(UInt64(0)) { $0 + $1.logEnd }
        guard logged > 0 else {
            return [Finding(code: "no_events", level: .warning,
                            message: "No events have arrived on stream '\(stream)'. Send some with POST /v1/streams/\(stream)/events or `weir replay RECORDING --stream \(stream)`.")]
        }
        let unowned = facts.partitions.filter { $0.processed == nil && $0.logEnd > 0 }
        if !unowned.isEmpty {
            let events = unowned.reduce(UInt64(0)) { $0 + $1.logEnd }
            out.append(Finding(code: "partitions_unowned", level: .warning,
                message: "Partitions \(list(unowned.map(\.partition))) hold \(events) events but no live worker answered for them (failing over, or no worker running); their rows are missing until a worker takes them."))
        }
        var behind: UInt64 = 0
        for p in facts.partitions {
            if let processed = p.processed, p.logEnd > processed { behind += p.logEnd - processed }
        }
        if behind > 0 {
            out.append(Finding(code: "catching_up", level: .info,
                message: "Workers are \(behind) events behind the log; their rows appear as they catch up."))
        }
        let accepted = answer.eventsAccepted, late = answer.eventsLate, rejected = answer.eventsRejected, filtered = answer.eventsFiltered
        let seen = accepted + late + rejected + filtered
        if seen > 0 && rejected == seen {
            out.append(Finding(code: "all_rejected", level: .warning,
                message: "All \(rejected) events processed so far were rejected (missing or malformed '\(spec.time.field)' or aggregate fields); see the ingest answers' problems for the reasons."))
        } else if filtered > 0 && accepted == 0 && late == 0 {
            let fields = spec.filter.map { Array(Set($0.fields)).sorted().joined(separator: ", ") } ?? ""
            out.append(Finding(code: "filter_matches_nothing", level: .warning,
                message: "The job's filter (on \(fields)) dropped all \(filtered) events that were valid: no event matches it."))
        } else if late > 0 && accepted == 0 {
            out.append(Finding(code: "all_late", level: .warning,
                message: "All \(late) events arrived after their windows were final (watermark delay \(DurationText.format(milliseconds: spec.watermarkDelayMilliseconds)), allowed lateness \(DurationText.format(milliseconds: spec.allowedLatenessMilliseconds))): they are counted as late, not added. Send events closer to event-time order or raise watermark/allowed_lateness."))
        } else if late > 0 {
            out.append(Finding(code: "late_events", level: .info,
                message: "\(late) events came too late for their windows and were counted, not added (\(accepted) were added)."))
        }
        out += idleFindings(facts)
        if let newest = answer.windows.last {
            if newest.isFinal {
                out.append(Finding(code: "output_final", level: .ok,
                    message: "Output is flowing: the newest window [\(EventTimeText.iso(newest.window.start)), \(EventTimeText.iso(newest.window.end))) is final with \(newest.groupCount) groups."))
            } else {
                out.append(openWindowFinding(newest, facts))
                if let final = answer.windows.last(where: \.isFinal) {
                    out.append(Finding(code: "output_final", level: .ok,
                        message: "Final output up to window [\(EventTimeText.iso(final.window.start)), \(EventTimeText.iso(final.window.end)))."))
                }
            }
        } else if accepted > 0 {
            out.append(Finding(code: "no_windows", level: .info,
                message: "\(accepted) events were added but no window is in range (windows are kept for the job's retention past the watermark)."))
        }
        return out.isEmpty ? [Finding(code: "ok", level: .ok, message: "Nothing stands in the way of output.")] : out
    }

    /// Partitions that stopped receiving events while behind the busiest one: one finding for
    /// those already idle (no longer holding the watermark back) and one for those still holding
    /// it, each naming its partitions, so sixteen quiet partitions make two lines, not sixteen.
    static func idleFindings(_ facts: Facts) -> [Finding] {
        let active = facts.partitions.filter { $0.watermark > .min }
        guard active.count > 1, let highest = active.map(\.watermark).max() else { return [] }
        let quiet = active.filter { p in
            p.watermark < highest && (p.idleMilliseconds.map { $0 >= facts.idleAfterMilliseconds } ?? false)
        }
        var out: [Finding] = []
        for excluded in [false, true] {
            let group = quiet.filter { $0.excludedAsIdle == excluded }
            guard !group.isEmpty else { continue }
            let idle = span(group.compactMap(\.idleMilliseconds))
            let gap = span(group.map { highest - $0.watermark })
            let one = group.count == 1
            let who = one ? "Partition \(group[0].partition) has" : "Partitions \(list(group.map(\.partition))) have"
            if excluded {
                out.append(Finding(code: "idle_partition", level: .info,
                    message: "\(who) had no events for \(idle); \(one ? "it is" : "they are") idle and no longer hold\(one ? "s" : "") the watermark back (\(one ? "its own watermark is" : "their own watermarks are") \(gap) behind)."))
            } else {
                let lowest = group.map(\.watermark).min() ?? highest
                out.append(Finding(code: "idle_partition", level: .warning,
                    message: "\(who) had no events for \(idle) and hold\(one ? "s" : "") the job's watermark at \(EventTimeText.iso(lowest)), \(gap) behind the busiest partition: windows ending after that stay open until \(one ? "it gets an event" : "they get events")."))
            }
        }
        return out
    }

    /// "5s", or "5s–1m10s" when the values differ.
    static func span(_ milliseconds: [Int64]) -> String {
        guard let low = milliseconds.min(), let high = milliseconds.max() else { return "0s" }
        let (a, b) = (DurationText.format(milliseconds: low), DurationText.format(milliseconds: high))
        return a == b ? a : "\(a)–\(b)"
    }

    static func openWindowFinding(_ w: RollupAnswer.WindowRows, _ facts: Facts) -> Finding {
        let spec = facts.spec
        let closesAt = w.window.end + spec.allowedLatenessMilliseconds
        let range = "[\(EventTimeText.iso(w.window.start)), \(EventTimeText.iso(w.window.end)))"
        guard let watermark = facts.answer.watermark else {
            return Finding(code: "window_open", level: .info, message: "Window \(range) is open: no partition has a watermark yet.")
        }
        if !facts.answer.isComplete {
            return Finding(code: "window_open", level: .info,
                message: "Window \(range) cannot be final while partitions \(list(facts.answer.partitionsMissing)) do not answer.")
        }
        let needed = closesAt - watermark
        return Finding(code: "window_open", level: .info,
            message: "Window \(range) is open: it becomes final when the watermark reaches \(EventTimeText.iso(closesAt)) (end + allowed lateness); the watermark is \(EventTimeText.iso(watermark)), \(DurationText.format(milliseconds: max(0, needed))) to go — every partition with events needs one at or after \(EventTimeText.iso(closesAt + spec.watermarkDelayMilliseconds)).")
    }

    static func list(_ xs: [Int]) -> String {
        xs.count <= 8 ? xs.map(String.init).joined(separator: ", ") : xs.prefix(8).map(String.init).joined(separator: ", ") + " and \(xs.count - 8) more"
    }
}
