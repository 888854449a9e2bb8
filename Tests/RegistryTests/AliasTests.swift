import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// `/v1/models/{name}/aliases`: a plain alias moves at once and keeps a history that answers
/// "which version at time t".
@Suite("Native API: aliases", .serialized, .timeLimit(.minutes(2)))
struct AliasTests {
    @Test("a plain alias moves at once; its history lists every move in order; ?at= answers the version of that time")
    func movesAndHistory() async throws {
        try await RegistryHarness.with { registry in
            let alice = try await registry.token()
            let bob = try await registry.token(subject: "bob")
            let model = unique("fraud")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: alice)
                for _ in 1...3 { try await client.createVersion(of: model, token: alice) }

                let first = try await client.send(.put, "/v1/models/\(model)/aliases/candidate", token: alice, body: #"{"version":1,"reason":"first cut"}"#)
                #expect(first.status == .ok)
                #expect(try first.json["alias"] == .string("candidate"))
                #expect(try first.json["previous_version"] == .null)
                #expect(try first.json["version"] == .number(1))
                #expect(try first.json["moved_by"] == .string("alice"))
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/candidate", token: alice).json["version"] == .number(1))

                // Moves land in distinct milliseconds, so a time between two of them is unambiguous.
                try await Task.sleep(for: .milliseconds(30))
                let second = try await client.send(.put, "/v1/models/\(model)/aliases/candidate", token: bob, body: #"{"version":2,"reason":"better auc"}"#)
                #expect(try second.json["previous_version"] == .number(1))
                #expect(try second.json["version"] == .number(2))
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/candidate", token: alice).json["version"] == .number(2))
                #expect(try await client.send(.get, "/v1/models/\(model)", token: alice).json["aliases"] == .object(["candidate": .number(2)]))
                #expect(try await client.send(.get, "/v1/models/\(model)/versions/2", token: alice).json["aliases"] == .array([.string("candidate")]))
                #expect(try await client.send(.get, "/v1/models/\(model)/versions/1", token: alice).json["aliases"] == .array([]))

                try await Task.sleep(for: .milliseconds(30))
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/candidate", token: alice, body: #"{"version":3}"#).status == .ok)
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/shadow", token: alice, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.delete, "/v1/models/\(model)/aliases/candidate?reason=rollback", token: bob).status == .noContent)
                try await client.send(.get, "/v1/models/\(model)/aliases/candidate", token: alice).expectProblem(.notFound, "not-found")
                try await client.send(.delete, "/v1/models/\(model)/aliases/candidate", token: bob).expectProblem(.notFound, "not-found")
                try await client.send(.put, "/v1/models/\(model)/aliases/candidate", token: alice, body: #"{"version":9}"#).expectProblem(.notFound, "not-found")

                let history = try await client.send(.get, "/v1/models/\(model)/aliases/candidate/history", token: alice).items
                #expect(history.map { $0["previous_version"] } == [.null, .number(1), .number(2), .number(3)])
                #expect(history.map { $0["version"] } == [.number(1), .number(2), .number(3), .null])
                #expect(history.map { $0["moved_by"]?.string } == ["alice", "bob", "alice", "bob"])
                #expect(history.map { $0["reason"]?.string } == ["first cut", "better auc", nil, "rollback"])
                #expect(history.allSatisfy { $0["alias"] == .string("candidate") })
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/never/history", token: alice).items.isEmpty)
                try await client.send(.get, "/v1/models/nope/aliases/candidate/history", token: alice).expectProblem(.notFound, "not-found")
                let all = try await client.send(.get, "/v1/models/\(model)/alias-history", token: alice).items
                #expect(all.map { $0["alias"]?.string } == ["candidate", "candidate", "candidate", "shadow", "candidate"])

                let times = try history.map { try #require($0["moved_at"]?.string.flatMap(RFC3339.parse)) }
                func at(_ date: Date) async throws -> TestResponse {
                    try await client.send(.get, "/v1/models/\(model)/aliases/candidate?at=\(RFC3339.format(date))", token: alice)
                }
                let betweenFirstAndSecond = times[0].addingTimeInterval(times[1].timeIntervalSince(times[0]) / 2)
                #expect(try await at(betweenFirstAndSecond).json["version"] == .number(1))
                let betweenSecondAndThird = times[1].addingTimeInterval(times[2].timeIntervalSince(times[1]) / 2)
                #expect(try await at(betweenSecondAndThird).json["version"] == .number(2))
                try await at(times[0].addingTimeInterval(-60)).expectProblem(.notFound, "not-found")
                try await at(times[3].addingTimeInterval(60)).expectProblem(.notFound, "not-found")
                try await client.send(.get, "/v1/models/\(model)/aliases/candidate?at=yesterday", token: alice).expectProblem(.badRequest, "bad-request", field: "at")
            }
        }
    }

    @Test("deleting a version removes the aliases on it, with a history entry and a new model ETag")
    func deletingVersionDropsAliases() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let model = unique("fraud")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: token)
                try await client.createVersion(of: model, token: token)
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/shadow", token: token, body: #"{"version":1}"#).status == .ok)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/shadow", token: token).status == .ok)
                let before = try await client.send(.get, "/v1/models/\(model)", token: token)
                #expect(try before.json["aliases"] == .object(["shadow": .number(1)]))
                #expect(try await client.send(.delete, "/v1/models/\(model)/versions/1", token: token).status == .noContent)
                let after = try await client.send(.get, "/v1/models/\(model)", token: token)
                #expect(try after.json["aliases"] == .object([:]))
                #expect(after.headers[.eTag] != before.headers[.eTag], "the model's aliases changed, so its ETag must")
                try await client.send(.get, "/v1/models/\(model)/aliases/shadow", token: token).expectProblem(.notFound, "not-found")
                let history = try await client.send(.get, "/v1/models/\(model)/aliases/shadow/history", token: token).items
                #expect(history.map { $0["version"] } == [.number(1), .null])
                #expect(history.last?["reason"] == .string("version deleted"))
            }
        }
    }
}
