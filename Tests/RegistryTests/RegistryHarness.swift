import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroPostgres
import MaestroRedis
import MaestroService
import MaestroTestSupport
import PostgresNIO
@testable import Registry

/// A registry on the servers `make test` started: a fresh database migrated with the
/// registry's own migrations (as the owner), the store on the NOBYPASSRLS runtime role,
/// the Redis alias cache, and the full router (kit middleware, native and MLflow APIs).
struct RegistryHarness {
    let database: TestDatabase
    let client: PostgresClient
    let store: RegistryStore
    let redis: RedisClient
    let cache: AliasCache
    let router: Router<MaestroRequestContext>
    let signingKey: DevSigningKey
    let settings: PostgresSettings

    static let logger: Logger = {
        var logger = Logger(label: "maestro.registry.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// Runs `body` with a fresh registry; the PostgreSQL and Redis clients run around it.
    static func with<Result: Sendable>(maxBodyBytes: Int = 1 << 20, _ body: (RegistryHarness) async throws -> Result) async throws -> Result {
        let database: TestDatabase
        do {
            database = try await TestDatabase.create()
            try await PostgresMigrator.migrate(settings: try database.ownerSettings(schema: RegistryStore.schema), runtimeLoginRole: database.runtimeRole,
                                               migrations: RegistryService.migrations(), logger: logger)
        } catch {
            // PSQLError hides the server's message unless reflected; a failed setup should say what failed.
            throw TestSetupError("registry test database setup failed: \(String(reflecting: error))")
        }
        let settings = try database.runtimeSettings(schema: RegistryStore.schema)
        let client = makeClient(settings)
        let keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-registry-tests-\(UUID().uuidString)")
        let signingKey = try DevSigningKey.loadOrCreate(in: keyDirectory, keyID: "registry-test")
        let configuration = try ServiceConfiguration(environment: [
            "MAESTRO_JWKS_FILE": keyDirectory.appendingPathComponent(DevSigningKey.jwksFile).path,
            "MAESTRO_HTTP_MAX_BODY_BYTES": String(maxBodyBytes),
            "MAESTRO_REDIS_URL": try RedisTestSupport.configuredURL(),
            "MAESTRO_RATE_LIMIT_RPS": "100000", "MAESTRO_RATE_LIMIT_BURST": "100000",
        ], defaultPort: 0)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(poolSize: 4), logger: logger)
        let store = RegistryStore(client: client, settings: settings, logger: logger)
        let cache = AliasCache(redis: redis, logger: logger)
        let verifier = TokenVerifier(source: configuration.keySource, logger: logger)
        let router = MaestroApplication.router(configuration: configuration, verifier: verifier, redis: redis, readiness: [],
                                               openAPI: try RegistryService.openAPI(), errorFormats: [MLflowAPI.errorFormat], logger: logger,
                                               routes: RegistryService.routes(store: store, cache: cache))
        let harness = RegistryHarness(database: database, client: client, store: store, redis: redis, cache: cache, router: router,
                                      signingKey: signingKey, settings: settings)
        defer { Task { await redis.close() } }
        return try await withRunning(client) { _ in try await body(harness) }
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    func token(subject: String = "alice", tenant: String = "acme", roles: [String] = ["editor"]) async throws -> String {
        try await signingKey.token(subject: subject, tenant: tenant, roles: roles, lifetime: .seconds(600))
    }

    /// The events the outbox holds for the tenant's models, oldest first, as (type, key, data).
    func outboxEvents() async throws -> [(type: String, key: String, data: [String: JSONValue])] {
        let owner = makeClient(try database.ownerSettings(schema: RegistryStore.schema))
        return try await withRunning(owner) { owner in
            var events: [(String, String, [String: JSONValue])] = []
            let rows = try await owner.query("SELECT ce_type, key, convert_from(data, 'UTF8') FROM registry.outbox ORDER BY id", logger: Self.logger)
            for try await (type, key, data) in rows.decode((String, String, String).self) {
                guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)) else { continue }
                events.append((type, key, object))
            }
            return events
        }
    }
}
