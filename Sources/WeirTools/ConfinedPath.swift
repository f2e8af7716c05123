import Foundation

/// Keeps file paths given to `weir replay` and `weir record` inside a configured root
/// (`--root` or `$WEIR_RECORDINGS_ROOT`), for setups where the paths come from other people
/// (a scheduler, a web form): `..`, absolute paths elsewhere and symbolic links that lead out
/// are refused with the path and the root named.
package enum ConfinedPath {
    /// `path` resolved against `root` (relative paths are taken from the root); the result is
    /// inside the root after `..` and symbolic links are resolved, or this throws.
    package static func resolve(_ path: String, root: String?) throws -> String {
        guard let root else { return path }
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath()
        let candidate = path.hasPrefix("/") ? URL(fileURLWithPath: path) : rootURL.appendingPathComponent(path)
        // The file may not exist yet (record): resolve its directory's links, keep its name.
        let directory = candidate.deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath()
        var resolved = directory.appendingPathComponent(candidate.lastPathComponent).standardizedFileURL
        if FileManager.default.fileExists(atPath: resolved.path) { resolved = resolved.resolvingSymlinksInPath() }
        let inside = resolved.path == rootURL.path || resolved.path.hasPrefix(rootURL.path.hasSuffix("/") ? rootURL.path : rootURL.path + "/")
        guard inside else {
            throw fail("\(path): outside the recordings root \(rootURL.path) (resolves to \(resolved.path)); paths must stay under --root")
        }
        return resolved.path
    }

    package static var configuredRoot: String? { ProcessInfo.processInfo.environment["WEIR_RECORDINGS_ROOT"] }
}
