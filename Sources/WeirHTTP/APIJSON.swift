import WeirCore

/// The JSON documents of the HTTP API.
enum APIJSON {
    static func error(_ e: APIError) -> String {
        var j = JSONBuilder()
        j.beginObject(); j.key("error"); j.beginObject()
        j.field("code", e.code); j.field("message", e.message)
        j.endObject(); j.endObject()
        return j.text
    }

    static func ingest(_ r: IngestResult) -> String {
        var j = JSONBuilder()
        j.beginObject()
        j.field("accepted", r.accepted); j.field("rejected", r.rejected)
        if r.duplicate { j.field("duplicate", true) }
        j.key("problems"); j.beginArray()
        for p in r.problems {
            j.beginObject(); j.field("line", p.line); j.field("reason", p.reason); j.field("message", p.message); j.endObject()
        }
        j.endArray(); j.endObject()
        return j.text
    }

    static func job(_ info: JobInfo, into j: inout JSONBuilder) {
        j.beginObject(); j.field("name", info.name); j.field("stream", info.stream); j.field("spec", info.specText); j.endObject()
    }

    static func job(_ info: JobInfo) -> String {
        var j = JSONBuilder()
        job(info, into: &j)
        return j.text
    }

    static func jobs(_ list: [JobInfo]) -> String {
        var j = JSONBuilder()
        j.beginObject(); j.key("jobs"); j.beginArray()
        for info in list { job(info, into: &j) }
        j.endArray(); j.endObject()
        return j.text
    }

    static func streams(_ list: [StreamInfo]) -> String {
        var j = JSONBuilder()
        j.beginObject(); j.key("streams"); j.beginArray()
        for s in list { stream(s, into: &j) }
        j.endArray(); j.endObject()
        return j.text
    }

    static func stream(_ s: StreamInfo, into j: inout JSONBuilder) {
        j.beginObject(); j.field("name", s.name); j.key("key")
        if let k = s.keyField { j.string(k) } else { j.null() }
        j.endObject()
    }

    static func cluster(_ c: ClusterStatus) -> String {
        var j = JSONBuilder()
        j.beginObject()
        j.key("workers"); j.beginArray()
        for w in c.workers {
            j.beginObject(); j.field("name", w.name); j.key("incarnation"); j.raw(String(w.incarnation)); j.field("leaving", w.leaving)
            j.field("healthy", w.problem == nil); j.key("problem"); if let p = w.problem { j.string(p) } else { j.null() }
            j.key("partitions"); j.beginArray(); for p in w.partitions { j.int(p) }; j.endArray(); j.endObject()
        }
        j.endArray()
        j.key("partitions"); j.beginArray()
        for p in c.partitions {
            j.beginObject(); j.field("partition", p.partition); j.key("holder")
            if let h = p.holder { j.string(h) } else { j.null() }
            j.key("epoch"); j.raw(String(p.epoch)); j.field("revoking", p.revoking)
            j.key("log_end"); j.raw(String(p.logEnd)); j.key("consumed"); j.raw(String(p.consumed)); j.key("lag"); j.raw(String(p.lag))
            j.key("checkpoint"); j.beginObject()
            j.key("seq"); j.raw(String(p.checkpointSeq)); j.key("offset"); j.raw(String(p.checkpointOffset))
            j.key("age_ms"); if let age = p.checkpointAgeMilliseconds { j.int(age) } else { j.null() }
            j.key("replicas"); j.beginArray(); for r in p.replicas { j.string(r) }; j.endArray()
            j.endObject()
            j.key("standby"); if let s = p.replicas.first(where: { $0 != p.holder }) { j.string(s) } else { j.null() }
            j.key("idle_ms"); if let v = p.idleMilliseconds { j.int(v) } else { j.null() }
            j.field("idle", c.idleAfterMilliseconds > 0 && (p.idleMilliseconds ?? 0) >= c.idleAfterMilliseconds)
            j.endObject()
        }
        j.endArray()
        j.key("streams"); j.beginArray(); for s in c.streams { stream(s, into: &j) }; j.endArray()
        j.key("jobs"); j.beginArray(); for name in c.jobs { j.string(name) }; j.endArray()
        j.key("events"); j.beginObject(); j.field("accepted", c.eventsAccepted); j.field("rejected", c.eventsRejected); j.endObject()
        j.key("checkpoints"); j.beginObject()
        j.field("committed", c.checkpointsCommitted); j.field("stale_writes_refused", c.staleWritesRefused)
        j.endObject()
        j.key("failovers_ms"); j.beginArray(); for v in c.failoverMilliseconds { j.int(v) }; j.endArray()
        j.key("silent_failovers_ms"); j.beginArray(); for v in c.silentFailoverMilliseconds { j.int(v) }; j.endArray()
        j.key("failovers_new_owner_lost_ms"); j.beginArray(); for v in c.failoverWithNewOwnerLostMilliseconds { j.int(v) }; j.endArray()
        j.key("handoffs_ms"); j.beginArray(); for v in c.handoffMilliseconds { j.int(v) }; j.endArray()
        j.key("failover_catch_ups_ms"); j.beginArray(); for v in c.failoverCatchUpMilliseconds { j.int(v) }; j.endArray()
        j.field("idle_after_ms", c.idleAfterMilliseconds)
        j.endObject()
        return j.text
    }

