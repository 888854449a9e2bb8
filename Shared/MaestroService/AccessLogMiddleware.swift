import Foundation
import Hummingbird
import Logging
import MaestroDomain

/// Logs one line per request: request id, method, path (without the query string), status
/// and duration, plus tenant and subject once authenticated. Headers are never logged,
/// so neither is the `Authorization` token.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let level: Logger.Level

    public init(level: Logger.Level = .info) {
        self.level = level
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(level: level, "request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .string(String(format: "%.3f", milliseconds)),
        ])
        return response
    }
}
