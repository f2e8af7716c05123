import Foundation
import Testing

/// Auth, loopback-only binding, slow clients, size and range limits.
extension ClusterTests { @Suite struct Hardening {
    @Test func tokensSeparateReadFromWrite_andNonLoopbackNeedsThem() async throws {
        let h = ClusterHarness(name: "auth")
        defer { h.shutdown() }
        // Without tokens, a non-loopback address is refused with the reason.
        let refused = try h.weir(["coordinator", "--data-dir", h.dir + "/c0", "--http", "0.0.0.0:0", "--listen", "127.0.0.1:0"])
        #expect(refused.status == 1 && refused.stderr.contains("refusing to listen beyond loopback without --auth-tokens"), "\(refused.stderr)")
        let badFile = h.dir + "/bad-tokens"
        try "write short\n".write(toFile: badFile, atomically: true, encoding: .utf8)
        let bad = try h.weir(["coordinator", "--data-dir", h.dir + "/c1", "--http", "127.0.0.1:0", "--auth-tokens", badFile])
        #expect(bad.status == 1 && bad.stderr.contains("bad-tokens:1: a token must have at least 16 characters"), "\(bad.stderr)")

        let reader = "read-token-0123456789", writer = "write-token-0123456789"
        let file = h.dir + "/tokens"
        try "# scopes\nread \(reader)\nwrite \(writer)\n".write(toFile: file, atomically: true, encoding: .utf8)
        // Non-loopback with tokens is allowed (HTTP on all interfaces; the test talks to loopback).
        try await h.startCoordinator(extra: ["--auth-tokens", file, "--http", "0.0.0.0:0"])
        func call(_ method: String, _ path: String, _ token: String?, body: Data? = nil) async throws -> (Int, [String: Any]) {
            let (status, data) = try await h.request(method, path, body: body, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
            return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
        }
        let code = { (o: [String: Any]) in (o["error"] as? [String: Any])?["code"] as? String }
        #expect(try await call("GET", "/healthz", nil).0 == 200)
        #expect(try await call("GET", "/", nil).0 == 200)  // the dashboard's static page holds no data
        let anonymous = try await call("GET", "/v1/jobs", nil)
        #expect(anonymous.0 == 401 && code(anonymous.1) == "unauthorized")
        let wrong = try await call("GET", "/v1/jobs", "not-a-token-at-all-xx")
        #expect(wrong.0 == 401 && code(wrong.1) == "bad_token")
        #expect(try await call("GET", "/v1/cluster", reader).0 == 200)
        #expect(try await call("GET", "/metrics?access_token=\(reader)", nil).0 == 200)
        let spec = try Data(contentsOf: ClusterHarness.root.appendingPathComponent("jobs/clicks-per-page.yaml"))
        let forbidden = try await call("POST", "/v1/jobs", reader, body: spec)
        #expect(forbidden.0 == 403 && code(forbidden.1) == "forbidden")
        #expect(try await call("POST", "/v1/jobs", writer, body: spec).0 == 201)
        let events = ClusterTests.Dashboard.clicks([1, 2, 3])
        #expect(try await call("POST", "/v1/streams/clicks/events", reader, body: events).0 == 403)
        #expect(try await call("POST", "/v1/streams/clicks/events", writer, body: events).0 == 200)

        // The binary protocol needs a write token too: a worker without one is refused, with one it works.
        try h.startWorker("nobody")
        try await h.waitFor("the tokenless worker to be refused", seconds: 30) { h.log("coordinator.log").contains("refused: no valid write token") }
        h.signal("nobody", SIGKILL)
        setenv("WEIR_TOKEN", writer, 1)
        defer { unsetenv("WEIR_TOKEN") }
        try h.startWorker("w1")
        try await h.waitFor("the worker with a token to catch up", seconds: 60) {
            let (status, data) = try await h.request("GET", "/v1/jobs/clicks-per-page/rollups", headers: ["Authorization": "Bearer \(reader)"])
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return status == 200 && (object["events"] as? [String: Any])?["accepted"] as? Int == 3
        }
        // The CLI passes the token from --token / WEIR_TOKEN.
        let status = try h.weir(["status", "--http", h.http])
        #expect(status.status == 0, "\(status.stderr)")
    }

    /// SIGTERM (or Ctrl-C) stops a coordinator, and one started again on its data directory has
    /// every event it had accepted. (Its command once left the server running after the signal.)
    @Test func aCoordinatorStopsOnSIGTERM_andRestartsWithEveryAcceptedEvent() async throws {
        let h = ClusterHarness(name: "sigterm")
        defer { h.shutdown() }
        try await h.startCoordinator()
        try h.startWorker("w1")
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        let body = (0..<3).map { "{\"ts\":\(1_767_225_600_000 + $0),\"user\":\"u\($0)\",\"page\":\"p\($0 % 2)\",\"bytes\":1,\"latency_ms\":1}\n" }.joined()
        #expect(try await h.json("POST", "/v1/streams/clicks/events", body: Data(body.utf8)).object["accepted"] as? Int == 3)
        func views() async throws -> Int {
            let windows = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups").object["windows"] as? [[String: Any]] ?? []
            return windows.reduce(0) { $0 + (($1["totals"] as? [String: Any])?["views"] as? Int ?? 0) }
        }
        try await h.waitUntilCaughtUp()
        #expect(try await views() == 3)

        let first = try #require(h.coordinator)
        kill(first.processIdentifier, SIGTERM)
        try await h.waitFor("the coordinator to exit after SIGTERM", seconds: 30) { !first.isRunning }
        #expect(first.terminationStatus == 0, "\(h.log("coordinator.log"))")

        // The new coordinator listens on new ports: the worker is started again to find it.
        h.signal("w1", SIGKILL)
        h.workers["w1"]?.waitUntilExit()
        try FileManager.default.removeItem(atPath: h.dir + "/ready")
        try await h.startCoordinator()
        try h.startWorker("w1")
        try await h.waitUntilCaughtUp()
        #expect(try await views() == 3, "\(h.log("coordinator.log"))")
    }

    @Test func slowClientsAreDisconnected_andLimitsAreNamed() async throws {
        let h = ClusterHarness(name: "limits")
        defer { h.shutdown() }
        try await h.startCoordinator(extra: ["--max-result-rows", "5", "--max-query-range", "1h"])
        try h.startWorker("w1")
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        try await ClusterTests.Dashboard.ingest(h, ClusterTests.Dashboard.clicks(stride(from: 0.0, to: 30.0, by: 0.5).map { $0 }, pages: 4))
        try await h.waitUntilCaughtUp()

        // Slowloris: a request head dribbled byte by byte is cut off (head timeout 10 s).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        #expect(connectLoopback(fd, port: h.httpPort) == 0)
        let started = Date()
        var closed = false
        for byte in Array("GET /v1/cluster HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 40) {
            var b = byte
            if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) < 0 { closed = true; break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 1000) > 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                if read(fd, &buffer, 256) <= 0 { closed = true; break }
            }
        }
        #expect(closed, "the server kept a connection whose request head never completed")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(try await h.request("GET", "/healthz").status == 200)  // others are served meanwhile

