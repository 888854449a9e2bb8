import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MaestroAuditLog
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Synchronization
@testable import Audit

/// An audit service on the PostgreSQL server `make test` started: a fresh database migrated with
/// audit's migrations (as the owner), the store on the NOBYPASSRLS runtime role, a fresh signing
/// key, and the full router (kit middleware and the audit API).
struct AuditHarness {
    let database: TestDatabase
    let client: PostgresClient
    let store: AuditLogStore
    let router: Router<MaestroRequestContext>
    let tokenKey: DevSigningKey
    let auditKey: AuditSigningKey
    let settings: AuditSettings

    static let logger: Logger = {
        var logger = Logger(label: "maestro.audit.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// Runs `body` with a fresh audit log; the PostgreSQL client runs around it.
    static func with<Result: Sendable>(checkpointEvery: Int = 1000, _ body: (AuditHarness) async throws -> Result) async throws -> Result {
        let database: TestDatabase
        do {
            database = try await TestDatabase.create()
            try await PostgresMigrator.migrate(settings: try database.ownerSettings(schema: AuditLogStore.schema), runtimeLoginRole: database.runtimeRole,
                                               migrations: AuditService.migrations(), logger: logger)
        } catch {
            throw TestSetupError("audit test database setup failed: \(String(reflecting: error))")
        }
        let postgresSettings = try database.runtimeSettings(schema: AuditLogStore.schema)
        let client = makeClient(postgresSettings)
        let keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-audit-tests-\(UUID().uuidString)")
        let tokenKey = try DevSigningKey.loadOrCreate(in: keyDirectory, keyID: "audit-test")
        let settings = try AuditSettings(environment: ["MAESTRO_AUDIT_OPERATOR_TENANT": "ops"])
        let configuration = try ServiceConfiguration(environment: [
            "MAESTRO_JWKS_FILE": keyDirectory.appendingPathComponent(DevSigningKey.jwksFile).path,
        ], defaultPort: 0)
        let auditKey = AuditSigningKey()
        let store = AuditLogStore(client: client, settings: postgresSettings, key: auditKey, checkpointEvery: checkpointEvery, logger: logger)
        let verifier = TokenVerifier(source: configuration.keySource, logger: logger)
        let router = MaestroApplication.router(configuration: configuration, verifier: verifier, redis: nil, readiness: [],
                                               openAPI: try AuditService.openAPI(), openPaths: AuditService.openPaths, logger: logger) { router in
            AuditAPI(store: store, settings: settings).register(on: router)
        }
        let harness = AuditHarness(database: database, client: client, store: store, router: router, tokenKey: tokenKey, auditKey: auditKey, settings: settings)
        return try await withRunning(client) { _ in
            do {
                try await store.registerSigningKey()
                return try await body(harness)
            } catch let error as PSQLError {
                // PSQLError hides the server's message unless reflected; a failing test should say what failed.
                throw TestSetupError(String(reflecting: error))
            }
        }
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    func token(subject: String = "alice", tenant: String = "acme", roles: [String] = ["viewer"]) async throws -> String {
        try await tokenKey.token(subject: subject, tenant: tenant, roles: roles, lifetime: .seconds(600))
    }

    /// Runs `body` as the schema's owner (who can disable the append-only triggers, as an attacker with the owner's password could).
    func asOwner<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await withRunning(makeClient(try database.ownerSettings(schema: AuditLogStore.schema)), body)
    }
}

/// Kafka records as the ingest consumer receives them.
enum Records {
    private static let nextOffset = Mutex<Int64>(0)

    /// A CloudEvent record; `offset` defaults to a fresh one.
    static func event(tenant: String? = "acme", type: String = "io.maestro.registry.model.created.v1", subject: String = "models/fraud",
                      id: String = UUIDv7.string(), authID: String? = "alice", correlationID: String? = nil, data: String = #"{"name":"fraud"}"#,
                      topic: String = "maestro.registry.events", offset: Int64? = nil) -> KafkaConsumerMessage {
        let event = CloudEvent(id: id, source: "/maestro/registry", type: type, subject: subject, tenant: tenant, authId: authID,
                               correlationId: correlationID ?? id, data: Array(data.utf8))
        let produced = event.kafkaMessage(topic: topic, key: subject)
        return KafkaConsumerMessage(topic: topic, partition: 0, offset: offset ?? take(), key: produced.key, value: produced.value,
                                    headers: produced.headers, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// A record that is not a CloudEvent.
    static func garbage(_ bytes: [UInt8] = Array("not json {".utf8), headers: [KafkaHeader] = [], topic: String = "maestro.ingest.usage") -> KafkaConsumerMessage {
        KafkaConsumerMessage(topic: topic, partition: 1, offset: take(), key: nil, value: bytes, headers: headers, timestamp: nil)
    }

    private static func take() -> Int64 {
        nextOffset.withLock { value in
            value += 1
            return value
        }
    }
}
