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

@Suite("Governance never stores an API key's secret", .serialized, .timeLimit(.minutes(2)))
struct SecretStorageTests {
    @Test("no column of governance.api_keys holds the secret; only its SHA-256")
    func databaseHoldsNoSecret() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let principal = try await api.createPrincipal(token: admin, #"{"name":"ci","kind":"service_account","roles":["editor"]}"#)
                let created = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(principal)","name":"ci key"}"#)
                let text = try #require(string(created["api_key"]))
                let parsed = try #require(APIKeySecret(parsing: text))
                #expect(string(created["prefix"]) == parsed.prefix)
                let id = try #require(string(created["id"]))

                let rows = try await governance.asOwner { owner in
                    try await owner.strings("SELECT row_to_json(k)::text FROM governance.api_keys k")
                }
                #expect(rows.count == 2)
                for row in rows {
                    #expect(!row.contains(parsed.secret))
                    #expect(!row.contains(governance.adminKey.suffix(43)))
                }
                let stored = try await governance.asOwner { owner in
                    var stored: [UInt8] = []
                    for try await hash in try await owner.query("SELECT secret_hash FROM governance.api_keys WHERE id = \(UUID(uuidString: id)!)",
                                                                 logger: GovernanceHarness.logger).decode(ByteBuffer.self) {
                        stored = Array(hash.readableBytesView)
                    }
                    return stored
                }
                #expect(stored == parsed.hash)
                #expect(stored.count == 32)

                let listed = try await api.get("/v1/api-keys", token: admin)
                #expect(listed.status == .ok)
                #expect(!String(buffer: listed.body).contains(parsed.secret))
                #expect(!String(buffer: listed.body).contains("\"api_key\""))
            }
        }
    }

    @Test("the api_key.created event carries the prefix but not the secret")
    func eventHoldsNoSecret() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let principal = try await api.createPrincipal(token: admin, #"{"name":"deployer","roles":["approver"]}"#)
                let created = try await api.createAPIKey(token: admin, #"{"principal_id":"\#(principal)","name":"deploy"}"#)
                let text = try #require(string(created["api_key"]))
                let parsed = try #require(APIKeySecret(parsing: text))

                let events = try await governance.outboxEvents().filter { $0.type == "io.maestro.governance.api_key.created.v1" }
                #expect(GovernanceEvent.APIKeyCreated.eventType.name == "io.maestro.governance.api_key.created.v1")
                #expect(events.count == 2)
                let event = try #require(events.last)
                #expect(event.key == "principals/\(principal)")
                #expect(!event.text.contains(parsed.secret))
                let data = try JSONDecoder().decode(JSONValue.self, from: Data(event.text.utf8))
                guard case .object(let object) = data else { throw TestSetupError("event data is not an object: \(event.text)") }
                #expect(object.values.contains(.string(parsed.prefix)))
                #expect(object.values.contains(.string(principal)))
                #expect(object.values.contains(.string("deploy")))

                let all = try await governance.outboxEvents()
                for stored in all {
                    #expect(!stored.text.contains(parsed.secret))
                    #expect(!stored.text.contains(governance.adminKey.suffix(43)))
                }
            }
        }
    }

    @Test("a retried key creation with the same Idempotency-Key creates nothing more and never replays the secret")
    func idempotentRetryWithholdsTheSecret() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let principal = try await api.createPrincipal(token: admin, #"{"name":"retrier","kind":"service_account"}"#)
                var headers = HTTPFields.json(admin)
                headers[IdempotencyMiddleware.header] = "create-key-\(UUID().uuidString)"
                let body = #"{"principal_id":"\#(principal)"}"#
                let first = try await api.client.execute(uri: "/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(first.status == .created)
                #expect(first.headers[.cacheControl] == "no-store")
                let secret = try #require(string(try first.json["api_key"]))
                let retry = try await api.client.execute(uri: "/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(retry.status == .conflict)
                #expect(!String(buffer: retry.body).contains(secret.suffix(43)))
                let keys = try await api.get("/v1/api-keys", token: admin).json
                guard case .array(let items)? = keys["items"] else { throw TestSetupError("no items") }
                #expect(items.count == 2)  // the bootstrap admin's and this one
            }
        }
    }
}
