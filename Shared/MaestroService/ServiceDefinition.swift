import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import PostgresNIO
import ServiceLifecycle

/// What a service is, declared once; the kit runs it (``ServiceRunner``).
///
/// A service declares its identity, its settings, its routes (each in a group that states who
/// may call it), its consumers and its workers. Configuration, logging, metrics, migrations,
/// clients, the outbox relay, inbox retention, consumers, HTTP and the shutdown order are the
/// kit's, the same in every service. Tests build the same router from the same definition.
public protocol ServiceDefinition: Sendable {
    /// The service's own `MAESTRO_<SERVICE>_*` settings, read with the kit's.
    associatedtype Settings: ServiceSettings = NoSettings
    /// The domain whose events the service publishes; its topic is `identity.topic`.
    associatedtype Events: EventDomain

    /// The service's entry in ``ServiceCatalog``.
    static var identity: ServiceIdentity { get }
    /// The bundle holding `Migrations/` and `openapi.yaml` (the target's `Bundle.module`).
    static var resources: Bundle { get }
    /// How long the inbox remembers handled events.
    static var inboxPolicy: InboxPolicy { get }

    /// Builds the service from the kit's clients. Runs after migrations, before anything starts.
    init(kit: ServiceKit, settings: Settings) async throws

    /// Declares every route in the group that states who may call it.
    func routes(_ routes: ServiceRoutes)
    /// The event consumers; the kit runs each in its own consumer group.
    var consumers: [ConsumerDeclaration] { get }
    /// Further long-lived work (timers, sweepers), each a swift-service-lifecycle `Service`.
    var workers: [any Service] { get }
    /// Compatibility APIs answering errors in their own shape.
    var errorFormats: [CompatibilityErrorFormat] { get }
    /// The verifier of bearer tokens; `nil` verifies against the configured JWKS.
    var tokenVerifier: TokenVerifier? { get }
    /// Where governance's event key set comes from; `nil` reads the configured one
    /// (``ServiceConfiguration/eventKeySource``). Governance reads its own.
    var eventKeySet: EventVerifier.Source? { get }
    /// Registers the service's event key with the trust root in-process; `nil` registers it
    /// over HTTP with the service account (``ServiceConfiguration/serviceAccountKey``). Only
    /// governance, the trust root, has one.
    var eventKeyRegistrar: (@Sendable (EventPublicKey) async throws -> Void)? { get }
    /// Runs once the clients run and before the port opens; throwing stops the service.
    func beforeServerStarts() async throws
}

extension ServiceDefinition {
    public static var inboxPolicy: InboxPolicy { .pruned }
    public var consumers: [ConsumerDeclaration] { [] }
    public var workers: [any Service] { [] }
    public var errorFormats: [CompatibilityErrorFormat] { [] }
    public var tokenVerifier: TokenVerifier? { nil }
    public var eventKeySet: EventVerifier.Source? { nil }
    public var eventKeyRegistrar: (@Sendable (EventPublicKey) async throws -> Void)? { nil }
    public func beforeServerStarts() async throws {}

    /// The service's schema, typed by its domain: it emits only its own events.
    public static func database(_ kit: ServiceKit) -> ServiceDatabase<Events> {
        ServiceDatabase(client: kit.postgres, settings: kit.postgresSettings, logger: kit.logger)
    }

    /// The service's migrations, from its `Migrations/` resource.
    public static func migrations() throws -> [Migration] {
        guard let directory = resources.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError(problems: ["\(identity.name)'s Migrations resource is missing from the build"])
        }
        return try Migration.load(from: directory)
    }

    /// The service's OpenAPI document, served at `/openapi.yaml`.
    public static func openAPI() throws -> OpenAPIDocument {
        guard let url = resources.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError(problems: ["\(identity.name)'s openapi.yaml resource is missing from the build"])
        }
        return OpenAPIDocument(bytes: Array(try Data(contentsOf: url)))
    }

    /// The executable's entry point: `@main` on the definition runs it.
    public static func main() async {
        await ServiceRunner.main(Self.self)
    }
}

/// How long a service's inbox remembers the events its consumers handled.
public enum InboxPolicy: Sendable {
    /// Entries older than `MAESTRO_INBOX_RETENTION_HOURS` are pruned (``InboxRetention``): a
    /// redelivery older than that is applied again, so the retention must exceed the topics'.
    case pruned
    /// Never pruned: for a service whose exactly-once guarantee must hold against any replay,
    /// however old (a new consumer group reads every topic from its earliest record).
    case keptForever
}

