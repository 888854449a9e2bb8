import Hummingbird
import Logging
import MaestroDomain
import MaestroRedis

/// Where a service declares its routes, each in a group that states who may call it.
///
/// Access is part of the route's registration, never matched by path strings: a route in
/// ``open`` needs nothing; every other group requires a verified, unrevoked bearer token (401 without)
/// and, with Redis, applies the per-principal rate limit and `Idempotency-Key`; a role group
/// also requires the role (403 without).
public struct ServiceRoutes {
    public typealias Group = RouterGroup<MaestroRequestContext>

    /// Routes anyone may call, e.g. a token exchange or public keys.
    public let open: Group
    private let signedIn: Group

    /// - Parameter openAPI: served at `/openapi.yaml`, and rendered at `/docs`, without a token.
    init(router: Router<MaestroRequestContext>, verifier: TokenVerifier, redis: RedisClient?, configuration: ServiceConfiguration,
         openAPI: OpenAPIDocument?) {
        open = router.group()
        signedIn = router.group().add(middleware: AuthenticationMiddleware(
            verifier: verifier, revocations: redis.map { RevocationList(redis: $0, logger: Logger(label: "maestro.revocations")) }))
        if let redis {
            signedIn.add(middleware: RateLimitMiddleware(redis: redis, limit: configuration.rateLimit))
            signedIn.add(middleware: IdempotencyMiddleware(redis: redis))
        }
        if let openAPI {
            StandardRoutes.addOpenAPI(openAPI, to: open)
            APIReference.add(to: open)
        }
    }

    /// Routes for any authenticated caller of the tenant; the handler decides the rest (e.g. a
    /// principal reading itself, or a request's own author).
    public var authenticated: Group {
        signedIn.group()
    }

    /// Routes for callers holding `role`.
    public func requiring(_ role: Role) -> Group {
        signedIn.group().add(middleware: RoleRequirement(role))
    }

    /// Routes where reading (GET, HEAD) needs `viewer` and changing needs `editor`.
    public var readsAndWrites: Group {
        signedIn.group().add(middleware: RoleRequirement.readsAndWrites)
    }
}
