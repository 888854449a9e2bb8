import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// `/v1/models/{name}/versions/{version}/card` and `card.md`: completeness is the share of
/// the eight sections with content (whitespace is no content), and the Markdown marks the rest.
@Suite("Native API: model cards", .serialized, .timeLimit(.minutes(2)))
struct ModelCardTests {
    static let card = #"""
        {"overview":"Scores card transactions.","intended_use":"Flag fraud for review.",
         "training_data":[{"name":"transactions","version":"2026-11-01"}],
         "evaluation":[{"metric":"auc","value":0.93,"dataset":{"name":"holdout","version":"2026-11-02"}}],
         "limitations":"   ","owners":["alice","risk-team"]}
        """#

    static let markdown = """
        # Model card: fraud version 1

        Completeness: 63% (missing: Out-of-scope use, Limitations, Ethical considerations)

        - Source: `s3://models/fraud/1`
        - Run: `run-1`
        - Status: READY; stage: None
        - Signature: none

        ## Overview

        Scores card transactions.

        ## Intended use

        Flag fraud for review.

        ## Out-of-scope use

        _Not provided._

        ## Training data

        - transactions version 2026-11-01

        ## Evaluation

        | metric | value | dataset |
        |---|---|---|
        | auc | 0.93 | holdout version 2026-11-02 |

        ## Limitations

        _Not provided._

        ## Ethical considerations

        _Not provided._

        ## Owners

        - alice
        - risk-team

        """

    @Test("an unwritten card is empty; a written one reports its completeness and missing sections, and renders as Markdown")
    func card() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://models/fraud/1","run_id":"run-1"}"#, token: token)

                let empty = try await client.send(.get, "/v1/models/fraud/versions/1/card", token: token)
                #expect(empty.status == .ok)
                #expect(empty.headers[.eTag] == "\"v1\"")
                #expect(try empty.json["completeness"] == .number(0))
                #expect(try empty.json["missing_sections"]?.array?.count == 8)
                #expect(try empty.json["model_name"] == .string("fraud"))
                #expect(try empty.json["version"] == .number(1))

                let missing: JSONValue = .array(["out_of_scope_use", "limitations", "ethical_considerations"].map { .string($0) })
                let written = try await client.send(.put, "/v1/models/fraud/versions/1/card", token: token, body: Self.card, headers: [.ifMatch: "\"v1\""])
                #expect(written.status == .ok)
                #expect(written.headers[.eTag] == "\"v2\"")
                #expect(try written.json["completeness"] == .number(0.63))
                #expect(try written.json["missing_sections"] == missing)

                let read = try await client.send(.get, "/v1/models/fraud/versions/1/card", token: token)
                #expect(try read.json["completeness"] == .number(0.63))
                #expect(try read.json["missing_sections"] == missing)
                let card = try #require(try read.json["card"]?.object)
                #expect(card["overview"] == .string("Scores card transactions."))
                #expect(card["owners"] == .array([.string("alice"), .string("risk-team")]))
                #expect(card["evaluation"]?.array?.first?.object?["value"] == .number(0.93))
                #expect(try written.json["card"]?.object == card)

                let markdown = try await client.send(.get, "/v1/models/fraud/versions/1/card.md", token: token)
                #expect(markdown.status == .ok)
                #expect(markdown.headers[.contentType] == "text/markdown; charset=utf-8")
                #expect(markdown.text == Self.markdown)

                try await client.send(.put, "/v1/models/fraud/versions/1/card", token: token, body: #"{"overview":"x"}"#, headers: [.ifMatch: "\"v1\""])
                    .expectProblem(.preconditionFailed, "precondition-failed")
                let full = #"{"overview":"o","intended_use":"i","out_of_scope_use":"s","training_data":[{"name":"t","version":"1"}],"evaluation":[{"metric":"auc","value":1}],"limitations":"l","ethical_considerations":"e","owners":["a"]}"#
                let complete = try await client.send(.put, "/v1/models/fraud/versions/1/card", token: token, body: full, headers: [.ifMatch: "\"v2\""])
                #expect(complete.status == .ok)
                #expect(try complete.json["completeness"] == .number(1))
                #expect(try complete.json["missing_sections"] == .array([]))
                #expect(try await client.send(.get, "/v1/models/fraud/versions/1/card.md", token: token).text.contains("Completeness: 100%\n"))

                try await client.send(.get, "/v1/models/fraud/versions/2/card", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.get, "/v1/models/fraud/versions/2/card.md", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.put, "/v1/models/fraud/versions/1/card", token: token, body: #"{"summary":"x"}"#)
                    .expectProblem(.unprocessableContent, "invalid-request", field: "summary")
            }
            let updates = try await registry.outboxEvents().filter { $0.type == RegistryEvent.ModelCardUpdated.eventType.name }
            #expect(updates.map { $0.data["completeness"] } == [.number(0.63), .number(1)])
        }
    }
}
