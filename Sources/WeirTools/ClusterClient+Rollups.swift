import Foundation

extension ClusterClient {
    /// Waits until `condition` holds, asking every 200 ms; fails after `seconds` naming `what`.
    package func waitFor(_ what: String, seconds: Double, hint: String = "", _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw fail("timed out after \(Int(seconds)) s waiting for \(what)\(hint)")
    }

    /// Waits until every partition of `job` answers and has processed all acknowledged events;
    /// returns that answer (its event counts cover every partition).
    @discardableResult
    package func waitUntilCaughtUp(job: String, seconds: Double, hint: String = "") async throws -> [String: Any] {
        var caughtUp: [String: Any] = [:]
        try await waitFor("\(job) to be complete and caught up", seconds: seconds, hint: hint) {
            guard let answer = try? await get("/v1/jobs/\(job)/rollups", query: [.init(name: "from", value: "0"), .init(name: "to", value: "1")]),
                  let events = answer["events"] as? [String: Any] else { return false }
            guard answer["complete"] as? Bool == true && events["behind"] as? Int == 0 else { return false }
            caughtUp = answer
            return true
        }
        return caughtUp
    }

    /// The job's rollups in `weir run`'s CSV form, from an answer that covers every event
    /// acknowledged so far: `Weir-Events-Behind: 0` on the response that carries the rows. Asked
    /// again while it is not (a partition being moved answers from its committed checkpoint, or
    /// its new owner is still catching up) or while no standby can answer for it (503).
    package func rollupsCSV(job: String, seconds: Double = 300) async throws -> String {
        var last = "no answer"
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            do {
                let (body, response) = try await exchange("GET", "/v1/jobs/\(job)/rollups", query: [.init(name: "format", value: "csv")])
                let behind = response.value(forHTTPHeaderField: "Weir-Events-Behind")
                if behind == "0" { return String(decoding: body, as: UTF8.self) }
                let now = "the answer was \(behind ?? "an unknown number of") events behind (source \(response.value(forHTTPHeaderField: "Weir-Source") ?? "?"))"
                if now != last { say("rollups of \(job): \(now); asking again") }
                last = now
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw fail("rollups of \(job) covering every acknowledged event, for \(Int(seconds)) s: \(last)")
    }
}
