import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads an endless HTTP response (a stream tap) piece by piece as it arrives.
package final class TapReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: the continuation is Sendable and `status` is written once, by the session's
    // delegate queue, before the first piece is yielded.
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    package let pieces: AsyncThrowingStream<Data, any Error>
    private(set) var status = 0

    package override init() {
        (pieces, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
        super.init()
    }

    package func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    package func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        continuation.yield(data)
    }

    package func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
    }
}
