import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Registry

/// A tenant never sees another's models: through the API they do not exist (404, absent from
/// lists), and through SQL the runtime role sees only the rows of the transaction's tenant.
@Suite("Native API: tenant isolation", .serialized, .timeLimit(.minutes(2)))
struct TenantIsolationTests {
    @Test("another tenant gets 404 for acme's model and its lists leave it out; the same name is its own model there")
    func otherTenant() async throws {
        try await RegistryHarness.with { registry in
            let acme = try await registry.token()
            let other = try await registry.token(subject: "mallory", tenant: "other", roles: ["admin"])
            let model = unique("fraud")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)","description":"acme's","tags":{"team":"risk"}}"#, token: acme)
                try await client.createVersion(of: model, #"{"source":"s3://acme/1","metrics":{"auc":0.99}}"#, token: acme)
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/prod", token: acme, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: acme).status == .ok)

                for path in ["", "/versions", "/versions/1", "/versions/1/card", "/versions/1/card.md", "/aliases/prod",
                             "/aliases/prod/history", "/alias-history", "/promotions"] {
                    try await client.send(.get, "/v1/models/\(model)\(path)", token: other).expectProblem(.notFound, "not-found")
                }
                try await client.send(.patch, "/v1/models/\(model)", token: other, body: #"{"description":"mine"}"#).expectProblem(.notFound, "not-found")
                try await client.send(.put, "/v1/models/\(model)/aliases/prod", token: other, body: #"{"version":1}"#).expectProblem(.notFound, "not-found")
                try await client.send(.post, "/v1/models/\(model)/versions", token: other, body: #"{"source":"s3://other/1"}"#).expectProblem(.notFound, "not-found")
                try await client.send(.delete, "/v1/models/\(model)", token: other).expectProblem(.notFound, "not-found")
                #expect(try await client.send(.get, "/v1/models", token: other).items.isEmpty)
                #expect(try await client.send(.get, "/v1/models?tag=team:risk", token: other).items.isEmpty)
                #expect(try await client.send(.get, "/v1/versions?metric=auc%3E0.5", token: other).items.isEmpty)

                try await client.createModel(#"{"name":"\#(model)","description":"other's"}"#, token: other)
                #expect(try await client.send(.get, "/v1/models/\(model)", token: other).json["description"] == .string("other's"))
                #expect(try await client.send(.get, "/v1/models/\(model)", token: acme).json["description"] == .string("acme's"))
                #expect(try await client.send(.get, "/v1/models", token: acme).items.names == [model])
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: acme).json["source"] == .string("s3://acme/1"))
            }
        }
    }

    @Test("the runtime role sees no registry rows outside a tenant transaction, and only the tenant's inside one")
    func rowLevelSecurity() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let other = try await registry.token(tenant: "other")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud","tags":{"team":"risk"}}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://m/1","metrics":{"auc":0.9},"tags":{"env":"prod"}}"#, token: token)
                #expect(try await client.send(.put, "/v1/models/fraud/aliases/prod", token: token, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.put, "/v1/models/fraud/aliases/champion", token: token, body: #"{"version":1}"#).status == .accepted)
                try await client.createModel(#"{"name":"other-model"}"#, token: other)
            }
            let tables = ["models", "model_tags", "versions", "version_metrics", "version_tags", "aliases", "alias_history", "promotions"]
            try await withRunning(makeClient(try registry.database.runtimeSettings(schema: "registry"))) { client in
                for table in tables {
                    let unscoped = try await client.integer("SELECT count(*)::int FROM registry.\(unescaped: table)")
                    #expect(unscoped == 0, "\(table) without a tenant")
                }
                let logger = RegistryHarness.logger
                let acme = try await client.withTenantTransaction("acme", logger: logger) { connection in
                    var counts: [Int] = []
                    for table in tables {
                        for try await count in try await connection.query("SELECT count(*)::int FROM registry.\(unescaped: table)", logger: logger).decode(Int.self) {
                            counts.append(count)
                        }
                    }
                    return counts
                }
                #expect(acme == [1, 1, 1, 1, 1, 1, 1, 1])
                let names = try await client.withTenantTransaction("other", logger: logger) { connection in
                    var names: [String] = []
                    for try await name in try await connection.query("SELECT name FROM registry.models", logger: logger).decode(String.self) { names.append(name) }
                    return names
                }
                #expect(names == ["other-model"])
            }
        }
    }
}
