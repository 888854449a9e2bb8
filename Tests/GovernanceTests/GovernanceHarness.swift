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
import Testing
@testable import Governance

/// Governance on the test servers: a fresh database migrated with governance's migrations
/// (as the owner), the identity store on the NOBYPASSRLS runtime role, a signing key, the
/// bootstrap admin, and the full router verifying tokens against governance's own key set.
/// The router is complete before a test sees the harness and is only read afterwards.
struct GovernanceHarness: @unchecked Sendable {
    let database: TestDatabase
    let client: PostgresClient
    let store: IdentityStore
    /// Approval policies and requests on the same store; its routes are on the router.
    let approvals: ApprovalStore
    let redis: RedisClient
    let router: Router<MaestroRequestContext>
    let settings: GovernanceSettings
    /// The admin API key the bootstrap returned (tenant `default`, principal `admin`).
    let adminKey: String

    static let logger: Logger = {
        var logger = Logger(label: "maestro.governance.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    static func defaultSettings() throws -> GovernanceSettings {
        try GovernanceSettings(environment: [:])
    }

    /// Runs `body` with a fresh governance; the PostgreSQL and Redis clients run around it.
    static func with<Result: Sendable>(settings: GovernanceSettings? = nil, bootstrapKey: String? = nil,
                                       _ body: (GovernanceHarness) async throws -> Result) async throws -> Result {
        let settings = try settings ?? defaultSettings()
        let database = try await TestDatabase.create()
        let ownerSettings = try database.ownerSettings(schema: IdentityStore.schema)
        try await PostgresMigrator.migrate(settings: ownerSettings, runtimeLoginRole: database.runtimeRole,
                                           migrations: GovernanceService.migrations(), logger: logger)
        let runtimeSettings = try database.runtimeSettings(schema: IdentityStore.schema)
        let client = makeClient(runtimeSettings)
        let configuration = try ServiceConfiguration(environment: [
            "MAESTRO_REDIS_URL": try RedisTestSupport.configuredURL(),
            "MAESTRO_RATE_LIMIT_RPS": "100000", "MAESTRO_RATE_LIMIT_BURST": "100000",
        ], defaultPort: 0)
        let redis = RedisClient(configuration: try configuration.redisConfiguration(poolSize: 4), logger: logger)
        let store = IdentityStore(client: client, settings: runtimeSettings, logger: logger)
        let approvals = ApprovalStore(identity: store)
        let verifier = GovernanceService.verifier(store: store, logger: logger)
        let router = MaestroApplication.router(configuration: configuration, verifier: verifier, redis: redis, readiness: [],
                                               openAPI: try GovernanceService.openAPI(), openPaths: GovernanceService.openPaths,
                                               logger: logger) { router in
            IdentityAPI(store: store, settings: settings).register(on: router)
            ApprovalAPI(approvals: approvals).register(on: router)
        }
        defer { Task { await redis.close() } }
        return try await withRunning(client) { _ in
            try await store.ensureSigningKey()
            guard let adminKey = try await store.bootstrap(adminKey: bootstrapKey) else {
                throw TestSetupError("the bootstrap of a fresh database returned no admin key")
            }
            let harness = GovernanceHarness(database: database, client: client, store: store, approvals: approvals, redis: redis, router: router,
                                            settings: settings, adminKey: adminKey)
            return try await body(harness)
        }
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    /// Runs `body` with a client on the database's owner (a superuser, so row-level security does not apply).
    func asOwner<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await withRunning(makeClient(try database.ownerSettings(schema: IdentityStore.schema)), body)
    }

    /// The outbox's events, oldest first, as (type, key, data text).
    func outboxEvents() async throws -> [(type: String, key: String, data: String)] {
        try await asOwner { owner in
            var events: [(String, String, String)] = []
            let rows = try await owner.query("SELECT ce_type, key, convert_from(data, 'UTF8') FROM governance.outbox ORDER BY id", logger: Self.logger)
            for try await row in rows.decode((String, String, String).self) { events.append(row) }
            return events
        }
    }
}

/// Client-side helpers over the governance HTTP API.
struct GovernanceClient: Sendable {
    let client: any TestClientProtocol

    /// `POST /v1/tokens` without an Authorization header.
    func exchange(_ apiKey: String, lifetime: Int? = nil) async throws -> TestResponse {
        var object: [String: JSONValue] = ["api_key": .string(apiKey)]
        if let lifetime { object["lifetime_seconds"] = .number(Double(lifetime)) }
        return try await client.execute(uri: "/v1/tokens", method: .post, headers: [.contentType: "application/json"],
                                        body: ByteBuffer(bytes: try JSONEncoder().encode(JSONValue.object(object))))
    }

    /// The access token for an API key; the exchange must succeed.
    func token(_ apiKey: String) async throws -> String {
        let response = try await exchange(apiKey)
        guard response.status == .ok, case .string(let token)? = try response.json["access_token"] else {
            throw TestSetupError("the token exchange answered \(response.status): \(String(buffer: response.body))")
        }
        return token
    }

    func post(_ uri: String, token: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: .json(token), body: ByteBuffer(string: body))
    }

    func get(_ uri: String, token: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: .bearer(token))
    }

    /// `POST /v1/principals`; returns the new principal's id (201 required).
    func createPrincipal(token: String, _ body: String) async throws -> String {
        let response = try await post("/v1/principals", token: token, body)
        guard response.status == .created, case .string(let id)? = try response.json["id"] else {
            throw TestSetupError("creating a principal answered \(response.status): \(String(buffer: response.body))")
        }
        return id
    }

    /// `POST /v1/api-keys`; returns the whole answer (201 required).
    func createAPIKey(token: String, _ body: String) async throws -> [String: JSONValue] {
        let response = try await post("/v1/api-keys", token: token, body)
        guard response.status == .created else {
            throw TestSetupError("creating an API key answered \(response.status): \(String(buffer: response.body))")
        }
        return try response.json
    }

    /// `GET /v1/me` with the token, as its JSON object (200 required).
    func me(_ token: String) async throws -> [String: JSONValue] {
        let response = try await get("/v1/me", token: token)
        guard response.status == .ok else {
            throw TestSetupError("/v1/me answered \(response.status): \(String(buffer: response.body))")
        }
        return try response.json
    }

    /// The `kid`s the open JWKS route publishes, in order.
    func publishedKeyIDs() async throws -> [String] {
        let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
        guard response.status == .ok, case .array(let keys)? = try response.json["keys"] else {
            throw TestSetupError("the JWKS route answered \(response.status): \(String(buffer: response.body))")
        }
        return keys.compactMap { key in
            if case .object(let object) = key, case .string(let kid)? = object["kid"] { kid } else { nil }
        }
    }
}

extension ApplicationProtocol {
    func governance(_ body: @escaping @Sendable (GovernanceClient) async throws -> Void) async throws {
        try await test(.router) { client in try await body(GovernanceClient(client: client)) }
    }
}

/// The `kid` in a compact JWS's protected header.
func keyID(ofToken token: String) throws -> String {
    guard let header = token.split(separator: ".").first else { throw TestSetupError("not a JWS: \(token)") }
    var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard let data = Data(base64Encoded: base64),
          case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data), case .string(let kid)? = object["kid"] else {
        throw TestSetupError("the token header has no kid: \(token)")
    }
    return kid
}

func string(_ value: JSONValue?) -> String? {
    if case .string(let text)? = value { text } else { nil }
}
