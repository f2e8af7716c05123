import Hummingbird
import NIOCore

extension HTTPServer {
    /// The dashboard (`/`, `/dashboard.js`, `/dashboard.css`): static text compiled into the binary.
    func addDashboardRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.text(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in Self.text(DashboardScript.js, type: "text/javascript; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in Self.text(DashboardStyle.css, type: "text/css; charset=utf-8") }
    }

    static func text(_ body: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
