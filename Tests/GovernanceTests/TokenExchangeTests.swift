import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance token exchange", .serialized, .timeLimit(.minutes(2)))
struct TokenExchangeTests {
    static let refusal: [String: JSONValue] = [
        "type": .string("urn:maestro:problem:unauthorized"), "title": .string("Unauthorized"), "status": .number(401),
        "detail": .string("The API key is invalid, expired or revoked."), "instance": .string("/v1/tokens"), "errors": .array([]),
    ]

    @Test("a valid API key is exchanged for a Bearer token that /v1/me accepts")
    func exchange() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let response = try await api.exchange(governance.adminKey)
                #expect(response.status == .ok)
                let body = try response.json
                #expect(Set(body.keys) == ["access_token", "token_type", "expires_in"])
                #expect(body["token_type"] == .string("Bearer"))
                #expect(body["expires_in"] == .number(900))
                let token = try #require(string(body["access_token"]))
                let me = try await api.me(token)
                #expect(me["subject"] == .string("admin"))
                #expect(me["tenant"] == .string("default"))
                #expect(me["roles"] == .array([.string("admin")]))
                #expect(try await api.publishedKeyIDs().contains(try keyID(ofToken: token)))
            }
        }
    }

    @Test("the JWKS route is open and publishes the one signing key")
    func jwks() async throws {
        try await GovernanceHarness.with { governance in
            let stored = try await governance.asOwner { try await $0.strings("SELECT kid FROM governance.signing_keys") }
            try await governance.application.governance { api in
                let response = try await api.client.execute(uri: "/.well-known/jwks.json", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(try await api.publishedKeyIDs() == stored)
                #expect(stored.count == 1)
            }
        }
    }

    @Test("a requested lifetime within range is granted")
    func requestedLifetime() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let response = try await api.exchange(governance.adminKey, lifetime: 120)
                #expect(response.status == .ok)
                #expect(try response.json["expires_in"] == .number(120))
            }
        }
    }

    @Test("a wrong secret, a malformed key, a revoked key, an expired key and a disabled principal's key all get the same 401")
    func refusals() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let adminPrefix = String(governance.adminKey.prefix(16))
                let wrongSecret = adminPrefix + String(repeating: "x", count: 43)
                let malformed = "mk_not-a-key"

                let revoked = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(try await adminID(api, admin))","name":"to revoke"}"#)
                let revokedID = try #require(string(revoked["id"]))
                #expect(try await api.exchange(try #require(string(revoked["api_key"]))).status == .ok)
                let revocation = try await api.client.execute(uri: "/v1/api-keys/\(revokedID)/revoke", method: .post, headers: .bearer(admin))
                #expect(revocation.status == .noContent)

                let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
                let expiring = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(try await adminID(api, admin))","expires_at":"\#(soon)"}"#)
                let expiringID = try #require(string(expiring["id"]))
                #expect(try await api.exchange(try #require(string(expiring["api_key"]))).status == .ok)
                let updated = try await governance.asOwner { owner in
                    try await owner.integer("""
                        WITH changed AS (UPDATE governance.api_keys SET expires_at = now() - interval '1 minute' WHERE id = \(UUID(uuidString: expiringID)!) RETURNING 1)
                        SELECT count(*)::int8 FROM changed
                        """)
                }
                #expect(updated == 1)

                let workerID = try await api.createPrincipal(token: admin, #"{"name":"worker","kind":"service_account","roles":["viewer"]}"#)
                let workerKey = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(workerID)"}"#)
                let workerSecret = try #require(string(workerKey["api_key"]))
                #expect(try await api.exchange(workerSecret).status == .ok)
                let disabled = try await api.client.execute(uri: "/v1/principals/\(workerID)/disable", method: .post, headers: .bearer(admin))
                #expect(disabled.status == .ok)
                #expect(try disabled.json["disabled_at"] != nil)

                for key in [wrongSecret, malformed, try #require(string(revoked["api_key"])), try #require(string(expiring["api_key"])), workerSecret,
                            "mk_000000000000_" + String(repeating: "A", count: 43)] {
                    let response = try await api.exchange(key)
                    #expect(response.status == .unauthorized, "\(key)")
                    #expect(try response.json == Self.refusal, "\(key)")
                }
                #expect(try await api.exchange(governance.adminKey).status == .ok)
            }
        }
    }

    @Test("lifetime_seconds out of range is 422")
    func lifetimeOutOfRange() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                for lifetime in [0, 59, 12 * 3600 + 1] {
                    let response = try await api.exchange(governance.adminKey, lifetime: lifetime)
                    #expect(response.status == .unprocessableContent)
                    let errors = try response.json["errors"]
                    #expect(errors == .array([.object(["field": .string("lifetime_seconds"), "message": .string("must be 60 to 43200")])]))
                }
                #expect(try await api.exchange(governance.adminKey, lifetime: 12 * 3600).status == .ok)
                #expect(try await api.exchange(governance.adminKey, lifetime: 60).status == .ok)
            }
        }
    }

    @Test("an unknown body member is 422 naming it")
    func unknownMember() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let response = try await api.client.execute(uri: "/v1/tokens", method: .post, headers: [.contentType: "application/json"],
                                                            body: ByteBuffer(string: #"{"api_key":"\#(governance.adminKey)","scope":"all"}"#))
                #expect(response.status == .unprocessableContent)
                #expect(try response.json["errors"] == .array([.object(["field": .string("scope"), "message": .string("is not a known member")])]))
            }
        }
    }

    @Test("/v1/me without a token is 401, and a bearer token from elsewhere is refused")
    func meRequiresToken() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let anonymous = try await api.client.execute(uri: "/v1/me", method: .get)
                #expect(anonymous.status == .unauthorized)
                let garbage = try await api.get("/v1/me", token: "not.a.token")
                #expect(garbage.status == .unauthorized)
            }
        }
    }

    private func adminID(_ api: GovernanceClient, _ token: String) async throws -> String {
        let list = try await api.get("/v1/principals", token: token)
        guard case .array(let items)? = try list.json["items"], case .object(let admin)? = items.first, let id = string(admin["id"]) else {
            throw TestSetupError("no admin principal in \(String(buffer: list.body))")
        }
        return id
    }
}
