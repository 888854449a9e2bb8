import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaestroBus
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import NIOCore
import Testing
@testable import Governance

@Suite("Event keys: governance as the trust root of event signatures", .serialized, .timeLimit(.minutes(2)))
struct EventKeyTests {
    func put(_ api: GovernanceClient, _ key: EventSigningKey, kid: String? = nil, token: String, body: String? = nil) async throws -> TestResponse {
        let encoded = String(decoding: try JSONEncoder().encode(key.publicKey), as: UTF8.self)
        let json = body ?? encoded
        return try await api.client.execute(uri: "/v1/event-keys/\(kid ?? key.keyID)", method: .put, headers: .json(token), body: ByteBuffer(string: json))
    }

    func keySet(_ api: GovernanceClient) async throws -> EventKeySet {
        let response = try await api.client.execute(uri: "/v1/event-keys", method: .get)
        #expect(response.status == .ok)
        return try JSONDecoder().decode(EventKeySet.self, from: Data(String(buffer: response.body).utf8))
    }

    /// A service account of the platform tenant named `name`, and a token for its API key.
    func account(_ api: GovernanceClient, admin: String, name: String, kind: String = "service_account", tenant: String? = nil) async throws -> (id: String, token: String) {
        let tenantMember = tenant.map { #","tenant":"\#($0)""# } ?? ""
        let id = try await api.createPrincipal(token: admin, #"{"name":"\#(name)","kind":"\#(kind)","roles":["viewer"]\#(tenantMember)}"#)
        let key = try #require(string(try await api.createAPIKey(token: admin, #"{"principal_id":"\#(id)"\#(tenantMember)}"#)["api_key"]))
        return (id, try await api.token(key))
    }

    @Test("a service account registers its service's key once; the open key set publishes it with the service; another service cannot take it")
    func registration() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.service.eventKeyRegistrar!(TestEventKeys.governance.publicKey)
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let registry = try await account(api, admin: admin, name: "registry")
                let key = EventSigningKey()
                let created = try await put(api, key, token: registry.token)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                #expect(try created.json["maestro_service"] == .string("registry"))
                #expect(try await put(api, key, token: registry.token).status == .ok, "registering again changes nothing")
                let published = try await keySet(api)
                #expect(Set(published.keys.map { "\($0.service ?? "")/\($0.kid)" })
                        == ["governance/\(TestEventKeys.governance.keyID)", "registry/\(key.keyID)"])
                #expect(published.keys.allSatisfy { $0.alg == "EdDSA" && $0.kty == "OKP" && $0.crv == "Ed25519" })

                // The audit account cannot claim the registry's key.
                let audit = try await account(api, admin: admin, name: "audit")
                let stolen = try await put(api, key, token: audit.token)
                #expect(stolen.status == .conflict)
                #expect(try await keySet(api).keys.first { $0.kid == key.keyID }?.service == "registry")

                // A key the set publishes verifies that service's events.
                let verifier = EventVerifier(source: { try JSONEncoder().encode(try await governance.service.store.eventKeySet()) }, logger: GovernanceHarness.logger)
                let event = EventSigner(key: key, registered: true).sign(CloudEvent(source: "/maestro/registry", type: "io.maestro.test.v1", data: Array("{}".utf8)))
                #expect(try await verifier.provenance(of: event, topic: Topic.registryEvents.name).service == "registry")

                // Disabling the account withdraws its keys.
                #expect(try await api.post("/v1/principals/\(registry.id)/disable", token: admin, "{}").status == .ok)
                #expect(try await keySet(api).keys.map(\.kid) == [TestEventKeys.governance.keyID])
            }
        }
    }

    @Test("only a platform service account named after a Maestro service other than governance registers; a bad key or kid is 422")
    func refusals() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let key = EventSigningKey()
                #expect(try await put(api, key, token: admin).status == .forbidden, "a user's token (no service account)")
                let user = try await account(api, admin: admin, name: "catalog", kind: "user")
                #expect(try await put(api, key, token: user.token).status == .forbidden, "a user named like a service")
                let stranger = try await account(api, admin: admin, name: "ci-bot")
                #expect(try await put(api, key, token: stranger.token).status == .forbidden, "an account named after no service")
                let impostor = try await account(api, admin: admin, name: "governance")
                #expect(try await put(api, key, token: impostor.token).status == .forbidden, "nobody registers for the trust root")
                #expect(try await api.post("/v1/tenants", token: admin, #"{"id":"beta"}"#).status == .created)
                let other = try await account(api, admin: admin, name: "registry", tenant: "beta")
                #expect(try await put(api, key, token: other.token).status == .forbidden, "a service account of another tenant")

                let registry = try await account(api, admin: admin, name: "registry")
                #expect(try await put(api, key, kid: EventSigningKey().keyID, token: registry.token).status == .unprocessableContent, "kid of another key")
                let bad = try await put(api, key, token: registry.token, body: #"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#)
                #expect(bad.status == .unprocessableContent)
                #expect(try await put(api, key, token: registry.token, body: #"{"kty":"EC","crv":"P-256","x":"AAAA"}"#).status == .unprocessableContent)
                #expect(try await put(api, key, token: registry.token, body: #"{"kty":"OKP","crv":"Ed25519","x":"AAAA","extra":1}"#).status == .unprocessableContent)
                #expect(try await api.client.execute(uri: "/v1/event-keys/\(key.keyID)", method: .put, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: "{}")).status == .unauthorized)
                #expect(try await keySet(api).keys.isEmpty)
            }
        }
    }
}
