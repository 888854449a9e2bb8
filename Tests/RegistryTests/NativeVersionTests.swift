import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroDomain
import MaestroEvents
import MaestroHTTPTestSupport
import Testing
@testable import Registry

/// `/v1/models/{name}/versions` and `/v1/versions`: versions with all their facts, patches
/// under `If-Match`, soft delete, version tags, and the cross-model search.
@Suite("Native API: versions", .serialized, .timeLimit(.minutes(2)))
struct NativeVersionTests {
    static let fullVersion = #"""
        {"source":"s3://models/fraud/1","run_id":"run-1","run_link":"https://mlflow.example/runs/run-1","description":"baseline",
         "signature":{"inputs":"[{\"name\":\"amount\",\"type\":\"double\"}]","outputs":"[{\"type\":\"long\"}]"},
         "metrics":{"auc":0.91,"f1":0.5},"params":{"depth":"6"},"tags":{"env":"prod"},
         "dataset_versions":[{"name":"transactions","version":"2026-11-01"}],"feature_views":["card_stats"],
         "openlineage_run_id":"run-ol-1"}
        """#

    @Test("a version keeps every fact it was registered with; patches need the current ETag; deleted numbers are not reused")
    func lifecycle() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                let created = try await client.send(.post, "/v1/models/fraud/versions", token: token, body: Self.fullVersion)
                #expect(created.status == .created)
                #expect(created.headers[.location] == "/v1/models/fraud/versions/1")
                #expect(created.headers[.eTag] == "\"v1\"")

                let fetched = try await client.send(.get, "/v1/models/fraud/versions/1", token: token)
                #expect(fetched.headers[.eTag] == "\"v1\"")
                let version = try fetched.json
                #expect(version["model_name"] == .string("fraud"))
                #expect(version["version"] == .number(1))
                #expect(version["source"] == .string("s3://models/fraud/1"))
                #expect(version["run_id"] == .string("run-1"))
                #expect(version["run_link"] == .string("https://mlflow.example/runs/run-1"))
                #expect(version["description"] == .string("baseline"))
                #expect(version["status"] == .string("READY"))
                #expect(version["stage"] == .string("None"))
                #expect(version["signature"] == .object(["inputs": .string(#"[{"name":"amount","type":"double"}]"#), "outputs": .string(#"[{"type":"long"}]"#)]))
                #expect(version["metrics"] == .object(["auc": .number(0.91), "f1": .number(0.5)]))
                #expect(version["params"] == .object(["depth": .string("6")]))
                #expect(version["tags"] == .object(["env": .string("prod")]))
                #expect(version["dataset_versions"] == .array([.object(["name": .string("transactions"), "version": .string("2026-11-01")])]))
                #expect(version["feature_views"] == .array([.string("card_stats")]))
                #expect(version["openlineage_run_id"] == .string("run-ol-1"))
                #expect(version["aliases"] == .array([]))
                #expect(version["created_by"] == .string("alice"))
                #expect(try created.json == version)

                #expect(try await client.createVersion(of: "fraud", #"{"source":"gs://models/fraud/2","parent_version":1}"#, token: token) == 2)
                #expect(try await client.send(.get, "/v1/models/fraud/versions/2", token: token).json["parent_version"] == .number(1))
                try await client.send(.post, "/v1/models/fraud/versions", token: token, body: #"{"source":"s3://m/3","parent_version":9}"#)
                    .expectProblem(.unprocessableContent, "invalid-request", field: "parent_version")

                let patch = #"{"description":"retrained","status":"FAILED_REGISTRATION","status_message":"artifact missing","metrics":{"auc":0.95,"recall":0.7}}"#
                try await client.send(.patch, "/v1/models/fraud/versions/1", token: token, body: patch, headers: [.ifMatch: "\"v7\""])
                    .expectProblem(.preconditionFailed, "precondition-failed")
                let patched = try await client.send(.patch, "/v1/models/fraud/versions/1", token: token, body: patch, headers: [.ifMatch: "\"v1\""])
                #expect(patched.status == .ok)
                #expect(patched.headers[.eTag] == "\"v2\"")
                #expect(try patched.json["description"] == .string("retrained"))
                #expect(try patched.json["status"] == .string("FAILED_REGISTRATION"))
                #expect(try patched.json["status_message"] == .string("artifact missing"))
                #expect(try patched.json["metrics"] == .object(["auc": .number(0.95), "f1": .number(0.5), "recall": .number(0.7)]))
                #expect(try patched.json["source"] == .string("s3://models/fraud/1"))

                // A model signature (input/output schema) can be set after registration, as an MLflow client cannot send one.
                #expect(try await client.send(.get, "/v1/models/fraud/versions/2", token: token).json["signature"] == nil)
                let schema = #"{"signature":{"inputs":"[{\"type\":\"double\",\"name\":\"amount\"}]","outputs":"[{\"type\":\"long\"}]"}}"#
                let signed = try await client.send(.patch, "/v1/models/fraud/versions/2", token: token, body: schema)
                #expect(signed.status == .ok)
                #expect(try signed.json["signature"] == .object(["inputs": .string(#"[{"type":"double","name":"amount"}]"#), "outputs": .string(#"[{"type":"long"}]"#)]))
                try await client.send(.patch, "/v1/models/fraud/versions/2", token: token, body: #"{"signature":{"inputs":"not json"}}"#)
                    .expectProblem(.unprocessableContent, "invalid-request", field: "signature.inputs")

                #expect(try await client.send(.get, "/v1/models/fraud/versions", token: token).items.versionKeys == ["fraud/1", "fraud/2"])
                #expect(try await client.send(.get, "/v1/models/fraud/versions?order_by=version%20desc", token: token).items.versionKeys == ["fraud/2", "fraud/1"])

                #expect(try await client.send(.delete, "/v1/models/fraud/versions/2", token: token).status == .noContent)
                try await client.send(.get, "/v1/models/fraud/versions/2", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.delete, "/v1/models/fraud/versions/2", token: token).expectProblem(.notFound, "not-found")
                #expect(try await client.send(.get, "/v1/models/fraud/versions", token: token).items.versionKeys == ["fraud/1"])
                #expect(try await client.createVersion(of: "fraud", token: token) == 3)

                try await client.send(.get, "/v1/models/fraud/versions/one", token: token).expectProblem(.badRequest, "bad-request", field: "version")
                try await client.send(.get, "/v1/models/nope/versions", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.post, "/v1/models/nope/versions", token: token, body: #"{"source":"s3://m/1"}"#).expectProblem(.notFound, "not-found")
            }
            let types = try await registry.outboxEvents().map(\.type)
            #expect(types == [RegistryEvent.ModelCreated.eventType.name, RegistryEvent.ModelVersionCreated.eventType.name,
                              RegistryEvent.ModelVersionCreated.eventType.name, RegistryEvent.ModelVersionStatusChanged.eventType.name,
                              RegistryEvent.ModelVersionUpdated.eventType.name, RegistryEvent.ModelVersionUpdated.eventType.name,
                              RegistryEvent.ModelVersionDeleted.eventType.name,
                              RegistryEvent.ModelVersionCreated.eventType.name])
        }
    }

    @Test("version tags are set, overwritten and deleted, each change a new version revision")
    func tags() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"fraud"}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://m/1","tags":{"env":"dev"}}"#, token: token)
                #expect(try await client.send(.put, "/v1/models/fraud/versions/1/tags/env", token: token, body: #"{"value":"prod"}"#).status == .noContent)
                #expect(try await client.send(.put, "/v1/models/fraud/versions/1/tags/owner", token: token, body: #"{"value":"risk"}"#).status == .noContent)
                let tagged = try await client.send(.get, "/v1/models/fraud/versions/1", token: token)
                #expect(try tagged.json["tags"] == .object(["env": .string("prod"), "owner": .string("risk")]))
                #expect(tagged.headers[.eTag] == "\"v3\"")

                #expect(try await client.send(.delete, "/v1/models/fraud/versions/1/tags/env", token: token).status == .noContent)
                #expect(try await client.send(.get, "/v1/models/fraud/versions/1", token: token).json["tags"] == .object(["owner": .string("risk")]))
                try await client.send(.delete, "/v1/models/fraud/versions/1/tags/env", token: token).expectProblem(.notFound, "not-found")
                try await client.send(.put, "/v1/models/fraud/versions/9/tags/env", token: token, body: #"{"value":"x"}"#).expectProblem(.notFound, "not-found")
            }
        }
    }

    @Test("GET /v1/versions filters across models by metric, tag, status, stage and model")
    func search() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let store = registry.store
            try await registry.application.test(.router) { client in
                // Production ungoverned here: the search is under test, not the promotion.
                try await client.createModel(#"{"name":"fraud","protected_stages":[]}"#, token: try await registry.token(roles: ["admin"]))
                try await client.createModel(#"{"name":"churn"}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://f/1","metrics":{"auc":0.85},"tags":{"env":"prod"}}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://f/2","metrics":{"auc":0.93},"tags":{"env":"staging"}}"#, token: token)
                try await client.createVersion(of: "fraud", #"{"source":"s3://f/3","metrics":{"auc":0.97},"tags":{"env":"prod"},"status":"PENDING_REGISTRATION"}"#, token: token)
                try await client.createVersion(of: "churn", #"{"source":"s3://c/1","run_id":"run-7","metrics":{"auc":0.9},"tags":{"env":"prod"}}"#, token: token)
                try await client.createVersion(of: "churn", #"{"source":"s3://c/2","metrics":{"f1":0.99}}"#, token: token)
                _ = try await store.transitionStage(Caller(tenant: "acme", subject: "alice"), modelName: "fraud", version: 2, to: .production, archiveExisting: false)

                func keys(_ query: String) async throws -> [String] {
                    let response = try await client.send(.get, "/v1/versions?\(query)", token: token)
                    try #require(response.status == .ok, "\(response.text)")
                    return try response.items.versionKeys
                }
                #expect(try await keys("") == ["churn/1", "churn/2", "fraud/1", "fraud/2", "fraud/3"])
                #expect(try await keys("metric=auc%3E%3D0.9") == ["churn/1", "fraud/2", "fraud/3"])
                #expect(try await keys("metric=auc%3E0.9") == ["fraud/2", "fraud/3"])
                #expect(try await keys("metric=auc%3C0.9") == ["fraud/1"])
                #expect(try await keys("metric=auc%3D0.93") == ["fraud/2"])
                #expect(try await keys("metric=auc%3E%3D0.9&metric=auc%3C%3D0.95") == ["churn/1", "fraud/2"])
                #expect(try await keys("metric=auc%3E%3D0.9&tag=env:prod") == ["churn/1", "fraud/3"])
                #expect(try await keys("tag=env:staging") == ["fraud/2"])
                #expect(try await keys("status=PENDING_REGISTRATION") == ["fraud/3"])
                #expect(try await keys("status=READY&model=fraud") == ["fraud/1", "fraud/2"])
                #expect(try await keys("stage=Production") == ["fraud/2"])
                #expect(try await keys("stage=None&model=churn") == ["churn/1", "churn/2"])
                #expect(try await keys("model=churn&order_by=version%20desc") == ["churn/2", "churn/1"])
                #expect(try await keys("metric=latency%3C1").isEmpty)
                #expect(try await keys("run_id=run-7") == ["churn/1"])
                #expect(try await keys("run_id=run-7&run_id=run-0") == ["churn/1"])
                #expect(try await keys("metric=auc%21%3D0.9&model=churn") == [])
                #expect(try await keys("metric=auc%21%3D0.85&model=fraud") == ["fraud/2", "fraud/3"])

                try await client.send(.get, "/v1/versions?metric=auc~0.9", token: token).expectProblem(.badRequest, "bad-request", field: "metric")
                try await client.send(.get, "/v1/versions?stage=Live", token: token).expectProblem(.badRequest, "bad-request")
                try await client.send(.get, "/v1/versions?status=DONE", token: token).expectProblem(.badRequest, "bad-request")
                try await client.send(.get, "/v1/versions?tag=env", token: token).expectProblem(.badRequest, "bad-request", field: "tag")
                // Filter terms are capped per search; up to the cap, every tag term is one expression
                // on the version's tag copy, so 50 cost about what 1 does.
                let fifty = (0..<49).map { _ in "tag=env:prod" }.joined(separator: "&")
                #expect(try await keys(fifty + "&model=fraud") == ["fraud/1", "fraud/3"])
                #expect(try await keys(fifty + "&tag=env:staging").isEmpty, "contradictory equalities match nothing")
                try await client.send(.get, "/v1/versions?\(fifty)&tag=a:b&tag=c:d", token: token).expectProblem(.badRequest, "bad-request", field: "tag")
                // The other tag comparisons, through MLflow's filter: `!=` also matches versions without the tag.
                func mlflowKeys(_ filter: String) async throws -> [String] {
                    let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    let response = try await client.send(.get, "/api/2.0/mlflow/model-versions/search?filter=\(encoded)", token: token)
                    try #require(response.status == .ok, "\(response.text)")
                    guard case .array(let versions)? = try response.json["model_versions"] else { return [] }
                    return versions.compactMap { version -> String? in
                        guard case .object(let fields) = version, case .string(let name)? = fields["name"], case .string(let number)? = fields["version"] else { return nil }
                        return "\(name)/\(number)"
                    }.sorted()
                }
                #expect(try await mlflowKeys("tags.env != 'prod'") == ["churn/2", "fraud/2"])
                #expect(try await mlflowKeys("tags.env LIKE 'pr%'") == ["churn/1", "fraud/1", "fraud/3"])
                #expect(try await mlflowKeys("tags.env ILIKE 'STAG%'") == ["fraud/2"])
                #expect(try await mlflowKeys("tags.env = 'prod' AND tags.env != 'staging' AND name = 'fraud'") == ["fraud/1", "fraud/3"])
                try await client.send(.get, "/v1/models?" + (0..<51).map { "tag=k\($0):v" }.joined(separator: "&"), token: token)
                    .expectProblem(.badRequest, "bad-request", field: "tag")
                try await client.send(.get, "/v1/versions?order_by=auc", token: token).expectProblem(.badRequest, "bad-request")

                let byVersion = try await client.pages("/v1/versions?page_size=2", token: token)
                #expect(byVersion.map(\.count) == [2, 2, 1])
                #expect(byVersion.flatMap(\.versionKeys) == ["churn/1", "churn/2", "fraud/1", "fraud/2", "fraud/3"])
                let newestFirst = try await client.pages("/v1/versions?page_size=2&order_by=created_at%20desc", token: token)
                #expect(newestFirst.map(\.count) == [2, 2, 1])
                #expect(newestFirst.flatMap(\.versionKeys) == ["churn/2", "churn/1", "fraud/3", "fraud/2", "fraud/1"])
            }
        }
    }

    @Test("MLflow's order_by=last_updated_timestamp orders versions by their last change: one created first but changed last comes last, on every page")
    func orderByLastUpdate() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token(roles: ["editor"])
            let model = unique("updated-order")
            try await registry.application.test(.router) { client in
                try await client.createModel(#"{"name":"\#(model)"}"#, token: token)
                for _ in 1...3 { try await client.createVersion(of: model, token: token) }
                let tagged = try await client.send(.put, "/v1/models/\(model)/versions/1/tags/checked", token: token, body: #"{"value":"yes"}"#)
                #expect(tagged.status == .ok || tagged.status == .noContent, "\(tagged.text)")
                func order(_ orderBy: String) async throws -> (numbers: [String], updated: [Int]) {
                    var numbers: [String] = []
                    var updated: [Int] = []
                    var pageToken: String?
                    repeat {
                        let filter = "name='\(model)'".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                        let uri = "/api/2.0/mlflow/model-versions/search?filter=\(filter)&max_results=1&order_by=\(orderBy)"
                            + (pageToken.map { "&page_token=\($0)" } ?? "")
                        let response = try await client.send(.get, uri, token: token)
                        try #require(response.status == .ok, "\(response.text)")
                        let json = try response.json
                        for case .object(let version) in json["model_versions"]?.array ?? [] {
                            numbers.append(version["version"]?.string ?? "?")
                            updated.append(version["last_updated_timestamp"]?.int ?? -1)
                        }
                        pageToken = json["next_page_token"]?.string
                    } while pageToken != nil && numbers.count < 10
                    return (numbers, updated)
                }
                let ascending = try await order("last_updated_timestamp%20ASC")
                #expect(ascending.numbers == ["2", "3", "1"])
                #expect(ascending.updated == ascending.updated.sorted(), "returned as last_updated_timestamp: \(ascending.updated)")
                #expect(try await order("last_updated_timestamp%20DESC").numbers == ["1", "3", "2"])
                #expect(try await order("creation_timestamp%20ASC").numbers == ["1", "2", "3"])
            }
        }
    }
}
