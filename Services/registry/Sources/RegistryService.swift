import Foundation
import Hummingbird
import Logging
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import MaestroService
import PostgresNIO

/// `maestro-registry`: models, versions, aliases with history, model cards, MLflow-compatible
/// REST, promotions through governance. Port 7101, schema `registry`, topic `maestro.registry.events`.
///
/// Start-up: configuration (one line per problem), migrations as the schema owner
/// (`MAESTRO_POSTGRES_MIGRATION_URL`, else `MAESTRO_POSTGRES_URL`), the token keys, then the
/// clients, the outbox relay, the two consumers and the HTTP server in one service group.
public enum RegistryService {
    public static let name = "registry"
    public static let defaultPort = 7101

    public static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError(problems: ["the registry's Migrations resource is missing from the build"])
        }
        return try Migration.load(from: directory)
    }

    public static func openAPI() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError(problems: ["the registry's openapi.yaml resource is missing from the build"])
        }
        return OpenAPIDocument(bytes: Array(try Data(contentsOf: url)))
    }

    /// The routes of the service: the native API and the MLflow-compatible API.
    public static func routes(store: RegistryStore, cache: AliasCache?) -> (Router<MaestroRequestContext>) -> Void {
        { router in
            NativeAPI(store: store, cache: cache).register(on: router)
            MLflowAPI(store: store, cache: cache).register(on: router)
        }
    }

    public static func run(environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let configuration = try ServiceConfiguration(environment: environment, defaultPort: defaultPort)
        ServiceLogging.bootstrap(configuration)
        ServiceMetrics.bootstrap()
        let logger = Logger(label: "maestro.registry")
        let settings = try await configuration.migratePostgres(schema: RegistryStore.schema, migrations: migrations(), logger: logger)

        let verifier = TokenVerifier(source: configuration.keySource, logger: logger)
        try await verifier.load()
        let postgres = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: configuration.kafkaBrokers, clientId: "maestro-registry"),
                                         logger: logger)
        let store = RegistryStore(client: postgres, settings: settings, logger: logger)
        let cache = AliasCache(redis: redis, logger: logger)
        let relay = OutboxRelay(client: postgres, producer: producer, settings: settings, logger: logger)
        let decisions = GovernanceDecisionHandler(store: store, settings: settings, cache: cache)
        let governanceConsumer = try EventConsumer(
            configuration: EventConsumerConfiguration(name: configuration.consumerGroup(GovernanceDecisionHandler.consumerName), topics: [.governanceEvents],
                                                      bootstrapServers: configuration.kafkaBrokers),
            producer: producer, logger: logger) { event, _ in try await decisions.handle(event) }
        let invalidator = AliasCacheInvalidator(cache: cache)
        let cacheConsumer = try EventConsumer(
            configuration: EventConsumerConfiguration(name: configuration.consumerGroup(AliasCacheInvalidator.consumerName), topics: [.registryEvents],
                                                      bootstrapServers: configuration.kafkaBrokers),
            producer: producer, logger: logger) { event, message in await invalidator.handle(event, key: message.key) }

        let app = MaestroApplication.build(
            name: "maestro-registry", configuration: configuration, logger: logger, verifier: verifier,
            services: .init(producer: producer, postgres: postgres, redis: redis, relay: relay, consumers: [governanceConsumer, cacheConsumer]),
            readiness: [.postgres(postgres), .redis(redis), .kafka(KafkaAdmin(bootstrapServers: configuration.kafkaBrokers, logger: logger))],
            openAPI: try openAPI(), errorFormats: [MLflowAPI.errorFormat], routes: routes(store: store, cache: cache))
        try await app.runService()
    }
}