        let tooMany = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups")
        let error = { (o: [String: Any]) -> (code: String, message: String) in
            let e = o["error"] as? [String: Any] ?? [:]
            return (e["code"] as? String ?? "", e["message"] as? String ?? "")
        }
        #expect(tooMany.status == 400 && error(tooMany.object).code == "result_too_large")
        #expect(error(tooMany.object).message.contains("limit of 5"))
        #expect(try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?top=1").status == 200)
        let longRange = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=2h&top=1")
        #expect(longRange.status == 400 && error(longRange.object).message.contains("limit of 1h"))
        let wideSpan = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?from=0&to=86400000&top=1")
        #expect(wideSpan.status == 400 && (wideSpan.object["error"] as? [String: Any])?["code"] as? String == "range_too_large")
        let wrongMethod = try await h.json("PATCH", "/v1/jobs")
        #expect(wrongMethod.status == 405 && (wrongMethod.object["error"] as? [String: Any])?["code"] as? String == "method_not_allowed")
        let empty = try await h.json("POST", "/v1/streams/clicks/events", body: Data("\n\n".utf8))
        #expect(empty.status == 400 && (empty.object["error"] as? [String: Any])?["code"] as? String == "empty_body")
    }
} }

extension ClusterTests { @Suite struct QueriesDuringFailover {
    @Test func everyQueryAnswersWithItsSourceWhileTheOwnerIsKilledAndPaused() async throws {
        let h = ClusterHarness(name: "query-failover")
        defer { h.shutdown() }
        try await h.startCoordinator(leaseTTL: "1500ms")
        for w in ["w1", "w2", "w3"] { try h.startWorker(w, extra: ["--checkpoint-interval", "200ms"]) }
        #expect(try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http]).status == 0)
        typealias D = ClusterTests.Dashboard
        try await D.ingest(h, D.clicks(stride(from: 0.0, to: 40.0, by: 0.02).map { $0 }, pages: 20))  // 2,000 events, 70 users
        try await h.waitUntilCaughtUp()
        // Every partition's checkpoint committed on two workers.
        try await h.waitFor("checkpoints with a standby everywhere", seconds: 60) {
            let replicas = try await h.checkpointReplicas()
            return replicas.count == 16 && replicas.values.allSatisfy { $0.count == 2 }
        }
        let reference = try await h.caughtUpCSV(job: "clicks-per-page")

        // A query loop while one owner is killed and another paused past its lease.
        let victim = try #require(try await h.holders()[0])
        let paused = try #require(["w1", "w2", "w3"].first { $0 != victim })
        var statuses: [Int] = [], sources: [String] = [], stalenesses: [Int] = [], csvMismatches = 0, csvSources: Set<String> = []
        let started = Date()
        var killed = false, restarted = false, stopped = false
        while Date().timeIntervalSince(started) < 12 {
            if !killed && Date().timeIntervalSince(started) > 1 { h.signal(victim, SIGKILL); killed = true }
            // The killed worker comes back (as `weir up` restarts it) with its store: the standby
            // of partitions whose other copy is on the worker paused next. (Killing one and
            // pausing the other copy for good would be a double failure, beyond 2 replicas.)
            if killed && !restarted && Date().timeIntervalSince(started) > 3 { try h.startWorker(victim, extra: ["--checkpoint-interval", "200ms"]); restarted = true }
            if !stopped && Date().timeIntervalSince(started) > 5 { h.signal(paused, SIGSTOP); stopped = true }
            let r = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h")
            statuses.append(r.status)
            if let s = r.object["source"] as? String { sources.append(s) }
            if let ms = r.object["staleness_ms"] as? Int, r.object["source"] as? String == "standby" { stalenesses.append(ms) }
            let parts = r.object["partition_sources"] as? [[String: Any]] ?? []
            #expect(parts.allSatisfy { $0["owner_epoch"] is Int && $0["source"] is String })
            // Nothing was ingested meanwhile, so committed state equals live state: the CSV is exact throughout.
            let csv = try await h.exchange("GET", "/v1/jobs/clicks-per-page/rollups?format=csv")
            if csv.status == 200 && String(decoding: csv.body, as: UTF8.self) != reference { csvMismatches += 1 }
            // A stand-in's committed checkpoint holds every event here: the CSV says it covers them all.
            if csv.status == 200 {
                #expect(csv.response?.value(forHTTPHeaderField: "Weir-Events-Behind") == "0")
                if let source = csv.response?.value(forHTTPHeaderField: "Weir-Source") { csvSources.insert(source) }
            }
            #expect(csv.status == 200, "a CSV query failed with \(csv.status) while state was moving")
            try await Task.sleep(for: .milliseconds(50))
        }
        h.signal(paused, SIGCONT)
        #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 200 }, "\(statuses.filter { $0 != 200 })")
        #expect(sources.count == statuses.count, "every answer names its source")
        #expect(sources.contains("standby"), "some answers were served by standbys while partitions moved: \(Set(sources))")
        #expect(!stalenesses.isEmpty && stalenesses.allSatisfy { $0 >= 0 })
        #expect(csvMismatches == 0)
        #expect(!csvSources.isEmpty && csvSources.isSubset(of: ["primary", "standby"]), "CSV answers' Weir-Source: \(csvSources)")
        // After healing, the owners answer again.
        try await h.waitFor("primaries to answer again", seconds: 60) {
            try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?last=1h").object["source"] as? String == "primary"
        }
    }
} }
