import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// Who may do what: a token is required, writes take `editor`, and changing which aliases
/// are protected takes `admin`. A refused request changes nothing.
@Suite("Native API: authentication and roles", .serialized, .timeLimit(.minutes(2)))
struct AuthorizationTests {
    @Test("no token or a bad one is 401; a viewer reads but cannot write (403) and nothing changes")
    func tokensAndRoles() async throws {
        try await RegistryHarness.with { registry in
            let editor = try await registry.token()
            let viewer = try await registry.token(subject: "vera", roles: ["viewer"])
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud","description":"kept"}"#, token: editor)
                try await client.createVersion(of: "fraud", token: editor)

                let anonymous = try await client.send(.get, "/v1/models", token: nil)
                try anonymous.expectProblem(.unauthorized, "unauthorized")
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                try await client.send(.post, "/v1/models", token: nil, body: #"{"name":"x"}"#).expectProblem(.unauthorized, "unauthorized")
                try await client.send(.get, "/v1/models", token: "not-a-jwt").expectProblem(.unauthorized, "unauthorized")
                try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Basic YWxpY2U6c2VjcmV0"])
                    .expectProblem(.unauthorized, "unauthorized")

                #expect(try await client.send(.get, "/v1/models/fraud", token: viewer).status == .ok)
                #expect(try await client.send(.get, "/v1/versions", token: viewer).items.count == 1)
                try await client.send(.post, "/v1/models", token: viewer, body: #"{"name":"x"}"#).expectProblem(.forbidden, "forbidden")
                try await client.send(.patch, "/v1/models/fraud", token: viewer, body: #"{"description":"x"}"#).expectProblem(.forbidden, "forbidden")
                try await client.send(.delete, "/v1/models/fraud", token: viewer).expectProblem(.forbidden, "forbidden")
                try await client.send(.post, "/v1/models/fraud/versions", token: viewer, body: #"{"source":"s3://m/2"}"#).expectProblem(.forbidden, "forbidden")
                try await client.send(.put, "/v1/models/fraud/aliases/prod", token: viewer, body: #"{"version":1}"#).expectProblem(.forbidden, "forbidden")
                try await client.send(.put, "/v1/models/fraud/tags/team", token: viewer, body: #"{"value":"x"}"#).expectProblem(.forbidden, "forbidden")

                let after = try await client.send(.get, "/v1/models/fraud", token: viewer).json
                #expect(after["description"] == .string("kept"))
                #expect(after["tags"] == .object([:]))
                #expect(after["aliases"] == .object([:]))
                #expect(try await client.send(.get, "/v1/models", token: viewer).items.names == ["fraud"])
                #expect(try await client.send(.get, "/v1/models/fraud/versions", token: viewer).items.count == 1)
            }
        }
    }

    @Test("choosing protected aliases takes an admin, on create and on patch; an editor's attempt changes nothing at all")
    func protectedAliasesNeedAdmin() async throws {
        try await RegistryHarness.with { registry in
            let editor = try await registry.token()
            let admin = try await registry.token(subject: "root", roles: ["admin"])
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud","description":"kept"}"#, token: editor)
                try await client.send(.post, "/v1/models", token: editor, body: #"{"name":"open","protected_aliases":[]}"#).expectProblem(.forbidden, "forbidden")
                try await client.send(.get, "/v1/models/open", token: editor).expectProblem(.notFound, "not-found")
                try await client.send(.patch, "/v1/models/fraud", token: editor, body: #"{"description":"changed","protected_aliases":[]}"#)
                    .expectProblem(.forbidden, "forbidden")
                let unchanged = try await client.send(.get, "/v1/models/fraud", token: editor)
                #expect(try unchanged.json["description"] == .string("kept"))
                #expect(try unchanged.json["protected_aliases"] == .array([.string("champion"), .string("production")]))
                #expect(unchanged.headers[.eTag] == "\"v1\"")

                let changed = try await client.send(.patch, "/v1/models/fraud", token: admin, body: #"{"description":"changed","protected_aliases":["gold"]}"#)
                #expect(changed.status == .ok)
                #expect(try changed.json["description"] == .string("changed"))
                #expect(try changed.json["protected_aliases"] == .array([.string("gold")]))
                try await client.createVersion(of: "fraud", token: editor)
                #expect(try await client.send(.put, "/v1/models/fraud/aliases/champion", token: editor, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.put, "/v1/models/fraud/aliases/gold", token: editor, body: #"{"version":1}"#).status == .accepted)
            }
        }
    }
}
