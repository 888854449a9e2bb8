import Hummingbird
import Logging
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import PostgresNIO
import ServiceLifecycle

/// The one way a Maestro service is assembled.
public enum MaestroApplication {
    /// The long-lived clients and workers of a service, each a swift-service-lifecycle `Service`.
    ///
    /// They run in one `ServiceGroup` with the HTTP server. Shutdown goes in reverse start
    /// order: the server stops accepting and finishes in-flight requests, then consumers
    /// and the outbox relay stop (committing offsets), then Redis and PostgreSQL close,
    /// and the Kafka producer stops last, so it flushes everything the others published.
    public struct Services: Sendable {
        public var producer: KafkaProducer?
        public var postgres: PostgresClient?
        public var redis: RedisClient?
        public var relay: OutboxRelay?
        public var consumers: [any Service]

        public init(producer: KafkaProducer? = nil, postgres: PostgresClient? = nil, redis: RedisClient? = nil,
                    relay: OutboxRelay? = nil, consumers: [any Service] = []) {
            self.producer = producer
            self.postgres = postgres
            self.redis = redis
            self.relay = relay
            self.consumers = consumers
        }

        /// Start order; the group stops them in reverse.
        var ordered: [any Service] {
            var services: [any Service] = []
            if let producer { services.append(producer) }
            if let postgres { services.append(postgres) }
            if let redis { services.append(redis) }
            if let relay { services.append(relay) }
            return services + consumers
        }
    }

    /// A router with the standard middleware and routes, then the service's own.
    ///
    /// Middleware, outermost first: request id, access log, metrics, problem mapping,
    /// body size limit, authentication, and, with Redis, the per-principal rate limit and
    /// `Idempotency-Key`. Routes the service adds inside `routes` need a valid token
    /// and should add a ``RoleRequirement``.
    /// - Parameter errorFormats: compatibility APIs whose paths answer errors in their own shape.
    public static func router(configuration: ServiceConfiguration, verifier: TokenVerifier, redis: RedisClient?,
                              readiness: [ReadinessCheck], openAPI: OpenAPIDocument?, errorFormats: [CompatibilityErrorFormat] = [],
                              openPaths: Set<String> = [], logger: Logger, routes: (Router<MaestroRequestContext>) -> Void) -> Router<MaestroRequestContext> {
        let router = Router(context: MaestroRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: ProblemMiddleware(formats: errorFormats))
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        router.add(middleware: AuthenticationMiddleware(verifier: verifier, openPaths: openPaths))
        if let redis {
            router.add(middleware: RateLimitMiddleware(redis: redis, limit: configuration.rateLimit))
            router.add(middleware: IdempotencyMiddleware(redis: redis))
        }
        StandardRoutes.add(to: router, readiness: readiness, openAPI: openAPI, logger: logger)
        routes(router)
        return router
    }

    /// The service as a Hummingbird application; `runService()` runs it until SIGTERM or
    /// SIGINT and then shuts down gracefully.
    ///
    /// - Parameter beforeServerStarts: runs once the services are started and before the
    ///   port opens, e.g. migrations; if it throws, the service stops.
    public static func build(name: String, configuration: ServiceConfiguration, logger: Logger, verifier: TokenVerifier,
                             services: Services, readiness: [ReadinessCheck], openAPI: OpenAPIDocument?,
                             errorFormats: [CompatibilityErrorFormat] = [], openPaths: Set<String> = [],
                             beforeServerStarts: @escaping @Sendable () async throws -> Void = {},
                             routes: (Router<MaestroRequestContext>) -> Void) -> some ApplicationProtocol {
        let router = router(configuration: configuration, verifier: verifier, redis: services.redis,
                            readiness: readiness, openAPI: openAPI, errorFormats: errorFormats, openPaths: openPaths, logger: logger, routes: routes)
        var app = Application(router: router,
                              configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: name),
                              services: services.ordered,
                              logger: logger)
        app.beforeServerStarts(perform: beforeServerStarts)
        return app
    }
}
