import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import Testing
@testable import Registry

/// `/v1/models`: create, read, patch, rename, soft delete, tags, and the list's filters,
/// orders and pages.
@Suite("Native API: models", .serialized, .timeLimit(.minutes(2)))
struct NativeModelTests {
    @Test("a model is created, read, patched, renamed and soft-deleted; its name can then be registered again")
    func lifecycle() async throws {
        try await RegistryHarness.with { registry in
            let alice = try await registry.token()
            let bob = try await registry.token(subject: "bob")
            try await registry.application.test(.router) { client in
                let created = try await client.createModel(#"{"name":"fraud","description":"first","owner":"risk-team","tags":{"team":"risk"}}"#, token: alice)
                #expect(created.headers[.eTag] == "\"v1\"")
                #expect(created.headers[.location] == "/v1/models/fraud")
                let body = try created.json
                #expect(body["name"] == .string("fraud"))
                #expect(body["owner"] == .string("risk-team"))
                #expect(body["tags"] == .object(["team": .string("risk")]))
                #expect(body["aliases"] == .object([:]))
                #expect(body["protected_aliases"] == .array([.string("champion"), .string("production")]))
                #expect(body["created_by"] == .string("alice"))

                try await client.send(.post, "/v1/models", token: alice, body: #"{"name":"fraud"}"#).expectProblem(.conflict, "conflict")

                let fetched = try await client.send(.get, "/v1/models/fraud", token: alice)
                #expect(fetched.status == .ok)
                #expect(fetched.headers[.eTag] == "\"v1\"")
                #expect(try fetched.json["description"] == .string("first"))

                let patched = try await client.send(.patch, "/v1/models/fraud", token: bob, body: #"{"description":"second","tags":{"tier":"gold"}}"#,
                                                    headers: [.ifMatch: "\"v1\""])
                #expect(patched.status == .ok)
                #expect(patched.headers[.eTag] == "\"v2\"")
                #expect(try patched.json["description"] == .string("second"))
                #expect(try patched.json["tags"] == .object(["team": .string("risk"), "tier": .string("gold")]))
                #expect(try patched.json["updated_by"] == .string("bob"))
                #expect(try patched.json["created_by"] == .string("alice"))

                #expect(try await client.createVersion(of: "fraud", token: alice) == 1)
                let renamed = try await client.send(.post, "/v1/models/fraud/rename", token: alice, body: #"{"new_name":"fraud-eu"}"#)
                #expect(renamed.status == .ok)
                #expect(try renamed.json["name"] == .string("fraud-eu"))
                #expect(try renamed.json["description"] == .string("second"))
                #expect(try await client.send(.get, "/v1/models/fraud", token: alice).status == .notFound)
                #expect(try await client.send(.get, "/v1/models/fraud-eu/versions/1", token: alice).json["model_name"] == .string("fraud-eu"))

                #expect(try await client.send(.put, "/v1/models/fraud-eu/aliases/shadow", token: alice, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.delete, "/v1/models/fraud-eu", token: alice).status == .noContent)
                try await client.send(.get, "/v1/models/fraud-eu", token: alice).expectProblem(.notFound, "not-found")
                try await client.send(.get, "/v1/models/fraud-eu/versions/1", token: alice).expectProblem(.notFound, "not-found")
                try await client.send(.delete, "/v1/models/fraud-eu", token: alice).expectProblem(.notFound, "not-found")

                let again = try await client.createModel(#"{"name":"fraud-eu"}"#, token: bob)
                #expect(again.headers[.eTag] == "\"v1\"")
                #expect(try again.json["description"] == nil)
                #expect(try again.json["tags"] == .object([:]))
                #expect(try again.json["owner"] == .string("bob"))
                #expect(try await client.createVersion(of: "fraud-eu", token: bob) == 1)
                #expect(try await client.send(.get, "/v1/models/fraud-eu", token: bob).json["aliases"] == .object([:]))
                #expect(try await client.send(.get, "/v1/models/fraud-eu/alias-history", token: bob).items.isEmpty)
                #expect(try await client.send(.get, "/v1/models", token: bob).items.names == ["fraud-eu"])
            }
            let types = try await registry.outboxEvents().map(\.type)
            #expect(types == [RegistryEvent.ModelCreated.eventType.name, RegistryEvent.ModelUpdated.eventType.name,
                              RegistryEvent.ModelVersionCreated.eventType.name, RegistryEvent.ModelRenamed.eventType.name,
                              RegistryEvent.AliasMoved.eventType.name, RegistryEvent.ModelDeleted.eventType.name, RegistryEvent.ModelCreated.eventType.name,
                              RegistryEvent.ModelVersionCreated.eventType.name])
        }
    }

    @Test("renaming onto a live name is 409; a name with spaces and % round-trips through Location")
    func renameConflictAndEscaping() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                try await client.createModel(#"{"name":"churn"}"#, token: token)
                try await client.send(.post, "/v1/models/fraud/rename", token: token, body: #"{"new_name":"churn"}"#).expectProblem(.conflict, "conflict")
                try await client.send(.post, "/v1/models/nope/rename", token: token, body: #"{"new_name":"other"}"#).expectProblem(.notFound, "not-found")

                let odd = try await client.createModel(#"{"name":"top 10% risk"}"#, token: token)
                let location = try #require(odd.headers[.location])
                #expect(location == "/v1/models/top%2010%25%20risk")
                #expect(try await client.send(.get, location, token: token).json["name"] == .string("top 10% risk"))
                let version = try await client.send(.post, "\(location)/versions", token: token, body: #"{"source":"s3://m/1"}"#)
                #expect(version.headers[.location] == "/v1/models/top%2010%25%20risk/versions/1")
                #expect(try await client.send(.get, "/v1/models/top%2010%25%20risk/versions/1", token: token).json["model_name"] == .string("top 10% risk"))
            }
        }
    }

    @Test("a POST retried with its Idempotency-Key replays the first answer without a second effect; a refused one frees the key")
    func idempotentRetry() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let (modelKey, versionKey, refusedKey) = (UUID().uuidString, UUID().uuidString, UUID().uuidString)
            try await registry.application.test(.router) { client in
                let first = try await client.send(.post, "/v1/models", token: token, body: #"{"name":"fraud"}"#, headers: [IdempotencyMiddleware.header: modelKey])
                let retried = try await client.send(.post, "/v1/models", token: token, body: #"{"name":"fraud"}"#, headers: [IdempotencyMiddleware.header: modelKey])
                #expect(first.status == .created)
                #expect(retried.status == .created)
                #expect(retried.headers[IdempotencyMiddleware.replayedHeader] == "true")
                #expect(retried.headers[.location] == "/v1/models/fraud")
                #expect(retried.headers[.eTag] == first.headers[.eTag])
                #expect(retried.body == first.body)

                let version = #"{"source":"s3://m/1"}"#
                let v1 = try await client.send(.post, "/v1/models/fraud/versions", token: token, body: version, headers: [IdempotencyMiddleware.header: versionKey])
                let again = try await client.send(.post, "/v1/models/fraud/versions", token: token, body: version, headers: [IdempotencyMiddleware.header: versionKey])
                #expect(try v1.json["version"] == .number(1))
                #expect(try again.json["version"] == .number(1))
                #expect(try await client.createVersion(of: "fraud", version, token: token) == 2)

                try await client.send(.post, "/v1/models", token: token, body: #"{"name":""}"#, headers: [IdempotencyMiddleware.header: refusedKey])
                    .expectProblem(.unprocessableContent, "invalid-request", field: "name")
                let fixed = try await client.send(.post, "/v1/models", token: token, body: #"{"name":"churn"}"#, headers: [IdempotencyMiddleware.header: refusedKey])
                #expect(fixed.status == .created)
                #expect(try await client.send(.get, "/v1/models", token: token).items.names == ["churn", "fraud"])
            }
            #expect(try await registry.outboxEvents().map(\.type) == [RegistryEvent.ModelCreated.eventType.name, RegistryEvent.ModelVersionCreated.eventType.name,
                                                                    RegistryEvent.ModelVersionCreated.eventType.name, RegistryEvent.ModelCreated.eventType.name])
        }
    }

    @Test("model tags are set, overwritten and deleted one by one, each change a new revision")
    func tags() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                #expect(try await client.send(.put, "/v1/models/fraud/tags/team", token: token, body: #"{"value":"risk"}"#).status == .noContent)
                #expect(try await client.send(.put, "/v1/models/fraud/tags/team", token: token, body: #"{"value":"fraud-ops"}"#).status == .noContent)
                #expect(try await client.send(.put, "/v1/models/fraud/tags/tier", token: token, body: #"{"value":"gold"}"#).status == .noContent)
                let tagged = try await client.send(.get, "/v1/models/fraud", token: token)
                #expect(try tagged.json["tags"] == .object(["team": .string("fraud-ops"), "tier": .string("gold")]))
                #expect(tagged.headers[.eTag] == "\"v4\"")

                #expect(try await client.send(.delete, "/v1/models/fraud/tags/team", token: token).status == .noContent)
                #expect(try await client.send(.get, "/v1/models/fraud", token: token).json["tags"] == .object(["tier": .string("gold")]))
                try await client.send(.delete, "/v1/models/fraud/tags/team", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.put, "/v1/models/nope/tags/team", token: token, body: #"{"value":"x"}"#).expectProblem(.notFound, "not-found")
            }
        }
    }

    @Test("the list filters by a literal name prefix, by tags and by owner, in either name order")
    func listFilters() async throws {
        try await RegistryHarness.with { registry in
            let alice = try await registry.token()
            let bob = try await registry.token(subject: "bob")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud_a","tags":{"team":"risk"}}"#, token: alice)
                try await client.createModel(#"{"name":"fraud_b","tags":{"team":"risk","tier":"gold"}}"#, token: bob)
                try await client.createModel(#"{"name":"fraudx","tags":{"team":"growth"}}"#, token: alice)
                try await client.createModel(#"{"name":"churn","tags":{"team":"risk"}}"#, token: alice)

                func names(_ query: String) async throws -> [String] {
                    let response = try await client.send(.get, "/v1/models?\(query)", token: alice)
                    try #require(response.status == .ok, "\(response.text)")
                    return try response.items.names
                }
                #expect(try await names("") == ["churn", "fraud_a", "fraud_b", "fraudx"])
                #expect(try await names("name_prefix=fraud_") == ["fraud_a", "fraud_b"])
                #expect(try await names("name_prefix=fraud") == ["fraud_a", "fraud_b", "fraudx"])
                #expect(try await names("tag=team:risk") == ["churn", "fraud_a", "fraud_b"])
                #expect(try await names("tag=team:risk&tag=tier:gold") == ["fraud_b"])
                #expect(try await names("tag=team:nobody").isEmpty)
                #expect(try await names("owner=bob") == ["fraud_b"])
                #expect(try await names("owner=alice&tag=team:risk") == ["churn", "fraud_a"])
                #expect(try await names("order_by=name%20desc") == ["fraudx", "fraud_b", "fraud_a", "churn"])

                try await client.send(.get, "/v1/models?tag=team", token: alice).expectProblem(.badRequest, "bad-request", field: "tag")
                try await client.send(.get, "/v1/models?order_by=size", token: alice).expectProblem(.badRequest, "bad-request", field: "order_by")
                try await client.send(.get, "/v1/models?page_size=0", token: alice).expectProblem(.badRequest, "bad-request", field: "page_size")
                try await client.send(.get, "/v1/models?page_token=not-a-token", token: alice).expectProblem(.badRequest, "bad-request", field: "page_token")
            }
        }
    }

    /// Created in this order, so creation order differs from name order.
    static let pagedNames = ["delta", "alpha", "echo", "charlie", "bravo"]

    @Test("page_size=2 pages visit every model exactly once, in the order asked for",
          arguments: [("name", pagedNames.sorted()), ("name%20desc", Array(pagedNames.sorted().reversed())),
                      ("updated_at", pagedNames), ("updated_at%20desc", Array(pagedNames.reversed()))])
    func paging(orderBy: String, expected: [String]) async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                for name in Self.pagedNames { try await client.createModel(#"{"name":"\#(name)"}"#, token: token) }
                let pages = try await client.pages("/v1/models?page_size=2&order_by=\(orderBy)", token: token)
                #expect(pages.map(\.count) == [2, 2, 1])
                #expect(pages.flatMap(\.names) == expected)
            }
        }
    }
}
