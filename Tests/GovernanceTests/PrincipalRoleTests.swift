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

@Suite("Governance principals and roles", .serialized, .timeLimit(.minutes(2)))
struct PrincipalRoleTests {
    @Test("an admin creates a principal with roles, binds and unbinds roles, and its tokens carry exactly those roles")
    func rolesFlowIntoTokens() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let created = try await api.post("/v1/principals", token: admin, #"{"name":"alice","roles":["editor"]}"#)
                #expect(created.status == .created)
                let body = try created.json
                #expect(body["name"] == .string("alice"))
                #expect(body["kind"] == .string("user"))
                #expect(body["tenant"] == .string("default"))
                #expect(body["roles"] == .array([.string("editor")]))
                let id = try #require(string(body["id"]))

                let key = try #require(string(try await api.createAPIKey(token: admin, #"{"principal_id":"\#(id)"}"#)["api_key"]))
                let first = try await api.me(try await api.token(key))
                #expect(first["subject"] == .string("alice"))
                #expect(first["tenant"] == .string("default"))
                #expect(first["roles"] == .array([.string("editor")]))

                let bound = try await api.client.execute(uri: "/v1/principals/\(id)/roles/approver", method: .put, headers: .bearer(admin))
                #expect(bound.status == .ok)
                #expect(try bound.json["roles"] == .array([.string("approver"), .string("editor")]))
                let again = try await api.client.execute(uri: "/v1/principals/\(id)/roles/approver", method: .put, headers: .bearer(admin))
                #expect(again.status == .ok)
                #expect(try again.json["roles"] == .array([.string("approver"), .string("editor")]))
                #expect(try await api.me(try await api.token(key))["roles"] == .array([.string("approver"), .string("editor")]))

                let unbound = try await api.client.execute(uri: "/v1/principals/\(id)/roles/editor", method: .delete, headers: .bearer(admin))
                #expect(unbound.status == .ok)
                #expect(try unbound.json["roles"] == .array([.string("approver")]))
                #expect(try await api.me(try await api.token(key))["roles"] == .array([.string("approver")]))

                let missing = try await api.client.execute(uri: "/v1/principals/\(id)/roles/editor", method: .delete, headers: .bearer(admin))
                #expect(missing.status == .notFound)
                let unknownRole = try await api.client.execute(uri: "/v1/principals/\(id)/roles/owner", method: .put, headers: .bearer(admin))
                #expect(unknownRole.status == .badRequest)

                let fetched = try await api.get("/v1/principals/\(id)", token: admin)
                #expect(fetched.status == .ok)
                #expect(try fetched.json["roles"] == .array([.string("approver")]))

                let types = try await governance.outboxEvents().map(\.type)
                #expect(types.filter { $0 == GovernanceEvent.RoleBindingCreated.eventType.name }.count == 3)
                #expect(types.filter { $0 == GovernanceEvent.RoleBindingRevoked.eventType.name }.count == 1)
            }
        }
    }

    @Test("a principal without the admin role gets 403 on POST /v1/principals")
    func nonAdminForbidden() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let id = try await api.createPrincipal(token: admin, #"{"name":"bob","roles":["editor","approver","viewer"]}"#)
                let key = try #require(string(try await api.createAPIKey(token: admin, #"{"principal_id":"\#(id)"}"#)["api_key"]))
                let bob = try await api.token(key)
                let refused = try await api.post("/v1/principals", token: bob, #"{"name":"mallory","roles":["admin"]}"#)
                #expect(refused.status == .forbidden)
                #expect(try refused.json["type"] == .string("urn:maestro:problem:forbidden"))
                #expect(try await api.post("/v1/api-keys", token: bob, #"{"principal_id":"\#(id)"}"#).status == .forbidden)
                #expect(try await api.get("/v1/principals", token: bob).status == .forbidden)
                #expect(try await api.client.execute(uri: "/v1/principals/\(id)/roles/admin", method: .put, headers: .bearer(bob)).status == .forbidden)
                #expect(try await governance.store.principals(as: .admin()).map(\.name) == ["admin", "bob"])
            }
        }
    }

    @Test("a duplicate name is 409 and an invalid role is 422")
    func duplicateAndInvalid() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                #expect(try await api.post("/v1/principals", token: admin, #"{"name":"carol"}"#).status == .created)
                let duplicate = try await api.post("/v1/principals", token: admin, #"{"name":"carol","roles":["viewer"]}"#)
                #expect(duplicate.status == .conflict)
                #expect(try duplicate.json["detail"] == .string("Principal 'carol' already exists."))
                #expect(try await api.post("/v1/principals", token: admin, #"{"name":"admin"}"#).status == .conflict)

                let invalid = try await api.post("/v1/principals", token: admin, #"{"name":"dave","roles":["superuser"]}"#)
                #expect(invalid.status == .unprocessableContent)
                #expect(try invalid.json["errors"] == .array([.object(["field": .string("roles"),
                                                                       "message": .string("'superuser' is not viewer, editor, approver or admin")])]))
                // The roles array is bounded: each known role at most once.
                let manyRoles = "[" + Array(repeating: #""viewer""#, count: 10_000).joined(separator: ",") + "]"
                for roles in [manyRoles, #"["viewer","viewer"]"#, #"["viewer","editor","approver","admin","viewer"]"#] {
                    let refused = try await api.post("/v1/principals", token: admin, #"{"name":"dave","roles":\#(roles)}"#)
                    #expect(refused.status == .unprocessableContent)
                    #expect(try refused.json["errors"] == .array([.object(["field": .string("roles"), "message": .string("at most 4 roles, each once")])]))
                }
                let badKind = try await api.post("/v1/principals", token: admin, #"{"name":"dave","kind":"robot"}"#)
                #expect(badKind.status == .unprocessableContent)
                #expect(try await governance.store.principals(as: .admin()).map(\.name) == ["admin", "carol"])
            }
        }
    }

    @Test("principal names are unique as names (case and compatibility forms folded), and padded or invisible names are refused")
    func lookAlikePrincipals() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                #expect(try await api.post("/v1/principals", token: admin, #"{"name":"A-EDITOR"}"#).status == .created)
                for name in ["a-editor", "A-Editor", "\u{FF41}-editor", "Ａ-EDITOR"] {
                    let response = try await api.post("/v1/principals", token: admin, #"{"name":"\#(name)"}"#)
                    #expect(response.status == .conflict, "\(name)")
                }
                for name in [" bob", "bob ", "bob\\u200b", "b\\u202eob", "bo\\u00adb", "bob\\t", "\\ufeffbob"] {
                    let response = try await api.post("/v1/principals", token: admin, #"{"name":"\#(name)"}"#)
                    #expect(response.status == .unprocessableContent, "\(name): \(String(buffer: response.body))")
                }
                #expect(try await api.post("/v1/principals", token: admin, #"{"name":"b o b"}"#).status == .created, "inner spaces are fine")
            }
        }
    }
}
