import Hummingbird
import MaestroDomain

/// Refuses request bodies over `maxBytes` with 413.
///
/// A declared `Content-Length` over the limit is refused before anything is read; a body
/// without one is read up to the limit and refused as soon as it exceeds it. Accepted
/// bodies are kept in memory, so later steps (idempotency, decoding) can read them again.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    public let maxBytes: Int

    public init(maxBytes: Int) {
        precondition(maxBytes > 0, "the body size limit must be positive")
        self.maxBytes = maxBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw HTTPProblem.contentTooLarge(limit: maxBytes)
        }
        var request = request
        var context = context
        context.maxUploadSize = maxBytes
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw HTTPProblem.contentTooLarge(limit: maxBytes)
        }
        return try await next(request, context)
    }
}