    static func rollups(_ a: RollupAnswer) -> String {
        var j = JSONBuilder()
        j.beginObject()
        j.field("job", a.job)
        j.key("group_by"); j.beginArray(); for g in a.groupBy { j.string(g) }; j.endArray()
        j.key("columns"); j.beginArray(); for c in a.columns { j.string(c) }; j.endArray()
        factFields(a, into: &j)
        j.key("windows"); j.beginArray()
        for w in a.windows { window(w, of: a, into: &j) }
        j.endArray()
        // Last: a line per partition, detail a reader of the answer rarely needs first.
        partitionSources(a, into: &j)
        j.endObject()
        return j.text
    }

    /// One window of an answer: bounds, finality, late events, group count, totals and rows.
    static func window(_ w: RollupAnswer.WindowRows, of a: RollupAnswer, into j: inout JSONBuilder) {
        j.beginObject()
        j.field("start", w.window.start); j.field("end", w.window.end); j.field("final", w.isFinal); j.field("late_events", w.lateEvents)
        j.field("groups", w.groupCount)
        j.key("totals"); j.beginObject()
        for (name, total) in zip(a.columns, w.totals) { if let total { j.key(name); j.cell(total) } }
        j.endObject()
        j.key("rows"); j.beginArray()
        for row in w.rows {
            j.beginObject()
            j.key("group"); j.beginObject()
            for (name, v) in zip(a.groupBy, row.group) { j.key(name); j.value(v) }
            j.endObject()
            j.key("values"); j.beginObject()
            for (name, c) in zip(a.columns, row.cells) { j.key(name); j.cell(c) }
            j.endObject()
            j.endObject()
        }
        j.endArray()
        j.endObject()
    }

    /// An answer's completeness facts (everything but the windows), for push updates.
    static func facts(_ a: RollupAnswer, into j: inout JSONBuilder) {
        j.beginObject()
        factFields(a, into: &j)
        partitionSources(a, into: &j)
        j.endObject()
    }

    /// Watermark, completeness, event counts and where the answer came from, as fields of the
    /// enclosing object (the per-partition sources are written apart, last).
    static func factFields(_ a: RollupAnswer, into j: inout JSONBuilder) {
        j.key("watermark"); if let w = a.watermark { j.int(w) } else { j.null() }
        j.field("complete", a.isComplete)
        j.key("partitions_missing"); j.beginArray(); for p in a.partitionsMissing { j.int(p) }; j.endArray()
        j.key("events"); j.beginObject()
        j.field("accepted", a.eventsAccepted); j.field("late", a.eventsLate); j.field("rejected", a.eventsRejected)
        j.field("filtered", a.eventsFiltered)
        j.key("behind"); j.raw(String(a.eventsBehind))
        j.key("uncommitted"); j.raw(String(a.eventsUncommitted))
        j.endObject()
        j.field("source", a.source.rawValue)
        j.key("staleness_ms"); if let s = a.stalenessMilliseconds { j.int(s) } else { j.null() }
    }

    /// Each partition's source (owner or standby), its owner's epoch and the state's staleness.
    static func partitionSources(_ a: RollupAnswer, into j: inout JSONBuilder) {
        j.key("partition_sources"); j.beginArray()
        for s in a.sources {
            j.beginObject(); j.field("partition", s.partition); j.field("source", s.source.rawValue)
            j.key("owner_epoch"); j.raw(String(s.ownerEpoch))
            j.key("staleness_ms"); if let ms = s.stalenessMilliseconds { j.int(ms) } else { j.null() }
            j.endObject()
        }
        j.endArray()
    }

    static func diagnosis(_ d: JobDiagnosis) -> String {
        var j = JSONBuilder()
        j.beginObject()
        j.field("job", d.job)
        j.key("findings"); j.beginArray()
        for f in d.findings {
            j.beginObject(); j.field("code", f.code); j.field("level", f.level.rawValue); j.field("message", f.message); j.endObject()
        }
        j.endArray()
        j.key("facts"); facts(d.answer, into: &j)
        j.key("newest_window")
        if let w = d.answer.windows.last {
            j.beginObject(); j.field("start", w.window.start); j.field("end", w.window.end); j.field("final", w.isFinal); j.endObject()
        } else {
            j.null()
        }
        j.key("partitions"); j.beginArray()
        for p in d.partitions {
            j.beginObject()
            j.field("partition", p.partition); j.key("log_end"); j.raw(String(p.logEnd))
            j.key("processed"); if let v = p.processed { j.raw(String(v)) } else { j.null() }
            j.key("watermark"); if p.watermark > .min { j.int(p.watermark) } else { j.null() }
            j.key("idle_ms"); if let v = p.idleMilliseconds { j.int(v) } else { j.null() }
            j.field("idle", p.excludedAsIdle)
            j.endObject()
        }
        j.endArray()
        j.endObject()
        return j.text
    }
}
