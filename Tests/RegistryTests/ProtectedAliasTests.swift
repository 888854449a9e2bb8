import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// Protected aliases (`champion`, `production` unless an admin chose others) never move on
/// request: a PUT opens a pending promotion and asks governance with the version's facts.
@Suite("Native API: protected aliases and promotions", .serialized, .timeLimit(.minutes(2)))
struct ProtectedAliasTests {
    @Test("a protected alias answers 202 with a pending promotion, does not move, and asks governance with the version's facts")
    func protectedAliasOpensPromotion() async throws {
        try await RegistryHarness.with { registry in
            let alice = try await registry.token()
            let admin = try await registry.token(subject: "root", roles: ["admin"])
            let model = unique("fraud")
            let promotion = try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: alice)
                try await client.createVersion(of: model, #"{"source":"s3://m/1","metrics":{"auc":0.93},"signature":{"inputs":"[{\"type\":\"double\"}]"}}"#, token: alice)
                try await client.createVersion(of: model, #"{"source":"s3://m/2","status":"PENDING_REGISTRATION"}"#, token: alice)
                let card = #"{"overview":"Scores transactions.","intended_use":"Card fraud.","owners":["alice"]}"#
                #expect(try await client.send(.put, "/v1/models/\(model)/versions/1/card", token: alice, body: card).status == .ok)

                let requested = try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: alice, body: #"{"version":1,"reason":"ship it"}"#)
                #expect(requested.status == .accepted)
                let promotion = try requested.json
                #expect(promotion["state"] == .string("PENDING"))
                #expect(promotion["model_name"] == .string(model))
                #expect(promotion["version"] == .number(1))
                #expect(promotion["alias"] == .string("champion"))
                #expect(promotion["reason"] == .string("ship it"))
                #expect(promotion["requested_by"] == .string("alice"))
                let id = try #require(promotion["id"]?.string)
                #expect(UUID(uuidString: id) != nil)

                try await client.send(.get, "/v1/models/\(model)/aliases/champion", token: alice).expectProblem(.notFound, "not-found")
                #expect(try await client.send(.get, "/v1/models/\(model)", token: alice).json["aliases"] == .object([:]))
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/champion/history", token: alice).items.isEmpty)
                let again = try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: alice, body: #"{"version":1}"#)
                #expect(again.status == .accepted)
                #expect(try again.json == promotion, "asking again while pending answers the same promotion")
                let listed = try await client.send(.get, "/v1/models/\(model)/promotions", token: alice).items
                #expect(listed == [promotion])
                // One promotion by id; a malformed id is 400, and an unknown id, another model's path or another tenant is 404.
                #expect(try await client.send(.get, "/v1/models/\(model)/promotions/\(id)", token: alice).json == promotion)
                try await client.send(.get, "/v1/models/\(model)/promotions/not-a-uuid", token: alice).expectProblem(.badRequest, "bad-request", field: "id")
                try await client.send(.get, "/v1/models/\(model)/promotions/\(UUID().uuidString)", token: alice).expectProblem(.notFound, "not-found")
                try await client.createModel(#"{"name":"\#(model)-other"}"#, token: alice)
                try await client.send(.get, "/v1/models/\(model)-other/promotions/\(id)", token: alice).expectProblem(.notFound, "not-found")
                let stranger = try await registry.token(subject: "eve", tenant: "globex")
                try await client.send(.get, "/v1/models/\(model)/promotions/\(id)", token: stranger).expectProblem(.notFound, "not-found")

                try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: alice, body: #"{"version":2}"#).expectProblem(.conflict, "conflict")
                try await client.send(.delete, "/v1/models/\(model)/aliases/champion", token: alice).expectProblem(.forbidden, "forbidden")
                try await client.send(.delete, "/v1/models/\(model)/aliases/champion", token: admin).expectProblem(.notFound, "not-found")
                return promotion
            }
            let requests = try await registry.outboxEvents().filter { $0.type == RegistryEvent.PromotionRequested.eventType.name }
            #expect(requests.count == 1)
            let event = try #require(requests.first)
            #expect(event.key == model)
            let missing: [JSONValue] = ["out_of_scope_use", "training_data", "evaluation", "limitations", "ethical_considerations"].map { .string($0) }
            #expect(event.data["model_name"] == .string(model))
            #expect(event.data["version"] == .number(1))
            #expect(event.data["alias"] == .string("champion"))
            #expect(event.data["current_version"] == nil)
            #expect(event.data["reason"] == .string("ship it"))
            #expect(event.data["metrics"] == .object(["auc": .number(0.93)]))
            #expect(event.data["card_completeness"] == .number(0.38))
            #expect(event.data["missing_card_sections"] == .array(missing))
            #expect(event.data["signature_present"] == .bool(true))
            #expect(event.data["requested_by"] == .string("alice"))
            #expect(event.data["promotion_id"] == promotion["id"])
        }
    }

    @Test("a protected alias already set names its current version in the promotion, stays put, and guards its version and model from deletion")
    func promotionNamesCurrentVersion() async throws {
        try await RegistryHarness.with { registry in
            let editor = try await registry.token()
            let admin = try await registry.token(subject: "root", roles: ["admin"])
            let model = unique("fraud")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)","protected_aliases":[]}"#, token: admin)
                try await client.createVersion(of: model, token: editor)
                try await client.createVersion(of: model, #"{"source":"s3://m/2","dataset_versions":[{"name":"transactions","version":"2026-11-01"}]}"#, token: editor)
                let card = try await client.send(.get, "/v1/models/\(model)/versions/2/card", token: editor).json
                #expect(card["completeness"] == .number(0.13), "an unwritten card lists the version's datasets as its training data")
                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: editor, body: #"{"version":1}"#).status == .ok)
                let protected = try await client.send(.patch, "/v1/models/\(model)", token: admin, body: #"{"protected_aliases":["champion"]}"#)
                #expect(try protected.json["protected_aliases"] == .array([.string("champion")]))

                #expect(try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: editor, body: #"{"version":2}"#).status == .accepted)
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/champion", token: editor).json["version"] == .number(1))
                #expect(try await client.send(.get, "/v1/models/\(model)/aliases/champion/history", token: editor).items.count == 1)

                try await client.send(.delete, "/v1/models/\(model)/versions/1", token: editor).expectProblem(.conflict, "conflict")
                try await client.send(.delete, "/v1/models/\(model)", token: editor).expectProblem(.conflict, "conflict")
                try await client.send(.delete, "/v1/models/\(model)/aliases/champion", token: editor).expectProblem(.forbidden, "forbidden")
                #expect(try await client.send(.delete, "/v1/models/\(model)/aliases/champion?reason=retired", token: admin).status == .noContent)
                #expect(try await client.send(.delete, "/v1/models/\(model)/versions/1", token: editor).status == .noContent)
                #expect(try await client.send(.delete, "/v1/models/\(model)", token: editor).status == .noContent)
            }
            let requested = try await registry.outboxEvents().filter { $0.type == RegistryEvent.PromotionRequested.eventType.name }
            #expect(requested.map { $0.data["current_version"] } == [.number(1)])
            #expect(requested.map { $0.data["version"] } == [.number(2)])
            #expect(requested.map { $0.data["card_completeness"] } == [.number(0.13)], "the completeness GET .../card reports")
            #expect(requested.first?.data["missing_card_sections"]?.array?.contains(.string("training_data")) == false)
            #expect(requested.map { $0.data["signature_present"] } == [.bool(false)])
        }
    }

    /// Look-alikes of `champion`: each is a request for `champion` itself.
    static let lookAlikes = ["Champion", "CHAMPION", "%EF%BD%83%EF%BD%88%EF%BD%81%EF%BD%8D%EF%BD%90%EF%BD%89%EF%BD%8F%EF%BD%8E"]
    /// Names no alias may have: surrounding whitespace, invisible and control characters.
    static let refused = ["champion%20", "%20champion", "champion%E2%80%8B", "cham%E2%80%AEpion", "champ%C2%ADion", "champion%09", "champ%E2%81%A0ion"]

    @Test("a look-alike of a protected alias (case, full-width forms) is that alias: it opens the same promotion and moves nothing; invisible or padded names are refused")
    func lookAlikesAreProtected() async throws {
        try await RegistryHarness.with { registry in
            let alice = try await registry.token()
            let model = unique("lookalike")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: alice)
                try await client.createVersion(of: model, #"{"source":"s3://m/1"}"#, token: alice)
                let first = try await client.send(.put, "/v1/models/\(model)/aliases/champion", token: alice, body: #"{"version":1}"#)
                #expect(first.status == .accepted)
                for alias in Self.lookAlikes {
                    let response = try await client.send(.put, "/v1/models/\(model)/aliases/\(alias)", token: alice, body: #"{"version":1}"#)
                    #expect(response.status == .accepted, "\(alias): \(response.text)")
                    #expect(try response.json == first.json, "\(alias) answers the pending promotion of champion")
                    try await client.send(.delete, "/v1/models/\(model)/aliases/\(alias)", token: alice).expectProblem(.forbidden, "forbidden")
                }
                for alias in Self.refused {
                    try await client.send(.put, "/v1/models/\(model)/aliases/\(alias)", token: alice, body: #"{"version":1}"#)
                        .expectProblem(.unprocessableContent, "invalid-request", field: "alias")
                }
                #expect(try await client.send(.get, "/v1/models/\(model)", token: alice).json["aliases"] == .object([:]))
                #expect(try await client.send(.get, "/v1/models/\(model)/promotions", token: alice).items.count == 1)
            }
        }
    }
}
