import Foundation
import Hummingbird
import Logging
import MaestroDomain
import MaestroTracing
import Tracing

/// Requires a verified bearer token and puts its ``Principal`` in the context; a request
/// without one gets 401. ``ServiceRoutes`` puts it on every route group except the open one,
/// followed, with Redis, by ``AdmissionMiddleware``, which refuses revoked tokens. The request's
/// server span gets the principal's tenant as `maestro.tenant`.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else {
            throw HTTPProblem.unauthorized("A bearer token is required.")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HTTPProblem.unauthorized("The Authorization header must be 'Bearer <token>'.")
        }
        let principal = try await verifier.verify(parts[1].trimmingCharacters(in: .whitespaces))
        var context = context
        context.principal = principal
        context.logger[metadataKey: "tenant"] = .string(principal.tenant)
        context.logger[metadataKey: "subject"] = .string(principal.subject)
        context.requestSpan?.attributes[SpanAttributeName.tenant] = principal.tenant
        return try await next(request, context)
    }
}

/// Lets a route through only for principals holding a role: 403 otherwise.
///
/// Services get it from ``ServiceRoutes`` (`requiring(_:)`, `readsAndWrites`), never add it by hand.
/// ``readsAndWrites``: `viewer` for GET and HEAD, `editor` otherwise.
public struct RoleRequirement: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let role: @Sendable (HTTPRequest.Method) -> Role

    public init(_ role: Role) {
        self.role = { _ in role }
    }

    private init(byMethod role: @escaping @Sendable (HTTPRequest.Method) -> Role) {
        self.role = role
    }

    public static let readsAndWrites = RoleRequirement(byMethod: { method in
        method == .get || method == .head ? .viewer : .editor
    })

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try context.require(role(request.method))
        return try await next(request, context)
    }
}
