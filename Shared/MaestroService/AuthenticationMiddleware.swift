import Foundation
import Hummingbird
import Logging

/// Requires a verified bearer token on every route except `/health/*` and `/metrics`,
/// and puts its ``Principal`` in the context. A request without one gets 401.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let verifier: TokenVerifier
    let openPaths: Set<String>

    /// - Parameter openPaths: further exact paths anyone may call (e.g. governance's token exchange).
    public init(verifier: TokenVerifier, openPaths: Set<String> = []) {
        self.verifier = verifier
        self.openPaths = openPaths
    }

    /// The routes anyone may call (DESIGN §5).
    public static func isOpen(_ path: String) -> Bool {
        path == "/metrics" || path.hasPrefix("/health/")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isOpen(request.uri.path) || openPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
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
        return try await next(request, context)
    }
}

/// Lets a route through only for principals holding a role: 403 otherwise.
///
/// Add it to a route group: `group.add(middleware: RoleRequirement(.editor))`.
/// ``readsAndWrites`` is the common default: `viewer` for GET and HEAD, `editor` otherwise.
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
