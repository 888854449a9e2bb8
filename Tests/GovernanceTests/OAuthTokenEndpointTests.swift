import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

/// `POST /oauth/token` and the provider metadata, as OAuth clients use them: both grants, both
/// client authentication methods, scope narrowing, every RFC 6749 error, and the rate limit.
@Suite("OAuth 2.0 token endpoint", .timeLimit(.minutes(2)))
struct OAuthTokenEndpointTests {
    /// A service account with `roles` and one API key: (key id, prefix, key).
    static func serviceAccount(_ api: GovernanceClient, admin: String, name: String, roles: [String]) async throws -> (id: String, prefix: String, key: String) {
        let rolesJSON = roles.map { "\"\($0)\"" }.joined(separator: ",")
        let principal = try await api.createPrincipal(token: admin, #"{"name":"\#(name)","kind":"service_account","roles":[\#(rolesJSON)]}"#)
        let created = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(principal)"}"#)
        return (try #require(string(created["id"])), try #require(string(created["prefix"])), try #require(string(created["api_key"])))
    }

    static func basic(_ id: String, _ secret: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()]
    }

    static func claims(of token: String) throws -> [String: JSONValue] {
        let payload = try #require(token.split(separator: ".").dropFirst().first)
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard case .object(let claims) = try JSONDecoder().decode(JSONValue.self, from: try #require(Data(base64Encoded: base64))) else {
            throw TestSetupError("the token's payload is not an object")
        }
        return claims
    }

    /// The error's status and body, and the headers every token endpoint answer carries.
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, _ context: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "\(context): \(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", "\(context)", sourceLocation: sourceLocation)
        #expect(response.headers[.cacheControl] == "no-store", "\(context)", sourceLocation: sourceLocation)
        let body = try response.json
        #expect(Set(body.keys) == ["error", "error_description"], "\(context)", sourceLocation: sourceLocation)
        #expect(body["error"] == .string(code), "\(context)", sourceLocation: sourceLocation)
    }

    @Test("client credentials by HTTP Basic and by body parameters, with the key's prefix or id, give a token every route accepts")
    func clientCredentials() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let robot = try await Self.serviceAccount(api, admin: admin, name: "robot", roles: ["editor"])
                let basic = try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(robot.prefix, robot.key))
                let posted = try await api.oauthToken("grant_type=client_credentials&client_id=\(robot.id)&client_secret=\(robot.key)")
                let upperID = try await api.oauthToken("grant_type=client_credentials&client_id=\(robot.id.uppercased())&client_secret=\(robot.key)")
                for response in [basic, posted, upperID] {
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(response.headers[.pragma] == "no-cache")
                    let body = try response.json
                    #expect(Set(body.keys) == ["access_token", "token_type", "expires_in", "scope"])
                    #expect(body["token_type"] == .string("Bearer"))
                    #expect(body["expires_in"] == .number(900))
                    #expect(body["scope"] == .string("editor"))
                    let token = try #require(string(body["access_token"]))
                    let me = try await api.me(token)
                    #expect(me["subject"] == .string("robot"))
                    #expect(me["roles"] == .array([.string("editor")]))
                    #expect(try Self.claims(of: token)["iss"] == .string(ServiceConfiguration.defaultTokenIssuer))
                }
            }
        }
    }

    @Test("the password grant takes a principal's name and one of its API keys; a client may identify and authenticate as a key of the same principal")
    func passwordGrant() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let feast = try await Self.serviceAccount(api, admin: admin, name: "feast server", roles: ["viewer"])
                let other = try await Self.serviceAccount(api, admin: admin, name: "other", roles: ["viewer"])
                let password = "grant_type=password&username=feast+server&password=\(feast.key)"
                for form in [password, password + "&client_id=feast", password + "&client_id=\(feast.prefix)&client_secret=\(feast.key)"] {
                    let response = try await api.oauthToken(form)
                    #expect(response.status == .ok, "\(form): \(String(buffer: response.body))")
                    #expect(try await api.me(try #require(string(try response.json["access_token"])))["subject"] == .string("feast server"))
                }
                // The client's key must be the same principal's, and named by client_id.
                try Self.expectError(try await api.oauthToken(password + "&client_id=\(other.prefix)&client_secret=\(other.key)"), .unauthorized, "invalid_client")
                try Self.expectError(try await api.oauthToken(password + "&client_id=\(other.prefix)&client_secret=\(feast.key)"), .unauthorized, "invalid_client")
                try Self.expectError(try await api.oauthToken(password + "&client_secret=\(feast.key)"), .unauthorized, "invalid_client")
                // A key of another principal, or the right key under another name: the same invalid_grant.
                let wrongName = try await api.oauthToken("grant_type=password&username=other&password=\(feast.key)")
                let nobody = try await api.oauthToken("grant_type=password&username=nobody&password=\(feast.key)")
                let wrongKey = try await api.oauthToken("grant_type=password&username=feast+server&password=\(other.key)")
                let garbage = try await api.oauthToken("grant_type=password&username=feast+server&password=hunter2")
                for response in [wrongName, nobody, wrongKey, garbage] {
                    try Self.expectError(response, .badRequest, "invalid_grant")
                    #expect(String(buffer: response.body) == String(buffer: wrongName.body))
                }
            }
        }
    }

    @Test("scope narrows the token to roles the principal holds; a role it lacks or an unknown scope is invalid_scope")
    func scopes() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let robot = try await Self.serviceAccount(api, admin: admin, name: "robot", roles: ["editor"])
                let viewer = try await api.oauthToken("grant_type=client_credentials&scope=viewer", headers: Self.basic(robot.prefix, robot.key))
                #expect(try viewer.json["scope"] == .string("viewer"))
                #expect(try await api.me(try #require(string(try viewer.json["access_token"])))["roles"] == .array([.string("viewer")]))
                // An admin holds every role, so it may ask for any of them.
                let adminPrefix = String(governance.adminKey.dropFirst(3).prefix(12))
                let narrowed = try await api.oauthToken("grant_type=client_credentials&scope=approver+editor", headers: Self.basic(adminPrefix, governance.adminKey))
                #expect(try narrowed.json["scope"] == .string("approver editor"))
                for scope in ["admin", "approver", "openid", "viewer+root", "+"] {
                    try Self.expectError(try await api.oauthToken("grant_type=client_credentials&scope=\(scope)", headers: Self.basic(robot.prefix, robot.key)),
                                         .badRequest, "invalid_scope", scope)
                }
            }
        }
    }

    @Test("every credential failure is the same invalid_client: wrong secret, another key's id, a revoked or expired key, a disabled principal")
    func credentialFailures() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let revoked = try await Self.serviceAccount(api, admin: admin, name: "revoked", roles: ["viewer"])
                #expect(try await api.client.execute(uri: "/v1/api-keys/\(revoked.id)/revoke", method: .post, headers: .bearer(admin)).status == .noContent)
                let expired = try await Self.serviceAccount(api, admin: admin, name: "expired", roles: ["viewer"])
                try await governance.asOwner { owner in
                    _ = try await owner.integer("""
                        WITH changed AS (UPDATE governance.api_keys SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: expired.id)!) RETURNING 1)
                        SELECT count(*)::int8 FROM changed
                        """)
                }
                let disabled = try await Self.serviceAccount(api, admin: admin, name: "disabled", roles: ["viewer"])
                let disabledPrincipal = try await api.get("/v1/api-keys", token: admin)
                let principalID = try #require(try disabledPrincipal.json["items"].flatMap { items -> String? in
                    guard case .array(let keys) = items else { return nil }
                    return keys.compactMap { key -> String? in
                        guard case .object(let object) = key, object["id"] == .string(disabled.id) else { return nil }
                        return string(object["principal_id"])
                    }.first
                })
                #expect(try await api.client.execute(uri: "/v1/principals/\(principalID)/disable", method: .post, headers: .bearer(admin)).status == .ok)
                let good = try await Self.serviceAccount(api, admin: admin, name: "good", roles: ["viewer"])
                let wrongSecret = "mk_\(good.prefix)_" + String(repeating: "x", count: 43)

                let attempts: [(String, HTTPFields)] = [
                    ("grant_type=client_credentials", Self.basic(good.prefix, wrongSecret)),
                    ("grant_type=client_credentials&client_id=\(good.prefix)&client_secret=\(wrongSecret)", [:]),
                    ("grant_type=client_credentials", Self.basic(revoked.prefix, good.key)),
                    ("grant_type=client_credentials", Self.basic(revoked.prefix, revoked.key)),
                    ("grant_type=client_credentials", Self.basic(expired.id, expired.key)),
                    ("grant_type=client_credentials", Self.basic(disabled.prefix, disabled.key)),
                    ("grant_type=client_credentials", Self.basic("000000000000", "mk_000000000000_" + String(repeating: "A", count: 43))),
                    ("grant_type=client_credentials&client_id=\(good.prefix)", [:]),
                    ("grant_type=client_credentials", [.authorization: "Basic !!!"]),
                    ("grant_type=client_credentials", [.authorization: "Basic " + Data("no-colon".utf8).base64EncodedString()]),
                ]
                var bodies: Set<String> = []
                for (form, headers) in attempts {
                    let response = try await api.oauthToken(form, headers: headers)
                    try Self.expectError(response, .unauthorized, "invalid_client", form)
                    #expect(response.headers[.wwwAuthenticate] == #"Basic realm="maestro""#)
                    bodies.insert(String(buffer: response.body))
                }
                #expect(bodies.count == 1, "every failure reads the same: \(bodies)")
                #expect(try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(good.prefix, good.key)).status == .ok)
            }
        }
    }

    @Test("malformed requests get invalid_request, unsupported_grant_type or 413, in the OAuth error shape")
    func malformedRequests() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let key = governance.adminKey
                let prefix = String(key.dropFirst(3).prefix(12))
                let cases: [(String, String, HTTPFields, String, HTTPResponse.Status, String)] = [
                    ("missing grant_type", "client_id=\(prefix)&client_secret=\(key)", [:], "/oauth/token", .badRequest, "invalid_request"),
                    ("empty grant_type", "grant_type=&client_id=\(prefix)&client_secret=\(key)", [:], "/oauth/token", .badRequest, "invalid_request"),
                    ("duplicated grant_type", "grant_type=client_credentials&grant_type=client_credentials&client_id=\(prefix)&client_secret=\(key)", [:],
                     "/oauth/token", .badRequest, "invalid_request"),
                    ("duplicated scope", "grant_type=client_credentials&scope=viewer&scope=admin", Self.basic(prefix, key), "/oauth/token", .badRequest, "invalid_request"),
                    ("unsupported grant", "grant_type=authorization_code&code=x", [:], "/oauth/token", .badRequest, "unsupported_grant_type"),
                    ("refresh token grant", "grant_type=refresh_token&refresh_token=x", [:], "/oauth/token", .badRequest, "unsupported_grant_type"),
                    ("bad percent-encoding", "grant_type=client_credentials&client_id=%zz&client_secret=\(key)", [:], "/oauth/token", .badRequest, "invalid_request"),
                    ("two client authentications", "grant_type=client_credentials&client_secret=\(key)", Self.basic(prefix, key), "/oauth/token",
                     .badRequest, "invalid_request"),
                    ("client_id differing from Basic", "grant_type=client_credentials&client_id=other", Self.basic(prefix, key), "/oauth/token",
                     .badRequest, "invalid_request"),
                    ("secret in the URL", "grant_type=client_credentials", [:], "/oauth/token?client_id=\(prefix)&client_secret=\(key)", .badRequest, "invalid_request"),
                    ("password grant without password", "grant_type=password&username=admin", [:], "/oauth/token", .badRequest, "invalid_request"),
                    ("oversized form", "grant_type=client_credentials&client_id=\(prefix)&client_secret=\(key)&pad=" + String(repeating: "a", count: 9000), [:],
                     "/oauth/token", .contentTooLarge, "invalid_request"),
                ]
                for (name, form, headers, uri, status, code) in cases {
                    try Self.expectError(try await api.oauthToken(form, headers: headers, uri: uri), status, code, name)
                }
                let json = try await api.client.execute(uri: "/oauth/token", method: .post, headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(string: #"{"grant_type":"client_credentials","client_id":"\#(prefix)","client_secret":"\#(key)"}"#))
                try Self.expectError(json, .badRequest, "invalid_request", "JSON")
                let beyondKitLimit = try await api.oauthToken("grant_type=client_credentials&pad=" + String(repeating: "a", count: 2 << 20))
                try Self.expectError(beyondKitLimit, .contentTooLarge, "invalid_request", "a body over the kit's limit")
                let get = try await api.client.execute(uri: "/oauth/token", method: .get)
                #expect(get.status.code >= 400 && get.status.code < 500)
                #expect(try get.json["error"] == .string("invalid_request"))
            }
        }
    }

    @Test("no log line carries a secret, whatever the outcome")
    func secretsAreNotLogged() async throws {
        try await GovernanceHarness.with { governance in
            let records = LogRecords()
            let app = Application(router: governance.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  logger: records.logger(label: "maestro.governance.test"))
            let secretPart = String(governance.adminKey.suffix(43))
            try await app.governance { api in
                let prefix = String(governance.adminKey.dropFirst(3).prefix(12))
                _ = try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(prefix, governance.adminKey))
                _ = try await api.oauthToken("grant_type=password&username=admin&password=\(governance.adminKey)")
                _ = try await api.oauthToken("grant_type=password&username=nobody&password=\(governance.adminKey)")
                _ = try await api.oauthToken("grant_type=client_credentials&grant_type=x&client_secret=\(governance.adminKey)")
                _ = try await api.oauthToken("grant_type=client_credentials", uri: "/oauth/token?client_secret=\(governance.adminKey)")
                _ = try await api.exchange(governance.adminKey)
            }
            let logged = records.all
            #expect(logged.count >= 6, "the access log saw every request")
            for record in logged {
                let text = record.message + record.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                #expect(!text.contains(secretPart), "\(text)")
            }
        }
    }

    @Test("token requests are limited per client id, shared with POST /v1/tokens, with Retry-After")
    func rateLimit() async throws {
        try await GovernanceHarness.with(environment: ["MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE": "3"]) { governance in
            try await governance.application.governance { api in
                let key = governance.adminKey
                let prefix = String(key.dropFirst(3).prefix(12))
                let other = try await Self.serviceAccount(api, admin: try await api.token(key), name: "other", roles: ["viewer"])
                #expect(try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(prefix, key)).status == .ok)
                #expect(try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(prefix, key)).status == .ok)
                let limited = try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(prefix, key))
                try Self.expectError(limited, .tooManyRequests, "temporarily_unavailable")
                #expect(Int(try #require(limited.headers[.retryAfter])).map { $0 >= 1 } == true)
                // The same client through the native exchange: the same bucket, in the native shape.
                let native = try await api.exchange(key)
                #expect(native.status == .tooManyRequests)
                #expect(try native.json["type"] == .string("urn:maestro:problem:rate-limited"))
                // Another client is not affected.
                #expect(try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(other.prefix, other.key)).status == .ok)
            }
        }
    }

    @Test("the provider metadata names the configured issuer, its token endpoint and key set, and the tokens carry that issuer")
    func discovery() async throws {
        try await GovernanceHarness.with(environment: ["MAESTRO_GOVERNANCE_ISSUER": "https://sso.example.com/maestro/"]) { governance in
            try await governance.application.governance { api in
                for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
                    let response = try await api.client.execute(uri: path, method: .get)
                    #expect(response.status == .ok)
                    let document = try response.json
                    #expect(document["issuer"] == .string("https://sso.example.com/maestro"))
                    #expect(document["token_endpoint"] == .string("https://sso.example.com/maestro/oauth/token"))
                    #expect(document["jwks_uri"] == .string("https://sso.example.com/maestro/.well-known/jwks.json"))
                    #expect(document["grant_types_supported"] == .array([.string("client_credentials"), .string("password")]))
                    #expect(document["token_endpoint_auth_methods_supported"] == .array([.string("client_secret_basic"), .string("client_secret_post")]))
                    #expect(document["id_token_signing_alg_values_supported"] == .array([.string("ES256")]))
                    #expect(document["scopes_supported"] == .array(["viewer", "editor", "approver", "admin"].map { JSONValue.string($0) }))
                }
                let prefix = String(governance.adminKey.dropFirst(3).prefix(12))
                let response = try await api.oauthToken("grant_type=client_credentials", headers: Self.basic(prefix, governance.adminKey))
                let token = try #require(string(try response.json["access_token"]))
                #expect(try Self.claims(of: token)["iss"] == .string("https://sso.example.com/maestro"))
                // The document names exactly the claims a token carries.
                let listed = try await api.client.execute(uri: "/.well-known/openid-configuration", method: .get).json["claims_supported"]
                guard case .array(let names)? = listed else { throw TestSetupError("no claims_supported") }
                #expect(Set(names.compactMap { string($0) }) == Set(try Self.claims(of: token).keys))
                #expect(try await api.me(token)["subject"] == .string("admin"))
            }
        }
    }
}
