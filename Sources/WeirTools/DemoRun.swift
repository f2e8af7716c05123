import Foundation
import WeirCore
import WeirRunner

/// The `weir up --demo` script: submit the sample jobs, generate a recording once, replay it
/// at a moderate rate and print the busiest pages of the newest window every few seconds.
package struct DemoRun: Sendable {
    package let dataDir: String
    package let jobsDir: String
    package let events: String
    package let rate: String
    package let client: ClusterClient
    package let wireAddress: String
    package let logs: String

    package func run(stop: StopFlag) async throws {
        let specs = ((try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        guard !specs.isEmpty else {
            printError("weir up --demo: no job specs in \(jobsDir)/ (run from the repository root or pass --jobs-dir)")
            return
        }
        for file in specs {
            let text = try String(contentsOfFile: jobsDir + "/" + file, encoding: .utf8)
            do {
                _ = try await client.request("POST", "/v1/jobs", body: Data(text.utf8))
                say("submitted \(jobsDir)/\(file)")
            } catch {
                printError("weir up --demo: \(file): \(error)")
            }
        }
        guard let count = parseCount(events), count > 0 else { throw fail("--demo-events \(events): expected a count like 2M") }
        let recording = dataDir + "/demo-\(events).zst"
        if !FileManager.default.fileExists(atPath: recording) {
            say("generating \(recording) (\(count) events)…")
            var settings = ClickWorkload.Settings()
            settings.events = count
            _ = try GenerateRecording.run(settings, path: recording)
        }
        let replay = ChildProcess(name: "replay", arguments: ["replay", recording, "--stream", "clicks", "--coordinator", wireAddress, "--rate", rate],
                                  logPath: logs + "/replay.log", restart: false)
        try replay.start()
        // Stopped before the cluster (also when this task is cancelled): a replay whose
        // coordinator went away first would end with a connection error in its log.
        defer { replay.stop(grace: 1) }
        say("replaying \(recording) at \(rate); live rollups of clicks-per-page every 3 s (Ctrl-C stops everything)")
        while !stop.isSet && !Task.isCancelled {
            try await Task.sleep(for: .seconds(3))
            if let answer = try? await client.get("/v1/jobs/clicks-per-page/rollups", query: [.init(name: "last", value: "1m"), .init(name: "top", value: "5")]) {
                say(RollupTable.render(Self.latestFinalAndNewest(answer)))
            }
        }
    }

    /// The answer with only its latest final window and its newest window (usually still open):
    /// what settled, and what is moving.
    package static func latestFinalAndNewest(_ answer: [String: Any]) -> [String: Any] {
        let windows = answer["windows"] as? [[String: Any]] ?? []
        let latestFinal = windows.last { $0["final"] as? Bool == true }
        var shown = latestFinal.map { [$0] } ?? []
        if let newest = windows.last, (newest["start"] as? NSNumber) != (latestFinal?["start"] as? NSNumber) { shown.append(newest) }
        var out = answer
        out["windows"] = shown
        return out
    }
}
