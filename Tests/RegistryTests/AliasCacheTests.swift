import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroRedis
import Testing
@testable import Registry

/// Resolving an alias without `at` is answered from Redis; every write through the API that
/// could change the answer clears the model's entries.
@Suite("Native API: alias cache", .serialized, .timeLimit(.minutes(2)))
struct AliasCacheTests {
    @Test("a resolved alias is answered from Redis; moving it, patching or tagging its version, renaming or deleting the model replaces the answer")
    func aliasCache() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let cache = registry.cache
            let model = unique("fraud")
            @Sendable func cachedVersion() async throws -> JSONValue? {
                let replies = try await cache.redis.execute(cache.lookup(tenant: "acme", model: model, alias: "prod"))
                guard let bytes = cache.answer(from: replies) else { return nil }
                return try JSONValue(parsing: bytes).object?["version"]
            }
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: token)
                try await client.createVersion(of: model, token: token)
                try await client.createVersion(of: model, token: token)
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/prod", token: token, body: #"{"version":1}"#).status == .ok)
                #expect(try await cachedVersion() == nil)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).json["version"] == .number(1))
                #expect(try await cachedVersion() == .number(1))

                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/prod", token: token, body: #"{"version":2}"#).status == .ok)
                #expect(try await cachedVersion() == nil)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).json["version"] == .number(2))
                #expect(try await cachedVersion() == .number(2))

                await cache.put(tenant: "acme", model: model, alias: "prod", body: Array(#"{"version":42}"#.utf8))
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).json["version"] == .number(42))

                let patched = try await client.send(.patch, "/v1/models/\(model)/versions/2", token: token, body: #"{"description":"recalibrated"}"#)
                #expect(patched.status == .ok)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).json["description"] == .string("recalibrated"))
                #expect(try await client.send(.put, "/v1/models/\(model)/versions/2/tags/env", token: token, body: #"{"value":"prod"}"#).status == .noContent)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).json["tags"] == .object(["env": .string("prod")]))

                let renamed = "\(model)-renamed"
                #expect(try await client.send(.post, "/v1/models/\(model)/rename", token: token, body: #"{"new_name":"\#(renamed)"}"#).status == .ok)
                try await client.send(.get, "/v1/models/\(model)/aliases/prod", token: token).expectProblem(.notFound, "not-found")
                let moved = try await client.send(.get, "/v1/models/\(renamed)/aliases/prod", token: token).json
                #expect(moved["model_name"] == .string(renamed))
                #expect(moved["version"] == .number(2))
                #expect(try await client.send(.get, "/v1/models/\(renamed)/aliases/prod/history", token: token).items.count == 2)

                #expect(try await client.send(.delete, "/v1/models/\(renamed)", token: token).status == .noContent)
                try await client.send(.get, "/v1/models/\(renamed)/aliases/prod", token: token).expectProblem(.notFound, "not-found")
            }
        }
    }
}
