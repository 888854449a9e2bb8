import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroAuditLog
import MaestroTestSupport
import Testing
@testable import Audit

@Suite("Model compliance reports", .serialized, .timeLimit(.minutes(2)))
struct ReportTests {
    /// What fraud's report must hold: (index in acme's log, type, subject, category).
    static let fraudTimeline: [(Int, String, String, String)] = [
        (0, "io.maestro.registry.model.created.v1", "models/fraud", "registration"),
        (2, "io.maestro.registry.model_version.created.v1", "models/fraud/versions/1", "version"),
        (4, "io.maestro.governance.approval.granted.v1", "models/fraud/aliases/champion", "approval"),
        (5, "io.maestro.registry.alias.moved.v1", "models/fraud/aliases/champion", "alias move"),
    ]

    /// acme: fraud's lifecycle interleaved with fraudster's (a name that starts with "fraud"), another
    /// model, and names that only a LIKE wildcard would confuse; beta: an event of its own model fraud.
    static func seed(_ harness: AuditHarness) async throws {
        let records = [
            Records.event(type: "io.maestro.registry.model.created.v1", subject: "models/fraud", data: #"{"name":"fraud"}"#),
            Records.event(type: "io.maestro.registry.model.created.v1", subject: "models/fraudster", data: #"{"name":"fraudster"}"#),
            Records.event(type: "io.maestro.registry.model_version.created.v1", subject: "models/fraud/versions/1", data: #"{"name":"fraud","version":1}"#),
            Records.event(type: "io.maestro.registry.model_version.created.v1", subject: "models/fraudster/versions/1", data: #"{"name":"fraudster","version":1}"#),
            Records.event(type: "io.maestro.governance.approval.granted.v1", subject: "models/fraud/aliases/champion", authID: "carol",
                          data: #"{"alias":"champion","decision":"granted","comment":"looks good"}"#, topic: "maestro.governance.events"),
            Records.event(type: "io.maestro.registry.alias.moved.v1", subject: "models/fraud/aliases/champion", authID: "carol",
                          data: #"{"alias":"champion","from_version":null,"to_version":1}"#),
            Records.event(type: "io.maestro.registry.model.created.v1", subject: "models/churn", data: #"{"name":"churn"}"#),
            Records.event(type: "io.maestro.registry.model.created.v1", subject: "models/frXud", data: #"{"name":"frXud"}"#),
            Records.event(type: "io.maestro.registry.model.created.v1", subject: "models/fr_ud", data: #"{"name":"fr_ud"}"#),
            Records.event(tenant: "beta", type: "io.maestro.registry.model.created.v1", subject: "models/fraud", authID: "bob", data: #"{"name":"fraud"}"#),
        ]
        #expect(try await harness.store.append(records.map { AuditRecord($0) }) == records.count)
    }

    @Test("the JSON report lists exactly the model's entries in order, with categories, and verifies offline")
    func jsonReport() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let stored = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let token = try await harness.token()
            let beta = try await harness.token(subject: "bob", tenant: "beta")
            let key = harness.auditKey.publicKey
            try await harness.application.test(.router) { client in
                let response = try await client.auditGet("/v1/audit/reports/models/fraud", token: token)
                #expect(response.status == .ok, "\(response.auditText)")
                #expect(response.headers[.contentType] == "application/json")
                let object = try response.auditObject()
                #expect(object["model"] as? String == "fraud")
                #expect(object["log_id"] as? String == "acme")
                let head = try AuditFixtures.checkpoint(try #require(object["tree_head"]))
                #expect(head.logID == "acme" && head.treeSize == 9)
                #expect(head.isSigned(by: key))
                let entries = try #require(object["entries"] as? [[String: Any]])
                #expect(entries.compactMap { $0["index"] as? Int } == Self.fraudTimeline.map(\.0))
                #expect(entries.compactMap { $0["type"] as? String } == Self.fraudTimeline.map(\.1))
                #expect(entries.compactMap { $0["subject"] as? String } == Self.fraudTimeline.map(\.2))
                #expect(entries.compactMap { $0["category"] as? String } == Self.fraudTimeline.map(\.3))
                #expect(entries.compactMap { $0["entry"] as? String } == Self.fraudTimeline.map { stored[$0.0].entry })
                #expect(!response.auditText.contains("fraudster"))
                #expect(entries.last?["actor"] as? String == "carol")
                #expect((entries[2]["summary"] as? String)?.contains("decision=granted") == true, "\(entries[2])")
                #expect((entries[3]["summary"] as? String)?.contains("to_version=1") == true, "\(entries[3])")

                let summary = try ReportVerifier.verify(Data(response.auditText.utf8), keys: [key])
                #expect(summary.logID == "acme" && summary.treeSize == 9 && summary.entries == 4)
                // Another key's report does not verify.
                #expect(throws: ExportVerifier.Failure.self) { try ReportVerifier.verify(Data(response.auditText.utf8), keys: [AuditSigningKey().publicKey]) }

                // beta's fraud is beta's.
                let betaReport = try await client.auditGet("/v1/audit/reports/models/fraud", token: beta)
                let betaEntries = try #require(try betaReport.auditObject()["entries"] as? [[String: Any]])
                #expect(betaEntries.count == 1 && betaEntries.first?["actor"] as? String == "bob")
                #expect(try ReportVerifier.verify(Data(betaReport.auditText.utf8), keys: [key]).logID == "beta")

                // A name with a LIKE wildcard matches itself only.
                let wildcard = try await client.auditGet("/v1/audit/reports/models/fr_ud", token: token).auditObject()
                #expect((wildcard["entries"] as? [[String: Any]])?.compactMap { $0["subject"] as? String } == ["models/fr_ud"])
            }
        }
    }

    @Test("altering one entry's text in the report, or its proof, fails verification at that entry")
    func alteredReport() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let token = try await harness.token()
            let key = harness.auditKey.publicKey
            let response = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/reports/models/fraud", token: token)
            }
            let original = try response.auditObject()
            _ = try ReportVerifier.verify(Data(response.auditText.utf8), keys: [key])

            func altered(_ change: (inout [String: Any]) -> Void) throws -> Data {
                var object = original
                var entries = object["entries"] as? [[String: Any]] ?? []
                change(&entries[2])
                object["entries"] = entries
                return try JSONSerialization.data(withJSONObject: object)
            }
            // Round-tripping the report through JSONSerialization unchanged keeps it valid: the failures below are the edits'.
            #expect(try ReportVerifier.verify(try altered { _ in }, keys: [key]).entries == 4)

            let edits: [(String, (inout [String: Any]) -> Void)] = [
                ("text", { $0["entry"] = ($0["entry"] as? String ?? "").replacingOccurrences(of: "granted", with: "rejected") }),
                ("actor", { $0["entry"] = ($0["entry"] as? String ?? "").replacingOccurrences(of: "\"authid\":\"carol\"", with: "\"authid\":\"mallory\"") }),
                ("proof", { $0["inclusion_proof"] = ($0["inclusion_proof"] as? [String] ?? []).reversed() as [String] }),
                ("index", { $0["index"] = 3 }),
            ]
            for (name, edit) in edits {
                let data = try altered(edit)
                do throws(ExportVerifier.Failure) {
                    _ = try ReportVerifier.verify(data, keys: [key])
                    Issue.record("\(name): the altered report verified")
                } catch {
                    #expect(error.firstBadIndex == (name == "index" ? 3 : 4), "\(name): \(error)")
                }
            }
        }
    }

    @Test("the Markdown report has a row per entry and the signed checkpoint, by format=markdown or Accept: text/markdown")
    func markdownReport() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let token = try await harness.token()
            let key = harness.auditKey
            try await harness.application.test(.router) { client in
                let byQuery = try await client.auditGet("/v1/audit/reports/models/fraud?format=markdown", token: token)
                let byAccept = try await client.auditGet("/v1/audit/reports/models/fraud", token: token, headers: [.accept: "text/markdown"])
                for (name, response) in [("format=markdown", byQuery), ("Accept", byAccept)] {
                    #expect(response.status == .ok, "\(name)")
                    #expect(response.headers[.contentType]?.hasPrefix("text/markdown") == true, "\(name)")
                    #expect(response.headers[.vary] == "Accept", "\(name)")
                    let markdown = response.auditText
                    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    #expect(lines.first == "# Audit report: model `fraud`", "\(name)")
                    #expect(markdown.contains("- Entries: 4"), "\(name)")
                    #expect(!markdown.contains("fraudster"), "\(name)")
                    let timeline = lines.filter { $0.hasPrefix("| ") && $0.contains("| io.maestro.") }
                    #expect(timeline.count == Self.fraudTimeline.count, "\(name): \(timeline)")
                    for ((index, type, subject, category), row) in zip(Self.fraudTimeline, timeline) {
                        #expect(row.hasPrefix("| \(index) | "), "\(row)")
                        #expect(row.contains("| \(category) | \(type) | \(subject) |"), "\(row)")
                    }
                    // The proof table: a row per entry with its leaf hash.
                    #expect(lines.filter { $0.range(of: #"^\| \d+ \| `[0-9a-f]{64}` \|"#, options: .regularExpression) != nil }.count == 4, "\(name)")

                    // The signed checkpoint: its text and signature verify with the public key.
                    let signatureLine = try #require(lines.first { $0.hasPrefix("Signed checkpoint (Ed25519, signature `") }, "\(name)")
                    let signature = try #require(signatureLine.split(separator: "`").dropFirst().first.flatMap { Data(base64Encoded: String($0)) })
                    let fence = try #require(lines.firstIndex(of: "```"))
                    let body = Array(lines[(fence + 1)...].prefix { $0 != "```" })
                    #expect(body.count == 4, "\(body)")
                    guard body.count == 4, let size = Int(body[1]), let root = Data(base64Encoded: body[2]),
                          let time = AuditTime.parse(String(body[3].dropFirst("time ".count))) else {
                        Issue.record("\(name): not a checkpoint body: \(body)")
                        continue
                    }
                    #expect(body[0] == "maestro.audit/acme")
                    #expect(size == 9)
                    let checkpoint = Checkpoint(logID: "acme", treeSize: size, rootHash: Array(root), time: time, keyID: key.keyID, signature: Array(signature))
                    #expect(checkpoint.isSigned(by: key.publicKey), "\(name)")
                    #expect(String(decoding: checkpoint.body, as: UTF8.self) == body.joined(separator: "\n") + "\n")
                }
                // Accept: application/json stays JSON.
                let json = try await client.auditGet("/v1/audit/reports/models/fraud", token: token, headers: [.accept: "application/json"])
                #expect(json.headers[.contentType] == "application/json")
                #expect(json.headers[.vary] == "Accept")
            }
        }
    }

    @Test("a report over the entry limit is refused (the timeline is exported instead)")
    func reportLimit() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let report = try await ModelReport.build(store: harness.store, tenant: "acme", model: "fraud", limit: 4)
            #expect(report.entries.map(\.index) == Self.fraudTimeline.map(\.0))
            do {
                _ = try await ModelReport.build(store: harness.store, tenant: "acme", model: "fraud", limit: 3)
                Issue.record("a report of 4 entries was built with a limit of 3")
            } catch let error as AuditQueryError {
                #expect(error.code == .tooLarge, "\(error)")
            }
        }
    }

    @Test("an unknown model gets an empty report; format=pdf is 422")
    func unknownModelAndBadFormat() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let token = try await harness.token()
            let key = harness.auditKey.publicKey
            try await harness.application.test(.router) { client in
                let response = try await client.auditGet("/v1/audit/reports/models/nobody-knows", token: token)
                #expect(response.status == .ok, "\(response.auditText)")
                let object = try response.auditObject()
                #expect((object["entries"] as? [Any])?.isEmpty == true)
                #expect(object["model"] as? String == "nobody-knows")
                #expect(try ReportVerifier.verify(Data(response.auditText.utf8), keys: [key]).entries == 0)
                let markdown = try await client.auditGet("/v1/audit/reports/models/nobody-knows?format=markdown", token: token)
                #expect(markdown.status == .ok)
                #expect(markdown.auditText.contains("- Entries: 0"))

                try await client.auditGet("/v1/audit/reports/models/fraud?format=pdf", token: token).expectAuditProblem(.unprocessableContent, field: "format")
                try await client.auditGet("/v1/audit/reports/models/fraud?format=pdf", token: token, headers: [.accept: "text/markdown"])
                    .expectAuditProblem(.unprocessableContent, field: "format")
            }
        }
    }
}

@Suite("Model report provenance", .serialized, .timeLimit(.minutes(2)))
struct ReportProvenanceTests {
    @Test("a governance event type published on another topic is not shown as an approval")
    func stepsOnlyFromTheirOwnTopic() async throws {
        try await AuditHarness.with { harness in
            try await harness.store.append([
                AuditRecord(Records.event(type: "io.maestro.governance.approval.granted.v1", subject: "models/fraud/aliases/champion",
                                          topic: "maestro.governance.events")),
                AuditRecord(Records.event(type: "io.maestro.governance.approval.granted.v1", subject: "models/fraud/aliases/champion",
                                          topic: "maestro.ingest.predictions")),
            ])
            let report = try await ModelReport.build(store: harness.store, tenant: "acme", model: "fraud", limit: 100)
            #expect(report.body().entries.map(\.category) == ["approval", "unverified producer"])
        }
    }
}
