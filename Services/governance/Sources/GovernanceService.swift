import Foundation
import Hummingbird
import Logging
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import MaestroService
import PostgresNIO

/// `maestro-governance`: tenants, principals, role bindings, API keys, ES256 access tokens and
/// the JWKS every service verifies against; approval policies and the approval workflow that
/// gates the registry's promotions. Port 7102, schema `governance`, topic
/// `maestro.governance.events`.
///
/// Start-up: configuration, migrations as the schema owner, a signing key, the bootstrap
/// admin on first start, then the clients, the outbox relay and the HTTP server. Governance
/// verifies tokens against its own key set, read from its database.
enum GovernanceService {
    static let defaultPort = 7102
    static let openPaths: Set<String> = ["/v1/tokens", "/.well-known/jwks.json"]

    static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError(problems: ["governance's Migrations resource is missing from the build"])
        }
        return try Migration.load(from: directory)
    }

    static func openAPI() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError(problems: ["governance's openapi.yaml resource is missing from the build"])
        }
        return OpenAPIDocument(bytes: Array(try Data(contentsOf: url)))
    }

    /// Verifies against the keys in governance's own database, reloading when a token names a new key.
    static func verifier(store: IdentityStore, logger: Logger) -> TokenVerifier {
        TokenVerifier(keySet: .provider { try await store.jwks() }, refreshInterval: .seconds(30), minimumRefreshInterval: .seconds(1), logger: logger)
    }

    static func run(environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
        let configuration = try ServiceConfiguration(environment: environment, defaultPort: defaultPort)
        let settings = try GovernanceSettings(environment: environment)
        ServiceLogging.bootstrap(configuration)
        ServiceMetrics.bootstrap()
        let logger = Logger(label: "maestro.governance")
        let postgresSettings = try await configuration.migratePostgres(schema: IdentityStore.schema, migrations: migrations(), logger: logger)

        let postgres = PostgresClient(configuration: postgresSettings.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(), logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: configuration.kafkaBrokers, clientId: "maestro-governance"),
                                         logger: logger)
        let store = IdentityStore(client: postgres, settings: postgresSettings, logger: logger)
        let relay = OutboxRelay(client: postgres, producer: producer, settings: postgresSettings, logger: logger)
        let verifier = verifier(store: store, logger: logger)
        let approvals = ApprovalStore(identity: store)
        let promotions = PromotionRequestHandler(approvals: approvals, inbox: Inbox(settings: postgresSettings))
        let promotionConsumer = try EventConsumer(
            configuration: EventConsumerConfiguration(name: configuration.consumerGroup(PromotionRequestHandler.consumerName), topics: [.registryEvents],
                                                      bootstrapServers: configuration.kafkaBrokers),
            producer: producer, logger: logger) { event, _ in try await promotions.handle(event) }
        let expiry = ApprovalExpiryService(approvals: approvals, interval: settings.expiryInterval)

        let app = MaestroApplication.build(
            name: "maestro-governance", configuration: configuration, logger: logger, verifier: verifier,
            services: .init(producer: producer, postgres: postgres, redis: redis, relay: relay, consumers: [promotionConsumer, expiry]),
            readiness: [.postgres(postgres), .redis(redis), .kafka(KafkaAdmin(bootstrapServers: configuration.kafkaBrokers, logger: logger))],
            openAPI: try openAPI(), openPaths: openPaths,
            beforeServerStarts: {
                try await store.ensureSigningKey()
                if let key = try await store.bootstrap(adminKey: settings.bootstrapAdminKey) {
                    let shown = settings.bootstrapAdminKey == nil ? key : "the one in MAESTRO_BOOTSTRAP_ADMIN_KEY"
                    FileHandle.standardOutput.write(Data("maestro-governance: created tenant default and principal admin; admin API key: \(shown)\n".utf8))
                }
            },
            routes: { router in
                IdentityAPI(store: store, settings: settings).register(on: router)
                ApprovalAPI(approvals: approvals).register(on: router)
            })
        try await app.runService()
    }
}
