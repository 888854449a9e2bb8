import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import PostgresNIO
import ServiceLifecycle

/// Runs a ``ServiceDefinition``: the one way a Maestro service starts, serves and stops.
///
/// Start-up: configuration (the kit's and the service's settings, every problem reported
/// together), logging and metrics, migrations as the schema owner
/// (`MAESTRO_POSTGRES_MIGRATION_URL`, else `MAESTRO_POSTGRES_URL`), the clients, the service,
/// then one `ServiceGroup`. Shutdown goes in reverse start order: the server stops accepting and
/// finishes in-flight requests, then workers, consumers, inbox retention and the outbox relay
/// stop (committing offsets), then Redis and PostgreSQL close, and the Kafka producer stops
/// last, so it flushes everything the others published.
public enum ServiceRunner {
    /// Runs the service until SIGTERM or SIGINT. A configuration problem exits with status 2
    /// and one line per problem; any other start-up failure with status 1.
    public static func main<Definition: ServiceDefinition>(_ definition: Definition.Type,
                                                            environment: [String: String] = ProcessInfo.processInfo.environment) async {
        do {
            try await run(definition, environment: environment)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("\(Definition.identity.binary): \(error)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("\(Definition.identity.binary): \(String(reflecting: error))\n".utf8))
            exit(1)
        }
    }

    /// Reads the kit's configuration and the service's settings together.
    public static func configuration<Definition: ServiceDefinition>(
        _: Definition.Type, environment: [String: String]
    ) throws(ConfigurationError) -> (ServiceConfiguration, Definition.Settings) {
        var problems: [String] = []
        var configuration: ServiceConfiguration?
        do { configuration = try ServiceConfiguration(environment: environment, defaultPort: Definition.identity.defaultPort) } catch {
            problems += error.problems
        }
        var reader = SettingsReader(environment: environment)
        if reader.isProduction && Definition.identity != ServiceCatalog.governance {
            reader.require(ServiceConfiguration.requiredInProductionBesideGovernance)
        }
        let settings = Definition.Settings(reading: &reader)
        problems += reader.problems
        guard let configuration, problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return (configuration, settings)
    }

    public static func run<Definition: ServiceDefinition>(_ definition: Definition.Type, environment: [String: String]) async throws {
        let identity = Definition.identity
        let (configuration, settings) = try configuration(definition, environment: environment)
        let tracing = try ServiceTracing.bootstrap(serviceName: identity.binary, environment: environment)
        ServiceLogging.bootstrap(configuration)
        ServiceMetrics.bootstrap()
        let logger = Logger(label: "maestro.\(identity.name)")
        let postgresSettings = try await configuration.migratePostgres(schema: identity.schema, migrations: Definition.migrations(), logger: logger)

        let postgres = PostgresClient(configuration: postgresSettings.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: configuration.kafkaBrokers, clientId: identity.binary,
                                                                                    properties: configuration.kafkaProperties),
                                         logger: logger)
        let kit = ServiceKit(configuration: configuration, postgres: postgres, postgresSettings: postgresSettings, redis: redis, logger: logger)
        let service = try await Definition(kit: kit, settings: settings)
        let verifier: TokenVerifier
        if let own = service.tokenVerifier {
            verifier = own
        } else {
            // Loaded before anything consumes or serves: a service that cannot verify tokens
            // stops here, before it joins a consumer group. A key set served by governance is
            // waited for (services of one deployment start together, governance among them);
            // a file is read once.
            verifier = TokenVerifier(configuration, logger: logger)
            try await loadKeySet(verifier, configuration: configuration, logger: logger)
        }

        let (signer, registration) = try await eventSigning(for: service, configuration: configuration, logger: logger)
        let eventVerifier = EventVerifier(source: service.eventKeySet ?? { try await configuration.eventKeySource.read() }, logger: logger)

        // The tracing exporter starts first, so it stops last and sends every span ended before.
        var services: [any Service] = (tracing.map { [$0] } ?? []) + [producer, postgres, redis]
        services += registration.map { [$0] } ?? []
        services.append(OutboxRelay(client: postgres, producer: producer, settings: postgresSettings, signer: signer, logger: logger))
        services.append(InboxSizeReporter(client: postgres, settings: postgresSettings, logger: logger))
        if case .pruned = Definition.inboxPolicy {
            services.append(InboxRetention(client: postgres, settings: postgresSettings, retention: configuration.inboxRetention, logger: logger))
        }
        for declaration in service.consumers {
            services.append(try declaration.consumer(configuration: configuration, producer: producer, verifier: eventVerifier, logger: logger))
        }
        // Every service applies governance's revocations to the shared deny list, so a revoked
        // token stops working everywhere within moments of the event.
        let revocations = RevocationList(redis: redis, logger: logger)
        services.append(try ConsumerDeclaration.events("\(identity.name).\(RevocationList.consumerName)", topics: [.governanceEvents]) { event, _ in
            try await revocations.apply(event)
        }.consumer(configuration: configuration, producer: producer, verifier: eventVerifier, logger: logger))
        services += service.workers

        let readiness: [ReadinessCheck] = [.postgres(postgres), .redis(redis),
                                           .kafka(KafkaAdmin(bootstrapServers: configuration.kafkaBrokers, properties: configuration.kafkaProperties, logger: logger))]
        let router = router(for: service, configuration: configuration, verifier: verifier, redis: redis, readiness: readiness,
                            openAPI: try Definition.openAPI(), logger: logger)
        var app = Application(router: router, server: httpServer,
                              configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: identity.binary),
                              services: services, logger: logger)
        app.beforeServerStarts {
            try await service.beforeServerStarts()
        }
        try await app.runService()
    }

    /// How long a service waits at start for governance to serve the key set that verifies tokens.
    static let keySetWait: Duration = .seconds(120)

    /// Loads the token key set; from a URL, retries every 2 s for ``keySetWait`` before giving up.
    static func loadKeySet(_ verifier: TokenVerifier, configuration: ServiceConfiguration, logger: Logger) async throws {
        let deadline = ContinuousClock.now + (configuration.keySource.isURL ? keySetWait : .zero)
        while true {
            do {
                return try await verifier.load()
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw ConfigurationError(problems: ["\(configuration.keySource): the key set that verifies tokens cannot be loaded: \(String(describing: error))"])
                }
                logger.warning("waiting for the key set that verifies tokens", metadata: ["source": "\(configuration.keySource)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// HTTP/1.1 with the kit's channel handlers: ``ClientGoneHandler`` lets a request's database
    /// work stop when its client hangs up.
    public static var httpServer: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ClientGoneHandler()]))
    }

    /// The service's event signer, from its key file, and how its key reaches governance: in
    /// process for governance itself, else over HTTP with the service account (a worker that
    /// holds the outbox relay until it succeeds). Without a service account the events are
    /// signed with a key governance does not know, which verifying consumers refuse.
    static func eventSigning<Definition: ServiceDefinition>(for service: Definition, configuration: ServiceConfiguration,
                                                            logger: Logger) async throws -> (EventSigner, (any Service)?) {
        let file = configuration.eventSigningKeyFile ?? ".maestro/keys/\(Definition.identity.name)-events.key"
        let key: EventSigningKey
        do { key = try EventSigningKey.load(file: file) } catch {
            throw ConfigurationError(problems: ["MAESTRO_EVENT_SIGNING_KEY_FILE: \(error)"])
        }
        let signer = EventSigner(key: key, registered: false)
        if let registrar = service.eventKeyRegistrar {
            return (signer, EventKeyRegistration(signer: signer, register: { try await registrar(key.publicKey) }, logger: logger))
        }
        guard let account = configuration.serviceAccountKey else {
            logger.warning("MAESTRO_SERVICE_ACCOUNT_KEY is not set: governance does not know this service's event key, so consumers that verify producers refuse its events",
                           metadata: ["kid": "\(key.keyID)"])
            return (EventSigner(key: key, registered: true), nil)
        }
        return (signer, EventKeyRegistration(signer: signer, register: EventKeyRegistration.overHTTP(governance: configuration.governanceURL, serviceAccountKey: account, key: key),
                                             logger: logger))
    }

    /// The service's router: the kit's middleware and standard routes, then the service's own.
    ///
    /// Middleware, outermost first: tracing (a server span per request, named by its route
    /// template, continuing an incoming `traceparent`), request id, access log, metrics, problem
    /// mapping, the NUL guard on path and query (``TextGuard``), body size limit, the client
    /// disconnect watch (``ClientDisconnectMiddleware``); then, per
    /// route group (``ServiceRoutes``), authentication, the admission (revocations and the rate
    /// limit, ``AdmissionMiddleware``), `Idempotency-Key` and role requirements.
    public static func router<Definition: ServiceDefinition>(for service: Definition, configuration: ServiceConfiguration, verifier: TokenVerifier,
                                                              redis: RedisClient?, readiness: [ReadinessCheck], openAPI: OpenAPIDocument?,
                                                              logger: Logger) -> Router<MaestroRequestContext> {
        let router = baseRouter(configuration: configuration, errorFormats: service.errorFormats, readiness: readiness, logger: logger)
        service.routes(ServiceRoutes(router: router, verifier: verifier, redis: redis, configuration: configuration, openAPI: openAPI))
        return router
    }

    /// The kit's middleware and open standard routes alone (`/health/*`, `/metrics`).
    static func baseRouter(configuration: ServiceConfiguration, errorFormats: [CompatibilityErrorFormat] = [], readiness: [ReadinessCheck],
                           tracing: Bool = true, logger: Logger) -> Router<MaestroRequestContext> {
        let router = Router(context: MaestroRequestContext.self)
        if tracing { router.add(middleware: RequestTracingMiddleware()) }
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: ProblemMiddleware(formats: errorFormats))
        router.add(middleware: TextGuardMiddleware())
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        router.add(middleware: ClientDisconnectMiddleware())
        StandardRoutes.add(to: router, readiness: readiness, logger: logger)
        return router
    }

    /// Routes for tests and benchmarks of the kit itself, declared like a service's. Without
    /// `tracing`, the router has no tracing middleware at all: the benchmark's baseline for
    /// what tracing costs.
    public static func router(configuration: ServiceConfiguration, verifier: TokenVerifier, redis: RedisClient?, readiness: [ReadinessCheck] = [],
                              openAPI: OpenAPIDocument? = nil, tracing: Bool = true, logger: Logger,
                              routes: (ServiceRoutes) -> Void) -> Router<MaestroRequestContext> {
        let router = baseRouter(configuration: configuration, readiness: readiness, tracing: tracing, logger: logger)
        routes(ServiceRoutes(router: router, verifier: verifier, redis: redis, configuration: configuration, openAPI: openAPI))
        return router
    }
}
