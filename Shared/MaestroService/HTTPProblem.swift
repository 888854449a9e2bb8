import Foundation
import Hummingbird
import MaestroDomain

/// An RFC 9457 problem: the one error type handlers throw to answer a client.
///
/// ``ProblemMiddleware`` turns it, and every other error, into `application/problem+json`.
/// `detail` is shown to the client, so it never carries secrets, tokens, SQL or stack traces.
public struct HTTPProblem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// One problem with one input value.
    public typealias FieldError = MaestroDomain.FieldError

    public var status: HTTPResponse.Status
    /// A URI naming the kind of problem, stable for clients to branch on.
    public var type: String
    public var title: String
    public var detail: String
    public var instance: String?
    public var errors: [FieldError]
    /// Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`.
    public var headers: HTTPFields
    public let file: String
    public let line: UInt

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, errors: [FieldError] = [],
                headers: HTTPFields = [:], file: String = #fileID, line: UInt = #line) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = nil
        self.errors = errors
        self.headers = headers
        self.file = file
        self.line = line
    }

    public var description: String { "HTTPProblem \(status.code) \(type): \(detail)" }

    public static let mediaType = "application/problem+json"

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var problem = self
        if problem.instance == nil { problem.instance = request.uri.path }
        let body = try JSONEncoder().encode(Body(problem))
        var headers = self.headers
        headers[.contentType] = Self.mediaType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let instance: String?
        let errors: [FieldError]

        init(_ problem: HTTPProblem) {
            type = problem.type
            title = problem.title
            status = problem.status.code
            detail = problem.detail
            instance = problem.instance
            errors = problem.errors
        }
    }
}

extension HTTPProblem {
    private static func kind(_ slug: String) -> String { "urn:maestro:problem:\(slug)" }

    /// 400: the body is not well-formed JSON.
    public static func malformedJSON(_ detail: String = "The request body is not well-formed JSON.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.badRequest, type: kind("malformed-json"), title: "Malformed JSON", detail: detail, file: file, line: line)
    }

    /// 400: a header, query parameter or token is malformed.
    public static func badRequest(_ detail: String, errors: [FieldError] = [], file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.badRequest, type: kind("bad-request"), title: "Bad request", detail: detail, errors: errors, file: file, line: line)
    }

    /// 401, with `WWW-Authenticate: Bearer`. The detail never says which check failed.
    public static func unauthorized(_ detail: String = "A valid bearer token is required.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.unauthorized, type: kind("unauthorized"), title: "Unauthorized", detail: detail,
                    headers: [.wwwAuthenticate: "Bearer"], file: file, line: line)
    }

    public static func forbidden(_ detail: String, file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.forbidden, type: kind("forbidden"), title: "Forbidden", detail: detail, file: file, line: line)
    }

    /// 404, also for another tenant's object, so its existence is not revealed.
    public static func notFound(_ detail: String = "No such resource.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.notFound, type: kind("not-found"), title: "Not found", detail: detail, file: file, line: line)
    }

    public static func methodNotAllowed(file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.methodNotAllowed, type: kind("method-not-allowed"), title: "Method not allowed",
                    detail: "This resource does not support the request method.", file: file, line: line)
    }

    public static func conflict(_ detail: String, file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.conflict, type: kind("conflict"), title: "Conflict", detail: detail, file: file, line: line)
    }

    /// 412: `If-Match` names a version that is no longer current.
    public static func preconditionFailed(_ detail: String = "The resource changed since it was read; fetch it again.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.preconditionFailed, type: kind("precondition-failed"), title: "Precondition failed", detail: detail, file: file, line: line)
    }

    public static func contentTooLarge(limit: Int, file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.contentTooLarge, type: kind("content-too-large"), title: "Content too large",
                    detail: "The request body exceeds the limit of \(limit) bytes.", file: file, line: line)
    }

    public static func unsupportedMediaType(_ detail: String = "The request body must be application/json.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.unsupportedMediaType, type: kind("unsupported-media-type"), title: "Unsupported media type", detail: detail, file: file, line: line)
    }

    /// 422: well-formed input with invalid values, one entry per field.
    public static func invalid(_ errors: [FieldError], detail: String = "The request has invalid values.", file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.unprocessableContent, type: kind("invalid-request"), title: "Invalid request", detail: detail, errors: errors, file: file, line: line)
    }

    /// 429 with `Retry-After` in whole seconds (at least 1).
    public static func tooManyRequests(retryAfter: Duration, file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        let seconds = max(1, Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up)))
        return HTTPProblem(.tooManyRequests, type: kind("rate-limited"), title: "Too many requests",
                           detail: "Rate limit exceeded; retry after \(seconds) s.", headers: [.retryAfter: String(seconds)], file: file, line: line)
    }

    /// 500. The detail is fixed: internals are logged, never returned.
    public static func internalError(file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.internalServerError, type: kind("internal-error"), title: "Internal server error",
                    detail: "The server failed to handle the request.", file: file, line: line)
    }

    public static func serviceUnavailable(_ detail: String, errors: [FieldError] = [], file: String = #fileID, line: UInt = #line) -> HTTPProblem {
        HTTPProblem(.serviceUnavailable, type: kind("service-unavailable"), title: "Service unavailable", detail: detail, errors: errors, file: file, line: line)
    }

    /// A problem for a bare status, e.g. one Hummingbird raised itself.
    static func status(_ status: HTTPResponse.Status) -> HTTPProblem {
        switch status {
        case .badRequest: .badRequest("The request is malformed.")
        case .unauthorized: .unauthorized()
        case .notFound: .notFound()
        case .methodNotAllowed: .methodNotAllowed()
        case .contentTooLarge: HTTPProblem(.contentTooLarge, type: kind("content-too-large"), title: "Content too large", detail: "The request body is too large.")
        case .unsupportedMediaType: .unsupportedMediaType()
        case .preconditionFailed: .preconditionFailed()
        default:
            status.code >= 500 ? (status == .internalServerError ? .internalError()
                                  : HTTPProblem(status, type: kind("server-error"), title: status.reasonPhrase, detail: "The server cannot handle the request now."))
                : HTTPProblem(status, type: kind("http-\(status.code)"), title: status.reasonPhrase, detail: status.reasonPhrase + ".")
        }
    }
}

extension HTTPProblem {
    /// The problem for a domain's refusal: one status per kind, the refusal's ``DomainError/detail``
    /// (an internal-state refusal answers the fixed 500 detail instead).
    public init(_ refusal: some DomainError, file: String = #fileID, line: UInt = #line) {
        let detail = refusal.detail
        switch refusal.kind {
        case .notFound: self = .notFound(detail ?? "No such resource.", file: file, line: line)
        case .alreadyExists, .conflict: self = .conflict(detail ?? refusal.description, file: file, line: line)
        case .stale: self = detail.map { .preconditionFailed($0, file: file, line: line) } ?? .preconditionFailed(file: file, line: line)
        case .invalid: self = detail.map { .invalid(refusal.fieldErrors, detail: $0, file: file, line: line) } ?? .invalid(refusal.fieldErrors, file: file, line: line)
        case .badRequest: self = .badRequest(detail ?? refusal.description, errors: refusal.fieldErrors, file: file, line: line)
        case .unauthenticated: self = detail.map { .unauthorized($0, file: file, line: line) } ?? .unauthorized(file: file, line: line)
        case .forbidden: self = .forbidden(detail ?? refusal.description, file: file, line: line)
        case .internalState: self = .internalError(file: file, line: line)
        }
    }

}
