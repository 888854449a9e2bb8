import Foundation
import Hummingbird
import Logging
import MaestroDomain
import NIOCore
import Tracing

/// The request context of every Maestro service.
///
/// ``AuthenticationMiddleware`` sets ``principal`` on every route outside ``ServiceRoutes/open``,
/// so handlers there may rely on ``caller``.
public struct MaestroRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or a UUIDv7 generated for this request.
    public var requestID: String
    public var principal: Principal?
    /// The admission checks still to run with the handler's first Redis read, on
    /// ``ServiceRoutes/cachedReads`` (``AdmissionMiddleware``).
    public internal(set) var admission: RequestAdmission?
    /// Set by ``BodyLimitMiddleware`` to the configured limit.
    public var maxUploadSize: Int
    /// The request's server span, while tracing is on (``RequestTracingMiddleware``).
    public internal(set) var requestSpan: (any Span)?
    /// The TCP peer's IP address: the client, or the last proxy in front of the service;
    /// `nil` in router tests.
    public let peerAddress: String?
    /// Completes when the client stops sending or hangs up (``ClientGoneHandler``), for
    /// ``ClientDisconnectMiddleware``; nil in router tests.
    public let connectionClosed: EventLoopFuture<Void>?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = ""
        principal = nil
        admission = nil
        maxUploadSize = ServiceConfiguration.defaultMaxBodyBytes
        requestSpan = nil
        peerAddress = source.channel.remoteAddress?.ipAddress
        connectionClosed = ClientGoneHandler.future(for: source.channel)
    }

    /// The authenticated caller; 401 if the route was reached without one.
    public func requirePrincipal() throws(HTTPProblem) -> Principal {
        guard let principal else { throw .unauthorized() }
        return principal
    }

    /// The authenticated caller; 401 if the route was reached without one.
    public var caller: Caller {
        get throws(HTTPProblem) { try requirePrincipal().caller }
    }

    /// A path parameter, percent-decoded; 400 when missing or not valid percent-encoding.
    public func pathParameter(_ name: String) throws(HTTPProblem) -> String {
        guard let raw = parameters.get(name), let decoded = raw.removingPercentEncoding else {
            throw .badRequest("The path parameter \(name) is missing or not valid percent-encoding.", errors: [.init(field: name, message: "is missing or not valid percent-encoding")])
        }
        return decoded
    }

    /// A whole-number path parameter of at least `minimum`; 400 otherwise, naming it `label`
    /// (the parameter's name by default) in the detail.
    public func integerParameter(_ name: String, minimum: Int, label: String? = nil) throws(HTTPProblem) -> Int {
        guard let raw = parameters.get(name), let number = Int(raw), number >= minimum else {
            let rule = minimum == 1 ? "a positive integer" : "a whole number from \(minimum)"
            throw .badRequest("The \(label ?? name) must be \(rule).", errors: [.init(field: name, message: "must be \(rule)")])
        }
        return number
    }

    /// A UUID path parameter; 400 otherwise.
    public func uuidParameter(_ name: String) throws(HTTPProblem) -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else {
            throw .badRequest("The \(name) must be a UUID.", errors: [.init(field: name, message: "must be a UUID")])
        }
        return id
    }

    /// The authenticated caller if it holds `role`; 401 without a caller, 403 without the role.
    @discardableResult
    public func require(_ role: Role) throws(HTTPProblem) -> Principal {
        let principal = try requirePrincipal()
        guard principal.has(role) else { throw .forbidden("This operation requires the \(role) role.") }
        return principal
    }
}
