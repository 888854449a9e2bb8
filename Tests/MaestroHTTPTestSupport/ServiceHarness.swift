import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MaestroEvents
import MaestroPostgres
import MaestroRedis
import MaestroService
import MaestroTestSupport
import PostgresNIO

/// Any service on the servers `make test` started, built from its definition exactly as the
/// kit builds it in production: a fresh database migrated with the service's migrations as the
/// owner, the service on the NOBYPASSRLS runtime role, Redis, and the full router (kit
/// middleware, the service's route groups). Tokens are signed with a dev key whose JWKS the
/// router verifies against, unless the service verifies with its own key set.
public struct ServiceHarness<Definition: ServiceDefinition>: @unchecked Sendable {
    public let database: TestDatabase
    public let client: PostgresClient
    public let redis: RedisClient
    public let kit: ServiceKit
    public let service: Definition
    public let settings: Definition.Settings
    /// Complete before a test sees the harness, and only read afterwards.
    public let router: Router<MaestroRequestContext>
    public let signingKey: DevSigningKey

    public static var logger: Logger {
        var logger = Logger(label: "maestro.\(Definition.identity.name).test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    /// Runs `body` with a fresh service; the PostgreSQL and Redis clients run around it.
    /// - Parameters:
    ///   - environment: further `MAESTRO_*` variables, the service's settings among them.
    ///   - adjust: changes settings that no variable sets (e.g. to make a wait zero in a test).
    public static func with<Result: Sendable>(environment: [String: String] = [:], adjusting adjust: (inout Definition.Settings) -> Void = { _ in },
                                              _ body: (ServiceHarness) async throws -> Result) async throws -> Result {
        let logger = Self.logger
        let schema = Definition.identity.schema
        let database: TestDatabase
        do {
            database = try await TestDatabase.create()
            try await PostgresMigrator.migrate(settings: try database.ownerSettings(schema: schema), runtimeLoginRole: database.runtimeRole,
                                               migrations: Definition.migrations(), logger: logger)
        } catch {
            // PSQLError hides the server's message unless reflected; a failed setup should say what failed.
            throw TestSetupError("\(Definition.identity.name) test database setup failed: \(String(reflecting: error))")
        }
        let postgresSettings = try database.runtimeSettings(schema: schema)
        let client = makeClient(postgresSettings)
        let keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-\(Definition.identity.name)-tests-\(UUID().uuidString)")
        let signingKey = try DevSigningKey.loadOrCreate(in: keyDirectory, keyID: "\(Definition.identity.name)-test")
        var (configuration, settings) = try ServiceRunner.configuration(Definition.self, environment: [
            "MAESTRO_JWKS_FILE": keyDirectory.appendingPathComponent(DevSigningKey.jwksFile).path,
            "MAESTRO_REDIS_URL": try RedisTestSupport.configuredURL(),
            "MAESTRO_RATE_LIMIT_RPS": "100000", "MAESTRO_RATE_LIMIT_BURST": "100000",
        ].merging(environment) { _, given in given })
        adjust(&settings)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(poolSize: 4), logger: logger)
        defer { Task { await redis.close() } }
        let kit = ServiceKit(configuration: configuration, postgres: client, postgresSettings: postgresSettings, redis: redis, logger: logger)
        return try await withRunning(client) { _ in
            let service = try await Definition(kit: kit, settings: settings)
            let verifier = service.tokenVerifier ?? TokenVerifier(configuration, logger: logger)
            let router = ServiceRunner.router(for: service, configuration: configuration, verifier: verifier, redis: redis, readiness: [],
                                              openAPI: try Definition.openAPI(), logger: logger)
            try await service.beforeServerStarts()
            let harness = ServiceHarness(database: database, client: client, redis: redis, kit: kit, service: service, settings: settings,
                                         router: router, signingKey: signingKey)
            return try await body(harness)
        }
    }

    public var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    /// A token from the dev key (not for services that verify with their own key set).
    public func token(subject: String = "alice", tenant: String = "acme", roles: [String] = ["editor"]) async throws -> String {
        try await signingKey.token(subject: subject, tenant: tenant, roles: roles, lifetime: .seconds(600))
    }

    /// Runs `body` with a client on the schema owner's role, which row-level security does not limit.
    public func asOwner<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await withRunning(makeClient(try database.ownerSettings(schema: Definition.identity.schema)), body)
    }

    /// The events the service's outbox holds, oldest first.
    public func outboxEvents() async throws -> [OutboxEvent] {
        try await asOwner { owner in
            var events: [OutboxEvent] = []
            let rows = try await owner.query("""
                SELECT ce_type, key, convert_from(data, 'UTF8') FROM \(unescaped: Definition.identity.schema).outbox ORDER BY id
                """, logger: Self.logger)
            for try await (type, key, text) in rows.decode((String, String, String).self) {
                events.append(OutboxEvent(type: type, key: key, text: text))
            }
            return events
        }
    }
}

/// An event as the outbox stores it.
public struct OutboxEvent: Sendable {
    public let type: String
    public let key: String
    /// The `data`, as stored.
    public let text: String

    /// The `data`'s members; empty when it is not a JSON object.
    public var data: [String: JSONValue] {
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return [:] }
        return object
    }
}
