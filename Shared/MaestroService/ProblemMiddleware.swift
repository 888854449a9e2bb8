import Foundation
import Hummingbird
import Logging
import MaestroDomain
import PostgresNIO

/// Turns every error into an `application/problem+json` response, in one place.
///
/// - ``HTTPProblem`` is answered as is.
/// - A domain's refusal (`DomainError`) becomes the problem for its kind, with its description
///   as the detail; this is the one place domain errors meet HTTP.
/// - Hummingbird's `HTTPError` (including 404 for an unknown route and 413 from body
///   collection) becomes the problem for its status; its message is not passed through.
/// - `DecodingError` becomes 400 when the JSON is malformed and 422 when a value is
///   missing or has the wrong type, naming the field.
/// - A statement PostgreSQL cancelled at the statement timeout becomes 503.
/// - Anything else is logged with the request id and answered 500 with a fixed detail, so
///   internals never reach the client.
/// - Under the path prefix of a compatibility API (``CompatibilityErrorFormat``) the same
///   problem is rendered in that API's own error shape, with the problem's headers
///   (`Retry-After`, `WWW-Authenticate`).
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext

    let formats: [CompatibilityErrorFormat]

    public init(formats: [CompatibilityErrorFormat] = []) {
        self.formats = formats
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let path = request.uri.path
            let format = formats.first { format in format.pathPrefixes.contains { path.hasPrefix($0) } }
            // A compatibility API's own refusals are answers, not failures.
            if let own = format?.renderOwn(error) { return own }
            let problem = Self.problem(for: error)
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error))): \(error)"])
            }
            if let format {
                var response = format.render(problem)
                for field in problem.headers { response.headers.append(field) }
                return response
            }
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error) -> HTTPProblem {
        switch error {
        case let problem as HTTPProblem:
            return problem
        case let refusal as any DomainError:
            return HTTPProblem(refusal)
        case let decoding as DecodingError:
            return problem(for: decoding)
        case let httpError as HTTPError:
            return .status(httpError.status)
        case let responseError as any HTTPResponseError:
            return .status(responseError.status)
        case let database as PSQLError where database.serverInfo?[.sqlState] == "57014":
            // query_canceled: the statement timeout ended it (MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS).
            return .serviceUnavailable("The request needed more database time than the service allows; narrow it and retry.")
        default:
            return .internalError()
        }
    }

    static func problem(for error: DecodingError) -> HTTPProblem {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String? {
            let keys = codingPath + (key.map { [$0] } ?? [])
            guard !keys.isEmpty else { return nil }
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .malformedJSON()
        case .dataCorrupted(let context):
            return .invalid([.init(field: path(context.codingPath), message: "has an invalid value")])
        case .keyNotFound(let key, let context):
            return .invalid([.init(field: path(context.codingPath, key), message: "is required")])
        case .valueNotFound(let type, let context):
            return .invalid([.init(field: path(context.codingPath), message: "must be a \(Self.jsonName(type)), not null")])
        case .typeMismatch(let type, let context):
            return .invalid([.init(field: path(context.codingPath), message: "must be a \(Self.jsonName(type))")])
        @unknown default:
            return .malformedJSON()
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        case is [Any].Type: "array"
        default: "value of the expected type"
        }
    }
}

/// A compatibility API's own error shape (e.g. MLflow's `{"error_code", "message"}` under
/// `/api/2.0/mlflow/`), used for every problem under its path prefixes, so its clients can
/// read the errors the kit raises before a request reaches the API (401, 413, 429, …).
///
/// `renderOwn` answers the errors the API has its own codes for (its own refusals, or a domain
/// error it maps differently from the native API); `nil` leaves the error to `render`.
public struct CompatibilityErrorFormat: Sendable {
    public let pathPrefixes: [String]
    public let render: @Sendable (HTTPProblem) -> Response
    public let renderOwn: @Sendable (any Error) -> Response?

    public init(pathPrefixes: [String], renderOwn: @escaping @Sendable (any Error) -> Response? = { _ in nil },
                render: @escaping @Sendable (HTTPProblem) -> Response) {
        self.pathPrefixes = pathPrefixes
        self.renderOwn = renderOwn
        self.render = render
    }
}
