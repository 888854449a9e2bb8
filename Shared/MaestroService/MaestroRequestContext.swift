import Hummingbird
import Logging

/// The request context of every Maestro service.
///
/// ``AuthenticationMiddleware`` sets ``principal`` on every route except the open ones
/// (`/health/*`, `/metrics`), so handlers behind it may rely on ``requirePrincipal()``.
public struct MaestroRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or a UUIDv7 generated for this request.
    public var requestID: String
    public var principal: Principal?
    /// Set by ``BodyLimitMiddleware`` to the configured limit.
    public var maxUploadSize: Int

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = ""
        principal = nil
        maxUploadSize = ServiceConfiguration.defaultMaxBodyBytes
    }

    /// The authenticated caller; 401 if the route was reached without one.
    public func requirePrincipal() throws(HTTPProblem) -> Principal {
        guard let principal else { throw .unauthorized() }
        return principal
    }

    /// The authenticated caller if it holds `role`; 401 without a caller, 403 without the role.
    @discardableResult
    public func require(_ role: Role) throws(HTTPProblem) -> Principal {
        let principal = try requirePrincipal()
        guard principal.has(role) else { throw .forbidden("This operation requires the \(role) role.") }
        return principal
    }
}
