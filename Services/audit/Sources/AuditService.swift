import Foundation
import Hummingbird
import Logging
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import MaestroService
import PostgresNIO

/// `maestro-audit`: every record of every `maestro.*` topic appended, once, to a per-tenant
/// RFC 9162 Merkle log, with inclusion and consistency proofs, Ed25519-signed checkpoints,
/// streamed exports and model compliance reports. Port 7103, schema `audit`, topic
/// `maestro.audit.events`.
///
/// Start-up: configuration, migrations as the schema owner, the signing key (its public half
/// recorded), the token keys, then the clients, the outbox relay, the ingest consumer, the
/// checkpoint timer and the HTTP server in one service group.
enum AuditService {
    static let defaultPort = 7103
    static let openPaths: Set<String> = ["/v1/audit/public-keys"]

    static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError(problems: ["audit's Migrations resource is missing from the build"])
        }
        return try Migration.load(from: directory)
    }

    static func openAPI() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError(problems: ["audit's openapi.yaml resource is missing from the build"])
        }
        return OpenAPIDocument(bytes: Array(try Data(contentsOf: url)))
    }

    static func run(environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let configuration = try ServiceConfiguration(environment: environment, defaultPort: defaultPort)
        let settings = try AuditSettings(environment: environment)
        let signingKey = try settings.loadSigningKey()
        ServiceLogging.bootstrap(configuration)
        ServiceMetrics.bootstrap()
        let logger = Logger(label: "maestro.audit")
        let postgresSettings = try await configuration.migratePostgres(schema: AuditLogStore.schema, migrations: migrations(), logger: logger)

        let verifier = TokenVerifier(source: configuration.keySource, logger: logger)
        try await verifier.load()
        let postgres = PostgresClient(configuration: postgresSettings.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: configuration.kafkaBrokers, clientId: "maestro-audit"),
                                         logger: logger)
        let store = AuditLogStore(client: postgres, settings: postgresSettings, key: signingKey, checkpointEvery: settings.checkpointEntries, logger: logger)
        let relay = OutboxRelay(client: postgres, producer: producer, settings: postgresSettings, logger: logger)
        let ingest = try AuditIngest(name: configuration.consumerGroup(AuditLogStore.consumerName), topicPattern: settings.topicPattern,
                                     bootstrapServers: configuration.kafkaBrokers, store: store, logger: logger)
        let checkpointer = Checkpointer(store: store, interval: settings.checkpointInterval, logger: logger)

        let app = MaestroApplication.build(
            name: "maestro-audit", configuration: configuration, logger: logger, verifier: verifier,
            services: .init(producer: producer, postgres: postgres, redis: redis, relay: relay, consumers: [ingest, checkpointer]),
            readiness: [.postgres(postgres), .redis(redis), .kafka(KafkaAdmin(bootstrapServers: configuration.kafkaBrokers, logger: logger))],
            openAPI: try openAPI(), openPaths: openPaths,
            beforeServerStarts: { try await store.registerSigningKey() },
            routes: { router in AuditAPI(store: store, settings: settings).register(on: router) })
        try await app.runService()
    }
}
