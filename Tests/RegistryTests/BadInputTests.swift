import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// A request the native API must refuse, and the problem it answers with.
struct BadRequestCase: Sendable, CustomTestStringConvertible {
    let label: String
    let method: HTTPRequest.Method
    let path: String
    let body: String
    var contentType: String? = "application/json"
    let status: HTTPResponse.Status
    let kind: String
    var field: String?

    var testDescription: String { label }

    static func invalid(_ label: String, _ method: HTTPRequest.Method, _ path: String, _ body: String, field: String?) -> BadRequestCase {
        BadRequestCase(label: label, method: method, path: path, body: body, status: .unprocessableContent, kind: "invalid-request", field: field)
    }
}

/// Refused input: every refusal is `application/problem+json` with its status and `type`,
/// and naming the field at fault where there is one. Each case runs against model `fraud`
/// with version 1.
@Suite("Native API: bad input", .serialized, .timeLimit(.minutes(2)))
struct BadInputTests {
    static let models = "/v1/models"
    static let versions = "/v1/models/fraud/versions"

    static let bodies: [BadRequestCase] = [
        .invalid("unknown member on create", .post, models, #"{"name":"x","colour":"red"}"#, field: "colour"),
        .invalid("too many protected aliases", .post, models,
                 #"{"name":"x","protected_aliases":[\#((0..<21).map { "\"a\($0)\"" }.joined(separator: ","))]}"#, field: "protected_aliases"),
        .invalid("a protected alias twice", .patch, "/v1/models/fraud", #"{"protected_aliases":["champion","champion"]}"#, field: "protected_aliases"),
        .invalid("name is not patchable", .patch, "/v1/models/fraud", #"{"name":"y"}"#, field: "name"),
        .invalid("unknown member on a version", .post, versions, #"{"source":"s3://m/1","stage":"Production"}"#, field: "stage"),
        .invalid("metrics as a string", .post, versions, #"{"source":"s3://m/1","metrics":"x"}"#, field: "metrics"),
        .invalid("a metric as a string", .post, versions, #"{"source":"s3://m/1","metrics":{"auc":"high"}}"#, field: "metrics.auc"),
        .invalid("name as a number", .post, models, #"{"name":5}"#, field: "name"),
        .invalid("name missing", .post, models, #"{"description":"x"}"#, field: "name"),
        .invalid("name null", .post, models, #"{"name":null}"#, field: "name"),
        .invalid("an array for an object", .post, models, #"[1,2]"#, field: nil),
        .invalid("unknown status", .post, versions, #"{"source":"s3://m/1","status":"DONE"}"#, field: "status"),
        .invalid("signature inputs not JSON", .post, versions, #"{"source":"s3://m/1","signature":{"inputs":"not json"}}"#, field: "signature.inputs"),
        .invalid("signature spec without a type", .post, versions, #"{"source":"s3://m/1","signature":{"inputs":"[{\"name\":\"amount\"}]"}}"#, field: "signature.inputs"),
        .invalid("signature without inputs", .post, versions, #"{"source":"s3://m/1","signature":{"outputs":"[]"}}"#, field: "signature.inputs"),
        .invalid("a fractional version", .put, "/v1/models/fraud/aliases/prod", #"{"version":1.5}"#, field: nil),
        .invalid("a version too large for an integer", .put, "/v1/models/fraud/aliases/prod", #"{"version":99999999999999999999}"#, field: nil),
        .invalid("an empty OpenLineage run id", .post, versions, #"{"source":"s3://m/1","openlineage_run_id":""}"#, field: "openlineage_run_id"),
        .invalid("a card dataset without a name", .put, "/v1/models/fraud/versions/1/card", #"{"training_data":[{"name":"","version":"1"}]}"#, field: "training_data"),
        .invalid("an empty card owner", .put, "/v1/models/fraud/versions/1/card", #"{"owners":[""]}"#, field: "owners"),
        .invalid("alias to version 0", .put, "/v1/models/fraud/aliases/prod", #"{"version":0}"#, field: "version"),
        .invalid("a tag key with a control character", .put, "/v1/models/fraud/tags/te%07am", #"{"value":"x"}"#, field: "key"),
        .invalid("a card result without a metric", .put, "/v1/models/fraud/versions/1/card", #"{"evaluation":[{"metric":"","value":1}]}"#, field: "evaluation"),
        .invalid("a protected alias like a version", .post, models, #"{"name":"x","protected_aliases":["v1"]}"#, field: "protected_aliases"),
        .invalid("a tag value over 5000 characters", .put, "/v1/models/fraud/tags/team", #"{"value":"\#(String(repeating: "x", count: 5001))"}"#, field: "key"),
        .invalid("an unknown card section", .put, "/v1/models/fraud/versions/1/card", #"{"overview":"o","risks":"r"}"#, field: "risks"),
        BadRequestCase(label: "malformed JSON", method: .post, path: models, body: #"{"name":"#, status: .badRequest, kind: "malformed-json"),
        BadRequestCase(label: "an empty body", method: .post, path: versions, body: "", status: .badRequest, kind: "malformed-json"),
        BadRequestCase(label: "text/plain", method: .post, path: models, body: #"{"name":"x"}"#, contentType: "text/plain",
                       status: .unsupportedMediaType, kind: "unsupported-media-type"),
        BadRequestCase(label: "no content type", method: .put, path: "/v1/models/fraud/aliases/prod", body: #"{"version":1}"#, contentType: nil,
                       status: .unsupportedMediaType, kind: "unsupported-media-type"),
    ]

    @Test("a malformed, mistyped or unknown body is refused with the right problem", arguments: bodies)
    func badBody(_ bad: BadRequestCase) async throws {
        try await Self.withFraud { client, token in
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            if let contentType = bad.contentType { headers[.contentType] = contentType }
            let response = try await client.execute(uri: bad.path, method: bad.method, headers: headers, body: ByteBuffer(string: bad.body))
            try response.expectProblem(bad.status, bad.kind, field: bad.field)
            #expect(try await client.send(.get, "/v1/models", token: token).items.names == ["fraud"])
            #expect(try await client.send(.get, "/v1/models/fraud/versions", token: token).items.count == 1)
        }
    }

    static let badNames = ["", String(repeating: "n", count: 257), "risk/fraud", "fraud\u{7}", "fraud\nscore", "\u{0}"]

    @Test("a bad model name is refused on create and on rename", arguments: badNames)
    func badName(_ name: String) async throws {
        try await Self.withFraud { client, token in
            try await client.send(.post, "/v1/models", token: token, body: try Self.json(["name": name]))
                .expectProblem(.unprocessableContent, "invalid-request", field: "name")
            try await client.send(.post, "/v1/models/fraud/rename", token: token, body: try Self.json(["new_name": name]))
                .expectProblem(.unprocessableContent, "invalid-request", field: "new_name")
            try await client.send(.post, "/v1/models", token: token, body: try Self.json(["name": "ok", "owner": name]))
                .expectProblem(.unprocessableContent, "invalid-request", field: "owner")
            #expect(try await client.send(.get, "/v1/models", token: token).items.names == ["fraud"])
        }
    }

    @Test("a name of exactly 256 characters is accepted")
    func longestName() async throws {
        try await Self.withFraud { client, token in
            let name = String(repeating: "n", count: 256)
            try await client.createModel(try Self.json(["name": name]), token: token)
            #expect(try await client.send(.get, "/v1/models/\(name)", token: token).json["name"] == .string(name))
        }
    }

    @Test("a source without an allowed scheme is refused", arguments: ["ftp://host/model.pkl", "", "model.pkl", "s3://bucket/\u{1}model"])
    func badSource(_ source: String) async throws {
        try await Self.withFraud { client, token in
            try await client.send(.post, Self.versions, token: token, body: try Self.json(["source": source]))
                .expectProblem(.unprocessableContent, "invalid-request", field: "source")
            #expect(try await client.send(.get, Self.versions, token: token).items.count == 1)
        }
    }

    @Test("an alias that looks like a version, or is 'latest', is refused", arguments: ["v3", "3", "V12", "latest"])
    func versionLikeAlias(_ alias: String) async throws {
        try await Self.withFraud { client, token in
            try await client.send(.put, "/v1/models/fraud/aliases/\(alias)", token: token, body: #"{"version":1}"#)
                .expectProblem(.unprocessableContent, "invalid-request", field: "alias")
            #expect(try await client.send(.get, "/v1/models/fraud", token: token).json["aliases"] == .object([:]))
        }
    }

    @Test("a body over the size limit is 413; one under it is accepted")
    func oversizedBody() async throws {
        try await RegistryHarness.with(maxBodyBytes: 2048) { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                let big = try Self.json(["name": "big", "description": String(repeating: "d", count: 3000)])
                try await client.send(.post, "/v1/models", token: token, body: big).expectProblem(.contentTooLarge, "content-too-large")
                try await client.send(.post, "/v1/models", token: nil, body: big).expectProblem(.contentTooLarge, "content-too-large")
                try await client.createModel(try Self.json(["name": "small", "description": String(repeating: "d", count: 1500)]), token: token)
                #expect(try await client.send(.get, "/v1/models", token: token).items.names == ["small"])
            }
        }
    }

    @Test("If-Match must name the current revision on PATCH and DELETE")
    func staleIfMatch() async throws {
        try await Self.withFraud { client, token in
            let model = try await client.send(.get, "/v1/models/fraud", token: token)
            let etag = try #require(model.headers[.eTag])
            for stale in ["\"v99\"", "W/\(etag)", "\(etag), \"v99\"", "\"abc\""] {
                try await client.send(.patch, "/v1/models/fraud", token: token, body: #"{"description":"x"}"#, headers: [.ifMatch: stale])
                    .expectProblem(.preconditionFailed, "precondition-failed")
            }
            try await client.send(.delete, "/v1/models/fraud", token: token, headers: [.ifMatch: "\"v99\""]).expectProblem(.preconditionFailed, "precondition-failed")
            let patched = try await client.send(.patch, "/v1/models/fraud", token: token, body: #"{"description":"x"}"#, headers: [.ifMatch: etag])
            #expect(patched.status == .ok)
            #expect(try patched.json["description"] == .string("x"))
            try await client.send(.patch, "/v1/models/fraud", token: token, body: #"{"description":"y"}"#, headers: [.ifMatch: etag])
                .expectProblem(.preconditionFailed, "precondition-failed")
            #expect(try await client.send(.patch, "/v1/models/fraud", token: token, body: #"{"description":"z"}"#, headers: [.ifMatch: "*"]).status == .ok)

            let version = try #require(try await client.send(.get, "/v1/models/fraud/versions/1", token: token).headers[.eTag])
            try await client.send(.patch, "/v1/models/fraud/versions/1", token: token, body: #"{"description":"x"}"#, headers: [.ifMatch: "\"v99\""])
                .expectProblem(.preconditionFailed, "precondition-failed")
            #expect(try await client.send(.patch, "/v1/models/fraud/versions/1", token: token, body: #"{"description":"x"}"#, headers: [.ifMatch: version]).status == .ok)
            try await client.send(.patch, "/v1/models/fraud/versions/1", token: token, body: #"{"description":"y"}"#, headers: [.ifMatch: version])
                .expectProblem(.preconditionFailed, "precondition-failed")
            #expect(try await client.send(.get, "/v1/models/fraud/versions/1", token: token).json["description"] == .string("x"))
            #expect(try await client.send(.get, "/v1/models/fraud", token: token).json["description"] == .string("z"))
        }
    }

    /// Runs `body` against a fresh registry holding model `fraud` with version 1, as editor alice.
    static func withFraud(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                try await client.createVersion(of: "fraud", token: token)
                try await body(client, token)
            }
        }
    }

    static func json(_ object: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
    }
}
