/// Bearer tokens and what they may do: `read` (queries, dashboard, cluster, metrics) or `write`
/// (also ingest, streams, submit and cancel; workers and producers on the binary protocol).
///
/// The file has one token per line, `read TOKEN` or `write TOKEN`; `#` starts a comment.
/// Tokens are at least 16 characters without spaces.
public struct AuthTokens: Sendable, Equatable {
    public enum Scope: String, Sendable { case read, write }

    private var scopes: [String: Scope] = [:]

    public init(_ entries: [(scope: Scope, token: String)]) {
        for e in entries { scopes[e.token] = e.scope }
    }

    /// Parses the file's text; the error names the line and what is wrong.
    public static func parse(_ text: String, source: String) throws(APIError) -> AuthTokens {
        var entries: [(scope: Scope, token: String)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2, let scope = Scope(rawValue: String(words[0])) else {
                throw .badRequest("bad_tokens", "\(source):\(i + 1): expected `read TOKEN` or `write TOKEN`")
            }
            guard words[1].count >= 16 else { throw .badRequest("bad_tokens", "\(source):\(i + 1): a token must have at least 16 characters") }
            entries.append((scope, String(words[1])))
        }
        guard !entries.isEmpty else { throw .badRequest("bad_tokens", "\(source): no tokens (expected lines like `write TOKEN`)") }
        return AuthTokens(entries)
    }

    /// The scope of `token`, nil when it is unknown. Compares every known token in full (no
    /// early exit on the first differing byte, so timing does not reveal a prefix).
    public func scope(of token: String) -> Scope? {
        var found: Scope?
        let given = Array(token.utf8)
        for (known, scope) in scopes where Self.equal(Array(known.utf8), given) { found = scope }
        return found
    }

    /// True when `token` may do what `needed` allows.
    public func allows(_ token: String, _ needed: Scope) -> Bool {
        switch scope(of: token) {
        case .write?: return true
        case .read?: return needed == .read
        case nil: return false
        }
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<min(a.count, b.count) { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
