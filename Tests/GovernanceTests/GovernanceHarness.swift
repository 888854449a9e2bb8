import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MaestroDomain
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroPostgres
import MaestroRedis
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

/// Governance on the test servers, built from its definition by the kit's harness: a fresh
/// database, the signing key and the bootstrap admin of the service's own start, and the full
/// router verifying tokens against governance's own key set. The bootstrap registers a key the
/// harness chose (`MAESTRO_BOOTSTRAP_ADMIN_KEY`), so tests can exchange it.
struct GovernanceHarness: Sendable {
    /// The kit's harness: database, clients, the service as the kit builds it.
    let base: ServiceHarness<GovernanceService>
    /// The admin API key of the bootstrap (tenant `default`, principal `admin`).
    let adminKey: String

    var service: GovernanceService { base.service }
    var router: Router<MaestroRequestContext> { base.router }
    var store: IdentityStore { service.store }
    var approvals: ApprovalStore { service.approvals }
    var settings: GovernanceSettings { service.settings }
    /// On the runtime role, which row-level security limits.
    var client: PostgresClient { base.client }

    static var logger: Logger { ServiceHarness<GovernanceService>.logger }

    /// Runs `body` with a fresh governance.
    /// - Parameters:
    ///   - environment: further `MAESTRO_*` variables; a `MAESTRO_BOOTSTRAP_ADMIN_KEY` given here
    ///     is the admin key, otherwise the harness makes one.
    ///   - adjust: changes settings that have no variable (e.g. the key publish lead).
    static func with<Result: Sendable>(environment: [String: String] = [:], adjusting adjust: (inout GovernanceSettings) -> Void = { _ in },
                                       _ body: (GovernanceHarness) async throws -> Result) async throws -> Result {
        let adminKey = environment["MAESTRO_BOOTSTRAP_ADMIN_KEY"] ?? APIKeySecret.generate().text
        let environment = environment.merging(["MAESTRO_BOOTSTRAP_ADMIN_KEY": adminKey]) { given, _ in given }
        return try await ServiceHarness<GovernanceService>.with(environment: environment, adjusting: adjust) { base in
            try await body(GovernanceHarness(base: base, adminKey: adminKey))
        }
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    /// Runs `body` with a client on the schema owner's role, which row-level security does not limit.
    func asOwner<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await base.asOwner(body)
    }

    func outboxEvents() async throws -> [OutboxEvent] {
        try await base.outboxEvents()
    }
}

extension Caller {
    /// An admin of `tenant`, for reading through the stores as the API does.
    static func admin(of tenant: String = "default") -> Caller {
        Caller(tenant: tenant, subject: "tests", roles: [.admin])
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

    /// `POST /oauth/token` with a form body (written as given) and further headers.
    func oauthToken(_ form: String, headers: HTTPFields = [:], uri: String = "/oauth/token") async throws -> TestResponse {
        var all: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        for field in headers { all[field.name] = field.value }
        return try await client.execute(uri: uri, method: .post, headers: all, body: ByteBuffer(string: form))
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
