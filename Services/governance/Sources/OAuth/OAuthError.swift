import Foundation
import HTTPTypes
import Hummingbird
import MaestroService

/// A token endpoint error (RFC 6749 §5.2), answered as `{"error", "error_description"}`.
///
/// Every credential failure of one grant is the same error with the same description, so an
/// answer never tells whether a principal, a key or a tenant exists.
struct OAuthError: Error, Sendable, CustomStringConvertible {
    enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unsupportedGrantType = "unsupported_grant_type"
        case invalidScope = "invalid_scope"
        /// Rate limited (RFC 6749 §4.1.2.1's code for a server that cannot answer now).
        case temporarilyUnavailable = "temporarily_unavailable"
        case serverError = "server_error"
    }

    let code: Code
    let detail: String
    var status: HTTPResponse.Status = .badRequest
    var headers: HTTPFields = [:]

    var description: String { "OAuthError \(status.code) \(code.rawValue): \(detail)" }

    static func invalidRequest(_ detail: String, status: HTTPResponse.Status = .badRequest) -> OAuthError {
        OAuthError(code: .invalidRequest, detail: detail, status: status)
    }

    /// 401 with a Basic challenge (RFC 9110 requires a challenge on every 401), whichever
    /// authentication method the client tried.
    static let invalidClient = OAuthError(code: .invalidClient, detail: "Client authentication failed.", status: .unauthorized,
                                          headers: [.wwwAuthenticate: #"Basic realm="maestro""#])
    static let invalidGrant = OAuthError(code: .invalidGrant, detail: "The username or password is invalid.")

    static func unsupportedGrantType(_ detail: String) -> OAuthError {
        OAuthError(code: .unsupportedGrantType, detail: detail)
    }

    static func invalidScope(_ detail: String) -> OAuthError {
        OAuthError(code: .invalidScope, detail: detail)
    }

    static func rateLimited(retryAfter: Duration) -> OAuthError {
        let limited = HTTPProblem.tooManyRequests(retryAfter: retryAfter)
        return OAuthError(code: .temporarilyUnavailable, detail: limited.detail, status: .tooManyRequests, headers: limited.headers)
    }

    /// A problem the kit raised before the endpoint ran (413, 404, 405, 500, …), in OAuth form;
    /// the problem's own headers are added by the kit.
    init(_ problem: HTTPProblem) {
        let code: Code = switch problem.status.code {
        case 401: .invalidClient
        case 429: .temporarilyUnavailable
        case 500...: .serverError
        default: .invalidRequest
        }
        self.init(code: code, detail: problem.detail, status: problem.status)
    }

    private init(code: Code, detail: String, status: HTTPResponse.Status = .badRequest, headers: HTTPFields = [:]) {
        self.code = code
        self.detail = detail
        self.status = status
        self.headers = headers
    }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        headers[.pragma] = "no-cache"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(Body(error: code.rawValue, errorDescription: detail))) ?? Data()
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Encoded with sorted keys, so equal errors are equal bytes.
    private struct Body: Encodable {
        let error: String
        let errorDescription: String

        enum CodingKeys: String, CodingKey {
            case error, errorDescription = "error_description"
        }
    }

    /// Every error under `/oauth/` in this shape, the kit's problems included, so OAuth clients
    /// can read any refusal of the token endpoint.
    static let errorFormat = CompatibilityErrorFormat(pathPrefixes: ["/oauth/"], renderOwn: { error in
        (error as? OAuthError)?.response
    }, render: { problem in
        OAuthError(problem).response
    })
}

extension HTTPField.Name {
    /// RFC 6749 §5.1 asks token responses to carry `Pragma: no-cache` beside `Cache-Control: no-store`.
    static let pragma = HTTPField.Name("Pragma")!
}
