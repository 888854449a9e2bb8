import HTTPTypes
import Hummingbird
import MaestroTracing
import Tracing

/// A server span per request, when tracing is on (`SpanRecording`); with tracing off it only
/// passes the request on.
///
/// - The span continues an incoming W3C `traceparent` (and `tracestate`).
/// - It is named by the matched route template (`/v1/models/{name}`), never the raw path, or
///   `HTTP <method>` for a request no route matched.
/// - Attributes follow the HTTP semantic conventions (`http.request.method`, `url.path`,
///   `url.scheme`, `http.route`, `http.response.status_code`); ``AuthenticationMiddleware``
///   adds `maestro.tenant`. A 5xx answer, or an error no middleware turned into one, marks
///   the span as failed.
/// - It ends when the handler returns its response: the time to write a buffered body is
///   not in it.
///
/// The kit writes its own rather than using Hummingbird's `TracingMiddleware`, which records
/// more per request (query, user agent, sizes, peer address) and ends spans after the body
/// is written through a wrapped body; on the HTTP benchmark that cost 17% of throughput even
/// with no tracer installed.
public struct RequestTracingMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await withSpanWhenRecording("HTTP \(request.method.rawValue)", context: Self.parent(of: request), ofKind: .server) { span in
            guard let span else { return try await next(request, context) }
            span.attributes["http.request.method"] = request.method.rawValue
            span.attributes["url.path"] = request.uri.path
            span.attributes["url.scheme"] = "http"
            var context = context
            context.requestSpan = span
            do {
                let response = try await next(request, context)
                finish(span, route: context.endpointPath, status: Int(response.status.code))
                return response
            } catch {
                finish(span, route: context.endpointPath, status: (error as? any HTTPResponseError)?.status.code ?? 500)
                throw error
            }
        }
    }

    /// The caller's trace context from `traceparent`/`tracestate`, if it sent one.
    private static func parent(of request: Request) -> ServiceContext {
        var parent = ServiceContext.current ?? .topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        return parent
    }

    private func finish(_ span: any Span, route: String?, status: Int) {
        if let route, route != "NotFound" {
            span.operationName = route
            span.attributes["http.route"] = route
        }
        span.attributes["http.response.status_code"] = status
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

private struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { fields[$0] }
    }
}
