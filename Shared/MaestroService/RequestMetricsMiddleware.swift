import Dispatch
import Hummingbird
import MaestroDomain
import Metrics

/// Counts requests (`http_requests_total`) and times them (`http_request_duration_seconds`)
/// by method, route and status.
///
/// `route` is the matched route pattern (`/v1/models/{name}`), never the raw path, so the
/// number of series stays bounded; requests that match no route are counted as `unmatched`.
public struct RequestMetricsMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let dimensions = [("method", request.method.rawValue), ("route", route), ("status", String(response.status.code))]
        Counter(label: "http_requests_total", dimensions: dimensions).increment()
        Metrics.Timer(label: "http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordNanoseconds(DispatchTime.now().uptimeNanoseconds - start)
        return response
    }
}
