import Hummingbird
import Logging
import MaestroDomain
import MaestroEvents

/// Gives each request an id: the caller's `X-Request-Id` when it is a plain token of at
/// most 128 characters, otherwise a new UUIDv7. The id is in every log line of the request
/// (`request_id`) and in the response's `X-Request-Id`.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    public static let header = HTTPFields.Element.Name("X-Request-Id")!

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap { Self.isAcceptable($0) ? $0 : nil } ?? UUIDv7.string()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    /// Letters, digits and `-_.:`, so a caller cannot inject text into log lines.
    static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A
        }
    }
}
