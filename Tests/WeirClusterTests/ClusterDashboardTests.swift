import Foundation
import Testing

/// The user surface on a real cluster: push updates, the "why no output" findings and the
/// dashboard in a real headless browser.
extension ClusterTests { @Suite struct Dashboard {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    /// NDJSON click events at `t0 + seconds` (each entry one event), pages p0…p(n-1) round robin.
    static func clicks(_ seconds: [Double], pages: Int = 3, user: String = "u") -> Data {
        var text = ""
        for (i, s) in seconds.enumerated() {
            let ts = t0 + Int64(s * 1000)
            text += "{\"ts\":\(ts),\"user\":\"\(user)\(i % 7)\",\"page\":\"p\(i % pages)\",\"country\":\"DE\",\"latency_ms\":\(10 + i % 50),\"bytes\":\(100 + i)}\n"
        }
        return Data(text.utf8)
    }

    static func ingest(_ h: ClusterHarness, _ body: Data) async throws {
        let r = try await h.json("POST", "/v1/streams/clicks/events", body: body)
        #expect(r.status == 200 && r.object["rejected"] as? Int == 0, "\(r.object)")
    }

    @Test func pushSendsWindowUpdatesThenTheFinalizationInOrder() async throws {
        let h = ClusterHarness(name: "push")
        defer { h.shutdown() }
        try await h.startCoordinator()
        try h.startWorker("w1")
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        try await Self.ingest(h, Self.clicks(stride(from: 1.0, to: 5.0, by: 0.1).map { $0 }))
        try await h.waitUntilCaughtUp()

        let sse = try SSEClient(port: h.httpPort, path: "/v1/jobs/clicks-per-page/rollups/stream?last=1h&interval=250ms")
        var events: [SSEClient.Event] = []
        func until(_ what: String, _ done: (SSEClient.Event) -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                guard let e = try sse.next(seconds: 1) else { continue }
                events.append(e)
                if done(e) { return }
            }
            Issue.record("no \(what) within 60 s; got \(events.map { "\($0.id) \($0.name) \($0.data["start"] ?? "")" })")
            throw CancellationError()
        }
        let views: (SSEClient.Event) -> Int? = { ($0.data["totals"] as? [String: Any])?["views"] as? Int }
        try until("first update") { $0.name == "update" && $0.data["start"] as? Int64 == Self.t0 }
        #expect(sse.status == 200)
        #expect(views(events.last!) == 40)

        // More events in the open window: an update with the new total.
        try await Self.ingest(h, Self.clicks(stride(from: 5.0, to: 7.0, by: 0.1).map { $0 }))
        try until("second update") { $0.name == "update" && $0.data["start"] as? Int64 == Self.t0 && views($0) == 60 }

        // Events past end + watermark delay on every partition that has events (one per user)
        // close the window: its finalization, once.
        try await Self.ingest(h, Self.clicks(Array(repeating: 13, count: 7)))
        try until("finalization") { $0.name == "final" && $0.data["start"] as? Int64 == Self.t0 }
        let final = try #require(events.last)
        #expect(final.data["final"] as? Bool == true && views(final) == 60)
        let query = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h")
        let first = try #require((query.object["windows"] as? [[String: Any]])?.first)
        #expect(first["start"] as? Int64 == Self.t0 && first["final"] as? Bool == true)
        #expect((first["rows"] as? [[String: Any]])?.count == (final.data["rows"] as? [[String: Any]])?.count)

        // Ids count up with no gap; the window's updates all come before its finalization.
        #expect(events.map(\.id) == Array(1...events.count))
        let forWindow = events.filter { $0.data["start"] as? Int64 == Self.t0 }.map(\.name)
        #expect(forWindow.last == "final" && forWindow.dropLast().allSatisfy { $0 == "update" } && forWindow.count >= 3, "\(forWindow)")
        #expect(events.contains { $0.name == "facts" })
        // Nothing more is sent for a final window.
        while let e = try sse.next(seconds: 1.5) { events.append(e) }
        #expect(events.filter { $0.data["start"] as? Int64 == Self.t0 }.count == forWindow.count)
    }