/// A service's own settings, read from the environment together with the kit's, so that
/// start-up reports every bad variable at once, one line each.
public protocol ServiceSettings: Sendable {
    init(reading reader: inout SettingsReader)
}

/// For services without settings of their own.
public struct NoSettings: ServiceSettings {
    public init(reading reader: inout SettingsReader) {}
}

/// The clients and settings the kit made for a service.
public struct ServiceKit: Sendable {
    public let configuration: ServiceConfiguration
    /// On the service's runtime role (NOBYPASSRLS), for its own schema.
    public let postgres: PostgresClient
    public let postgresSettings: PostgresSettings
    public let redis: RedisClient
    public let logger: Logger

    public init(configuration: ServiceConfiguration, postgres: PostgresClient, postgresSettings: PostgresSettings, redis: RedisClient, logger: Logger) {
        self.configuration = configuration
        self.postgres = postgres
        self.postgresSettings = postgresSettings
        self.redis = redis
        self.logger = logger
    }
}

/// A consumer a service declares; the kit creates it with the deployment's group prefix, its
/// producer (for dead letters) and its brokers.
public struct ConsumerDeclaration: Sendable {
    enum Handling: Sendable {
        case events([Topic], verifiesProducers: Bool, EventConsumer.Handler)
        case records(subscription: String, maxBatchSize: Int, properties: [String: String], verifiesProducers: Bool, @Sendable (ReceivedBatch) async throws -> Void)
    }

    /// The consumer group's name, before the deployment's prefix; also its inbox name.
    public let name: String
    let handling: Handling

    /// CloudEvents of `topics`, one at a time through the kit's pipeline: schema checks, dead
    /// letters for poison, retries for transient failures, offsets stored after handling.
    /// Unless `verifiesProducers` is false, an event from a Maestro service's topic whose
    /// signature does not prove that service produced it is a dead letter: a consumer that acts
    /// on another domain's decisions must keep the default.
    public static func events(_ name: String, topics: [Topic], verifiesProducers: Bool = true,
                              handler: @escaping EventConsumer.Handler) -> ConsumerDeclaration {
        ConsumerDeclaration(name: name, handling: .events(topics, verifiesProducers: verifiesProducers, handler))
    }

    /// Raw records of the topics matching `subscription` (a name, or a regular expression
    /// starting with `^`), in batches, each retried until its handler succeeds. With
    /// `verifiesProducers`, each batch says what every record's signature proves
    /// (``ReceivedBatch/provenance``); nothing is refused.
    public static func records(_ name: String, subscription: String, maxBatchSize: Int, properties: [String: String] = [:],
                               verifiesProducers: Bool = false,
                               handler: @escaping @Sendable (ReceivedBatch) async throws -> Void) -> ConsumerDeclaration {
        ConsumerDeclaration(name: name, handling: .records(subscription: subscription, maxBatchSize: maxBatchSize, properties: properties,
                                                           verifiesProducers: verifiesProducers, handler))
    }

    /// The running consumer, in group `<MAESTRO_CONSUMER_GROUP_PREFIX><name>` on the configured brokers.
    /// - Parameter overriding: librdkafka properties set over the declaration's (tests shorten
    ///   session timeouts with it).
    /// - Parameter verifier: checks producers for a consumer that verifies them; without one,
    ///   such a consumer cannot be created.
    public func consumer(configuration: ServiceConfiguration, producer: KafkaProducer, verifier: EventVerifier?, logger: Logger,
                         overriding overrides: [String: String] = [:]) throws(KafkaError) -> EventConsumer {
        let group = configuration.consumerGroup(name)
        let overrides = configuration.kafkaProperties.merging(overrides) { _, override in override }
        switch handling {
        case .events(let topics, let verifiesProducers, let handler):
            precondition(!verifiesProducers || verifier != nil, "consumer \(name) verifies producers but has no verifier")
            return try EventConsumer(configuration: EventConsumerConfiguration(name: group, subscription: topics.map(\.name), bootstrapServers: configuration.kafkaBrokers,
                                                                               properties: overrides),
                                     producer: producer, verifier: verifiesProducers ? verifier : nil, logger: logger, handler: handler)
        case .records(let subscription, let maxBatchSize, let properties, let verifiesProducers, let handler):
            precondition(!verifiesProducers || verifier != nil, "consumer \(name) verifies producers but has no verifier")
            return try EventConsumer(records: EventConsumerConfiguration(name: group, subscription: [subscription], bootstrapServers: configuration.kafkaBrokers,
                                                                         maxBatchSize: maxBatchSize, properties: properties.merging(overrides) { _, override in override }),
                                     verifier: verifiesProducers ? verifier : nil, logger: logger, handler: handler)
        }
    }
}
