import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroDomain
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance tenants", .serialized, .timeLimit(.minutes(2)))
struct TenantTests {
    @Test("the platform admin creates a tenant, its admin and key; that admin is confined to the tenant")
    func tenantIsolation() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let platform = try await api.token(governance.adminKey)
                let tenant = try await api.post("/v1/tenants", token: platform, #"{"id":"acme","display_name":"Acme Corp"}"#)
                #expect(tenant.status == .created)
                #expect(try tenant.json == ["id": .string("acme"), "display_name": .string("Acme Corp")])
                #expect(try await api.post("/v1/tenants", token: platform, #"{"id":"acme"}"#).status == .conflict)
                #expect(try await api.post("/v1/tenants", token: platform, #"{"id":"Bad_Id"}"#).status == .unprocessableContent)

                let created = try await api.post("/v1/principals", token: platform, #"{"name":"acme-admin","roles":["admin"],"tenant":"acme"}"#)
                #expect(created.status == .created)
                #expect(try created.json["tenant"] == .string("acme"))
                let acmeAdminID = try #require(string(try created.json["id"]))
                let viewerID = try await api.createPrincipal(token: platform, #"{"name":"acme-viewer","roles":["viewer"],"tenant":"acme"}"#)
                let key = try await api.createAPIKey(token: platform, #"{"principal_id":"\#(acmeAdminID)","tenant":"acme"}"#)
                #expect(key["tenant"] == .string("acme"))
                let acme = try await api.token(try #require(string(key["api_key"])))
                let me = try await api.me(acme)
                #expect(me["subject"] == .string("acme-admin"))
                #expect(me["tenant"] == .string("acme"))
                #expect(me["roles"] == .array([.string("admin")]))

                let elsewhere = try await api.get("/v1/principals?tenant=default", token: acme)
                #expect(elsewhere.status == .notFound)
                #expect(try elsewhere.json["detail"] == .string("Tenant 'default' does not exist."))
                #expect(try await api.post("/v1/principals", token: acme, #"{"name":"intruder","tenant":"default"}"#).status == .notFound)
                let newTenant = try await api.post("/v1/tenants", token: acme, #"{"id":"evil"}"#)
                #expect(newTenant.status == .forbidden)
                #expect(try await api.get("/v1/tenants", token: acme).status == .forbidden)
                #expect(try await api.client.execute(uri: "/v1/signing-keys/rotate", method: .post, headers: .bearer(acme)).status == .forbidden)

                let listed = try await api.get("/v1/principals", token: acme)
                #expect(listed.status == .ok)
                guard case .array(let items)? = try listed.json["items"] else { throw TestSetupError("no items: \(String(buffer: listed.body))") }
                let names = items.compactMap { item -> String? in if case .object(let object) = item { string(object["name"]) } else { nil } }
                #expect(names == ["acme-admin", "acme-viewer"])
                let tenants = items.compactMap { item -> String? in if case .object(let object) = item { string(object["tenant"]) } else { nil } }
                #expect(tenants == ["acme", "acme"])
                #expect(try await api.get("/v1/principals?tenant=acme", token: acme).status == .ok)

                let platformIDs = try await governance.store.principals(as: .admin()).map { $0.id.uuidString.lowercased() }
                let platformAdmin = try #require(platformIDs.first)
                #expect(try await api.get("/v1/principals/\(platformAdmin)", token: acme).status == .notFound)
                #expect(try await api.get("/v1/principals/\(viewerID)", token: acme).status == .ok)
                #expect(try await api.get("/v1/principals/\(viewerID)", token: platform).status == .notFound)
                #expect(try await api.get("/v1/principals/\(viewerID)?tenant=acme", token: platform).status == .ok)

                let platformList = try await api.get("/v1/principals", token: platform)
                guard case .array(let platformItems)? = try platformList.json["items"] else { throw TestSetupError("no items") }
                #expect(platformItems.count == 1)

                let allTenants = try await api.get("/v1/tenants", token: platform)
                #expect(allTenants.status == .ok)
                guard case .array(let tenantItems)? = try allTenants.json["items"] else { throw TestSetupError("no items") }
                #expect(tenantItems.count == 2)
            }

            let outside = try await governance.client.integer("SELECT count(*)::int8 FROM governance.principals")
            #expect(outside == 0)
            #expect(try await governance.client.integer("SELECT count(*)::int8 FROM governance.api_keys") == 0)
            #expect(try await governance.client.integer("SELECT count(*)::int8 FROM governance.role_bindings") == 0)
            let total = try await governance.asOwner { try await $0.integer("SELECT count(*)::int8 FROM governance.principals") }
            #expect(total == 3)
        }
    }

    @Test("a platform admin naming an empty or malformed tenant gets 404, as for any unknown tenant")
    func emptyTenantIs404() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let platform = try await api.token(governance.adminKey)
                for tenant in ["", "%20", "Bad_Id", "nope"] {
                    #expect(try await api.get("/v1/principals?tenant=\(tenant)", token: platform).status == .notFound, "\(tenant)")
                    #expect(try await api.get("/v1/api-keys?tenant=\(tenant)", token: platform).status == .notFound, "\(tenant)")
                }
                for tenant in ["", " ", "Bad_Id"] {
                    let created = try await api.post("/v1/principals", token: platform, #"{"name":"x","tenant":"\#(tenant)"}"#)
                    #expect(created.status == .notFound, "\(tenant): \(String(buffer: created.body))")
                }
            }
        }
    }
}
