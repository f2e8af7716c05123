import Foundation

extension ClusterClient {
    /// Waits until `condition` holds, asking every 200 ms; fails after `seconds` naming `what`.
    func waitFor(_ what: String, seconds: Double, hint: String = "", _ condition: () async throws -> Bool) async throws {
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
    func waitUntilCaughtUp(job: String, seconds: Double, hint: String = "") async throws -> [String: Any] {
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

    /// The job's rollups in `weir run`'s CSV form (retried while a partition is moving).
    func rollupsCSV(job: String) async throws -> String {
        var lastError: (any Error)?
        for _ in 0..<30 {
            do {
                return String(decoding: try await raw("GET", "/v1/jobs/\(job)/rollups", query: [.init(name: "format", value: "csv")]), as: UTF8.self)
            } catch {
                lastError = error
                try await Task.sleep(for: .seconds(1))
            }
        }
        throw fail("rollups of \(job): \(lastError.map { "\($0)" } ?? "no answer")")
    }
}
