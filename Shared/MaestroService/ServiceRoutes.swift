import Hummingbird
import Logging
import MaestroDomain
import MaestroRedis

/// Where a service declares its routes, each in a group that states who may call it.
///
/// Access is part of the route's registration, never matched by path strings: a route in
/// ``open`` needs nothing; every other group requires a verified bearer token (401 without)
/// and, with Redis, admits it (``AdmissionMiddleware``: not revoked, within the per-principal
/// rate limit) and applies `Idempotency-Key`; a role group also requires the role (403 without).
public struct ServiceRoutes {
    public typealias Group = RouterGroup<MaestroRequestContext>

    /// Routes anyone may call, e.g. a token exchange or public keys.
    public let open: Group
    /// Signed in and admitted before the handler runs.
    private let admitted: Group
    /// Signed in; admitted with the handler's first Redis read.
    private let admittedWithRead: Group

    /// - Parameter openAPI: served at `/openapi.yaml`, and rendered at `/docs`, without a token.
    init(router: Router<MaestroRequestContext>, verifier: TokenVerifier, redis: RedisClient?, configuration: ServiceConfiguration,
         openAPI: OpenAPIDocument?) {
        open = router.group()
        let signedIn = router.group().add(middleware: AuthenticationMiddleware(verifier: verifier))
        if let redis {
            admitted = signedIn.group()
                .add(middleware: AdmissionMiddleware(redis: redis, limit: configuration.rateLimit))
                .add(middleware: IdempotencyMiddleware(redis: redis))
            admittedWithRead = signedIn.group()
                .add(middleware: AdmissionMiddleware(redis: redis, limit: configuration.rateLimit, withHandlersRead: true))
        } else {
            admitted = signedIn
            admittedWithRead = signedIn
        }
        if let openAPI {
            StandardRoutes.addOpenAPI(openAPI, to: open)
            APIReference.add(to: open)
        }
    }

    /// Routes for any authenticated caller of the tenant; the handler decides the rest (e.g. a
    /// principal reading itself, or a request's own author).
    public var authenticated: Group {
        admitted.group()
    }

    /// Routes for callers holding `role`.
    public func requiring(_ role: Role) -> Group {
        admitted.group().add(middleware: RoleRequirement(role))
    }

    /// Routes where reading (GET, HEAD) needs `viewer` and changing needs `editor`.
    public var readsAndWrites: Group {
        admitted.group().add(middleware: RoleRequirement.readsAndWrites)
    }

    /// Reads (GET, `viewer`) answered from a Redis cache: the request's admission checks share
    /// the round trip of the handler's cache read, ``MaestroRequestContext/redisRead(_:on:)``,
    /// which the handler runs before any other work (or it calls
    /// ``MaestroRequestContext/admit()`` first). A cached answer costs one Redis round trip.
    public var cachedReads: Group {
        admittedWithRead.group().add(middleware: RoleRequirement.readsAndWrites)
    }
}