    @Test func dashboardShowsTheLiveValuesTheAPIReturns() async throws {
        let h = ClusterHarness(name: "dashboard")
        defer { h.shutdown() }
        try await h.startCoordinator()
        try h.startWorker("w1")
        try h.startWorker("w2")
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        // Windows [0,10) and [10,20) final, [20,30) open; 12 pages so the top-10 table is cut.
        try await Self.ingest(h, Self.clicks(stride(from: 0.0, to: 25.0, by: 0.05).map { $0 }, pages: 12))
        try await h.waitUntilCaughtUp()
        // The page and the API must see the same holders: wait until no partition is moving
        // (a worker that connected second gets its share one lease TTL after the first grants).
        try await h.waitUntilBalanced(workers: 2)
        try await h.waitUntilCaughtUp()

        let browser = try await HeadlessChromium(url: "http://\(h.http)/#job=clicks-per-page")
        defer { browser.close() }
        let probe = """
        JSON.stringify({
          jobs: [...document.querySelectorAll('#jobs li')].map(li => li.dataset.job),
          bars: [...document.querySelectorAll('#chart rect')].map(r => ({start: +r.dataset.start, value: +r.dataset.value, final: r.dataset.final === 'true'})),
          topStart: document.querySelector('#topn').dataset.start ? +document.querySelector('#topn').dataset.start : null,
          top: [...document.querySelectorAll('#topn tbody tr')].filter(tr => tr.children.length > 1).map(tr => Object.fromEntries([...tr.children].map(td => [td.dataset.field, JSON.parse(td.dataset.value)]))),
          why: [...document.querySelectorAll('#why li')].map(li => li.dataset.code),
          watermark: (document.querySelector('#facts [data-fact=watermark]') || {dataset: {}}).dataset.value,
          workers: [...document.querySelectorAll('#cluster-workers tbody tr')].map(tr => tr.dataset.worker),
          partitions: [...document.querySelectorAll('#cluster-partitions tbody tr')].map(tr => ({partition: +tr.dataset.partition,
             holder: tr.querySelector('[data-field=holder]').dataset.value, epoch: +tr.querySelector('[data-field=epoch]').dataset.value}))
        })
        """
        var page: [String: Any] = [:]
        try await h.waitFor("the dashboard to show the chart, the top-10 table, the findings and the cluster", seconds: 60) {
            page = (try await browser.evaluateJSON(probe) as? [String: Any]) ?? [:]
            return (page["bars"] as? [Any])?.count == 3 && (page["top"] as? [Any])?.count == 10
                && !((page["why"] as? [Any]) ?? []).isEmpty && (page["partitions"] as? [Any])?.count == 16 && page["watermark"] != nil
        }
        let png = try await browser.screenshot()
        let outputDirectory = ClusterHarness.root.appendingPathComponent("test-output")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        try png.write(to: outputDirectory.appendingPathComponent("dashboard.png"))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        // The same numbers as the API.
        #expect(page["jobs"] as? [String] == ["clicks-per-page"])
        let api = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h").object
        let windows = try #require(api["windows"] as? [[String: Any]])
        let bars = try #require(page["bars"] as? [[String: Any]])
        #expect(bars.map { $0["start"] as? Int64 } == windows.map { $0["start"] as? Int64 })
        #expect(bars.map { $0["value"] as? Int } == windows.map { ($0["totals"] as? [String: Any])?["views"] as? Int })
        #expect(bars.map { $0["final"] as? Bool } == [true, true, false])
        #expect(page["watermark"] as? String == String(describing: api["watermark"] as? Int64 ?? 0))

        let topAPI = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h&top=10&by=views").object
        let latestFinal = try #require((topAPI["windows"] as? [[String: Any]])?.last { $0["final"] as? Bool == true })
        #expect(page["topStart"] as? Int64 == latestFinal["start"] as? Int64)
        let apiRows = (latestFinal["rows"] as? [[String: Any]] ?? []).map {
            [(($0["group"] as? [String: Any])?["page"] as? String ?? ""), String(describing: ($0["values"] as? [String: Any])?["views"] ?? "")]
        }
        let pageRows = (page["top"] as? [[String: Any]] ?? []).map { [($0["page"] as? String ?? ""), String(describing: $0["views"] ?? "")] }
        #expect(pageRows == apiRows)

        let diagnosis = try await h.json("GET", "/v1/jobs/clicks-per-page/diagnosis").object
        let codes = (diagnosis["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(page["why"] as? [String] == codes)
        #expect(codes.contains("window_open") && codes.contains("output_final"))

        let cluster = try await h.status()
        let apiPartitions = (cluster["partitions"] as? [[String: Any]] ?? []).map { "\($0["partition"] ?? "")/\($0["holder"] ?? "")/\($0["epoch"] ?? "")" }
        let pagePartitions = (page["partitions"] as? [[String: Any]] ?? []).map { "\($0["partition"] ?? "")/\($0["holder"] ?? "")/\($0["epoch"] ?? "")" }
        #expect(pagePartitions == apiPartitions)
        #expect(Set(page["workers"] as? [String] ?? []) == ["w1", "w2"])
    }
} }

extension ClusterTests { @Suite struct Idleness {
    @Test func idlePartitionsStopHoldingTheWatermark_andTheirLaterEventsAreLate() async throws {
        let h = ClusterHarness(name: "idle")
        defer { h.shutdown() }
        try await h.startCoordinator(extra: ["--idle-after", "1s"])
        try h.startWorker("w1")
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        typealias D = ClusterTests.Dashboard
        // Seven users (several partitions) at 1…5 s, then only user "hot" (one partition) up to 40 s.
        try await D.ingest(h, D.clicks(stride(from: 1.0, to: 5.0, by: 0.1).map { $0 }))  // 40 events, window [0,10)
        for k in 0..<8 {
            try await D.ingest(h, D.clicks([5.0 + Double(k) * 5, 5.5 + Double(k) * 5], user: "hot"))
            // Deliberately real time: idleness is judged in the coordinator's processing time
            // (`--idle-after 1s`), so the quiet partitions must stay quiet for a while as the
            // hot one keeps receiving events. This pause is what is tested, not a guess at speed.
            try await Task.sleep(for: .milliseconds(400))
        }
        // The hot partition's watermark is 40 − 2 = 38 s: without idleness every window would stay
        // open (the quiet partitions sit at 5 − 2 = 3 s). With it, windows up to [20,30) are final.
        var windows: [[String: Any]] = []
        try await h.waitFor("windows up to [20 s, 30 s) to be final", seconds: 60) {
            windows = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h").object["windows"] as? [[String: Any]] ?? []
            return windows.filter { $0["final"] as? Bool == true }.map { $0["start"] as? Int64 } == [D.t0, D.t0 + 10_000, D.t0 + 20_000]
        }
        let views = { (w: [String: Any]) in (w["totals"] as? [String: Any])?["views"] as? Int }
        // Exact: [0,10) has the 40 events of the seven users + hot's 5 s and 5.5 s = 42; then 4 per window.
        #expect(windows.map(views) == [42, 4, 4, 4, 2])
        let diagnosis = try await h.json("GET", "/v1/jobs/clicks-per-page/diagnosis").object
        let findings = diagnosis["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { $0["code"] as? String == "idle_partition" && $0["level"] as? String == "info" }, "\(findings)")

        // An event for a quiet user in the final window [0,10) is now late: counted, not added.
        try await D.ingest(h, D.clicks([3.0]))
        try await h.waitFor("the late event to be counted", seconds: 30) {
            let answer = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h").object
            return (answer["events"] as? [String: Any])?["late"] as? Int == 1
        }
        let after = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h").object["windows"] as? [[String: Any]] ?? []
        #expect(after.first.flatMap(views) == 42)
        #expect(after.first?["late_events"] as? Int == 1)
    }
} }
