import Foundation
import WeirCore

/// Reads and validates a job spec file; errors name the file, field path and line.
package func loadSpec(_ path: String) throws -> JobSpec {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw fail("cannot read job spec \(path): no such file or not readable")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw fail("\(path): not UTF-8 text") }
    do {
        return try JobSpecParser.parse(text)
    } catch {
        throw fail("\(path): \(error)")
    }
}
