import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroAuditLog
import MaestroBus
import MaestroEvents
import MaestroKafka
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Audit

@Suite("Audit API", .serialized, .timeLimit(.minutes(2)))
struct AuditAPITests {
    static let modelCreated = "io.maestro.registry.model.created.v1"
    static let versionCreated = "io.maestro.registry.model_version.created.v1"
    static let aliasMoved = "io.maestro.registry.alias.moved.v1"
    static let approvalGranted = "io.maestro.governance.approval.granted.v1"
    /// 2024-01-01T00:00:00Z: fixture events are an hour apart from here.
    static let base = Date(timeIntervalSince1970: 1_704_067_200)

    /// Six acme entries with distinct types, subjects, actors, correlation ids, kinds and times.
    static func seed(_ harness: AuditHarness) async throws {
        let records: [KafkaConsumerMessage] = [
            AuditFixtures.event(type: modelCreated, subject: "models/fraud", authID: "alice", correlationID: "c-1", time: base),
            AuditFixtures.event(type: versionCreated, subject: "models/fraud/versions/1", authID: "bob", correlationID: "c-1", time: base + 3600),
            AuditFixtures.event(type: aliasMoved, subject: "models/fraudster", authID: "alice", correlationID: "c-2", time: base + 7200),
            AuditFixtures.event(type: modelCreated, subject: "models/other", authID: "carol", correlationID: "c-3", time: base + 10800),
            AuditFixtures.event(type: modelCreated, subject: "models/fraud/versions/2", authID: "bob", correlationID: "c-4", time: base + 14400,
                                topic: Topic.deadLetters.name),
            AuditFixtures.event(type: approvalGranted, subject: "models/fraud/aliases/champion", authID: "dave", correlationID: "c-2", time: base + 18000),
        ]
        #expect(try await harness.store.append(records.map { AuditRecord($0) }) == records.count)
    }

    @Test("the tree head is signed with the audit key and matches the store's size and root")
    func treeHead() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let stored = try await harness.store.signedHead(of: "acme")
            let token = try await harness.token()
            let key = harness.auditKey
            let body = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/tree-head", token: token)
            }
            #expect(body.status == .ok)
            #expect(body.headers[.contentType] == "application/json")
            let object = try body.auditObject()
            let head = try AuditFixtures.checkpoint(object)
            #expect(head.logID == "acme")
            #expect(head.treeSize == 6)
            #expect(head.treeSize == stored.treeSize)
            #expect(head.rootHash == stored.rootHash)
            #expect(head.keyID == key.keyID)
            #expect(head.isSigned(by: key.publicKey))
            #expect(object["checkpoint"] as? String == String(decoding: head.body, as: UTF8.self))
            // A signature over another root does not verify: the check above can fail.
            var forged = head
            forged.rootHash = RFC6962.emptyRoot
            #expect(!forged.isSigned(by: key.publicKey))

            // The root is the one recomputed from the stored entries.
            let entries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            #expect(head.rootHash == (try InMemoryMerkleTree(leafHashes: entries.map(\.leafHash)).root(treeSize: 6)))
        }
    }

    @Test("public keys are served without a token, raw Ed25519 in base64")
    func publicKeys() async throws {
        try await AuditHarness.with { harness in
            let key = harness.auditKey
            let response = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/public-keys", token: nil)
            }
            #expect(response.status == .ok, "\(response.auditText)")
            let keys = try #require(try response.auditObject()["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            let first = try #require(keys.first)
            #expect(first["key_id"] as? String == key.keyID)
            #expect(first["algorithm"] as? String == "Ed25519")
            #expect(first["current"] as? Bool == true)
            let published = try #require(first["public_key"] as? String)
            #expect(published == key.publicKey.base64)
            #expect(Data(base64Encoded: published)?.count == 32)
            #expect(AuditPublicKey(base64: published)?.keyID == key.keyID)
        }
    }

    @Test("entries are listed in index order and every filter narrows them")
    func entryFilters() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let token = try await harness.token()
            let from = AuditTime.format(Self.base + 3600), to = AuditTime.format(Self.base + 10800)
            let cases: [(String, [Int])] = [
                ("", [0, 1, 2, 3, 4, 5]),
                ("type=\(Self.modelCreated)", [0, 3, 4]),
                ("type=\(Self.modelCreated)&type=\(Self.aliasMoved)", [0, 2, 3, 4]),
                ("subject=models/fraud", [0]),
                ("subject=models/fraud/versions/1", [1]),
                ("subject_prefix=models/fraud", [0, 1, 4, 5]),
                ("actor=alice", [0, 2]),
                ("correlation_id=c-2", [2, 5]),
                ("kind=dead_letter", [4]),
                ("kind=event", [0, 1, 2, 3, 5]),
                ("from=\(from)", [1, 2, 3, 4, 5]),
                ("to=\(to)", [0, 1, 2]),
                ("from=\(from)&to=\(to)", [1, 2]),
                ("subject_prefix=models/fraud&actor=bob", [1, 4]),
                ("actor=nobody", []),
            ]
            try await harness.application.test(.router) { client in
                for (query, expected) in cases {
                    let response = try await client.auditGet("/v1/audit/entries?\(query)", token: token)
                    #expect(response.status == .ok, "\(query): \(response.auditText)")
                    let items = try response.auditItems()
                    #expect(items.compactMap { $0["index"] as? Int } == expected, "\(query)")
                    #expect(items.allSatisfy { $0["log_id"] as? String == "acme" }, "\(query)")
                }
                let listed = try await client.auditGet("/v1/audit/entries?kind=dead_letter", token: token).auditItems()
                let deadLetter = try #require(listed.first)
                #expect(deadLetter["kind"] as? String == "dead_letter")
                #expect(deadLetter["topic"] as? String == Topic.deadLetters.name)
                #expect(deadLetter["type"] as? String == Self.modelCreated)
                #expect(deadLetter["subject"] as? String == "models/fraud/versions/2")
                #expect(deadLetter["actor"] as? String == "bob")
                #expect(deadLetter["correlation_id"] as? String == "c-4")
                #expect(deadLetter["occurred_at"] as? String == RFC3339.format(Self.base + 14400))
            }
        }
    }

    @Test("page_size=2 walks every page in order; the last has no next_page_token")
    func paging() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            try await harness.store.append([AuditRecord(Records.event())])
            let token = try await harness.token()
            try await harness.application.test(.router) { client in
                for (query, expected) in [("", Array(0..<7)), ("&subject_prefix=models/fraud", [0, 1, 4, 5, 6]), ("&type=\(Self.modelCreated)", [0, 3, 4, 6])] {
                    var seen: [Int] = []
                    var pageSizes: [Int] = []
                    var pageToken: String?
                    repeat {
                        let uri = "/v1/audit/entries?page_size=2\(query)" + (pageToken.map { "&page_token=\($0)" } ?? "")
                        let response = try await client.auditGet(uri, token: token)
                        #expect(response.status == .ok, "\(uri): \(response.auditText)")
                        let object = try response.auditObject()
                        let items = try response.auditItems()
                        seen += items.compactMap { $0["index"] as? Int }
                        pageSizes.append(items.count)
                        pageToken = object["next_page_token"] as? String
                    } while pageToken != nil && pageSizes.count < 10
                    #expect(seen == expected, "\(query)")
                    #expect(pageSizes == stride(from: expected.count, to: 0, by: -2).map { min($0, 2) }, "\(query)")
                }
                // A page_token this service did not issue is a bad request.
                try await client.auditGet("/v1/audit/entries?page_token=%21%21", token: token).expectAuditProblem(.badRequest)
            }
        }
    }

    @Test("one entry by index carries the canonical bytes its leaf hash covers; past the end is 404")
    func entryByIndex() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let stored = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let token = try await harness.token()
            try await harness.application.test(.router) { client in
                for index in [0, 3, 5] {
                    let response = try await client.auditGet("/v1/audit/entries/\(index)", token: token)
                    #expect(response.status == .ok, "\(response.auditText)")
                    let object = try response.auditObject()
                    #expect(object["index"] as? Int == index)
                    #expect(object["log_id"] as? String == "acme")
                    let entry = try #require(object["entry"] as? String)
                    #expect(entry == stored[index].entry)
                    #expect(object["leaf_hash"] as? String == Hex.encode(RFC6962.leafHash(entry.utf8)))
                    #expect(object["subject"] as? String == stored[index].subject)
                }
                try await client.auditGet("/v1/audit/entries/6", token: token).expectAuditProblem(.notFound)
                try await client.auditGet("/v1/audit/entries/999999", token: token).expectAuditProblem(.notFound)
            }
        }
    }

    @Test("inclusion proofs lead to the tree head's root; consistency proofs connect two sizes")
    func proofs() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            try await harness.store.append((0..<7).map { _ in AuditRecord(Records.event()) })
            let stored = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            #expect(stored.count == 13)
            let tree = InMemoryMerkleTree(leafHashes: stored.map(\.leafHash))
            let token = try await harness.token()
            let key = harness.auditKey.publicKey
            try await harness.application.test(.router) { client in
                let head = try AuditFixtures.checkpoint(try await client.auditGet("/v1/audit/tree-head", token: token).auditObject())
                #expect(head.isSigned(by: key))
                for index in [0, 5, 7, 12] {
                    let proof = try await client.auditGet("/v1/audit/entries/\(index)/proof", token: token).auditObject()
                    #expect(proof["leaf_index"] as? Int == index)
                    #expect(proof["tree_size"] as? Int == 13)
                    #expect(proof["root_hash"] as? String == Hex.encode(head.rootHash))
                    let leaf = try #require((proof["leaf_hash"] as? String).flatMap(Hex.hash))
                    #expect(leaf == RFC6962.leafHash(stored[index].entry.utf8))
                    let path = try AuditFixtures.hashes(proof["audit_path"])
                    #expect(MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: 13, proof: path, root: head.rootHash), "entry \(index)")
                    // The same path does not prove another leaf.
                    #expect(!MerkleProofs.verifyInclusion(leafHash: RFC6962.leafHash([0x42]), index: index, treeSize: 13, proof: path, root: head.rootHash))
                }
                // Against an older size.
                let old = try await client.auditGet("/v1/audit/entries/2/proof?tree_size=6", token: token).auditObject()
                #expect(old["tree_size"] as? Int == 6)
                let oldRoot = try tree.root(treeSize: 6)
                #expect(old["root_hash"] as? String == Hex.encode(oldRoot))
                #expect(MerkleProofs.verifyInclusion(leafHash: stored[2].leafHash, index: 2, treeSize: 6, proof: try AuditFixtures.hashes(old["audit_path"]), root: oldRoot))

                for (first, second) in [(1, nil), (6, nil), (4, 11), (13, nil), (0, 5)] as [(Int, Int?)] {
                    let query = "first=\(first)" + (second.map { "&second=\($0)" } ?? "")
                    let response = try await client.auditGet("/v1/audit/proofs/consistency?\(query)", token: token)
                    #expect(response.status == .ok, "\(query): \(response.auditText)")
                    let proof = try response.auditObject()
                    let size = second ?? 13
                    #expect(proof["first"] as? Int == first && proof["second"] as? Int == size)
                    let firstRoot = try #require((proof["first_root_hash"] as? String).flatMap(Hex.hash))
                    let secondRoot = try #require((proof["second_root_hash"] as? String).flatMap(Hex.hash))
                    #expect(firstRoot == (try tree.root(treeSize: first)), "\(query)")
                    #expect(secondRoot == (try tree.root(treeSize: size)), "\(query)")
                    if second == nil { #expect(secondRoot == head.rootHash) }
                    let path = try AuditFixtures.hashes(proof["consistency_path"])
                    #expect(MerkleProofs.verifyConsistency(first: first, second: size, firstRoot: firstRoot, secondRoot: secondRoot, proof: path), "\(query)")
                }
            }
        }
    }

    @Test("bad input is answered with problems: 400, 401, 404 and 422, all application/problem+json")
    func badInput() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let token = try await harness.token()
            let roleless = try await harness.token(roles: [])
            try await harness.application.test(.router) { client in
                let cases: [(String, HTTPResponse.Status, String?)] = [
                    ("/v1/audit/entries/abc", .badRequest, "index"),
                    ("/v1/audit/entries/-1", .badRequest, "index"),
                    ("/v1/audit/entries/abc/proof", .badRequest, "index"),
                    ("/v1/audit/entries/0/proof?tree_size=7", .unprocessableContent, "tree_size"),
                    ("/v1/audit/entries/0/proof?tree_size=0", .badRequest, "tree_size"),
                    ("/v1/audit/entries/6/proof", .notFound, nil),
                    ("/v1/audit/entries/5/proof?tree_size=5", .notFound, nil),
                    ("/v1/audit/proofs/consistency?first=5&second=3", .unprocessableContent, "first"),
                    ("/v1/audit/proofs/consistency?second=3", .badRequest, "first"),
                    ("/v1/audit/proofs/consistency?first=2&second=7", .unprocessableContent, "second"),
                    ("/v1/audit/proofs/consistency?first=x", .badRequest, "first"),
                    ("/v1/audit/entries?from=yesterday", .unprocessableContent, "from"),
                    ("/v1/audit/entries?to=tomorrow", .unprocessableContent, "to"),
                    ("/v1/audit/entries?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", .unprocessableContent, "to"),
                    ("/v1/audit/entries?kind=bogus", .unprocessableContent, "kind"),
                    ("/v1/audit/entries?subject=models/a&subject_prefix=models", .unprocessableContent, "subject_prefix"),
                    ("/v1/audit/entries?actor=", .unprocessableContent, "actor"),
                    ("/v1/audit/entries?page_size=0", .badRequest, "page_size"),
                    ("/v1/audit/export?format=xml", .unprocessableContent, "format"),
                    ("/v1/audit/export?kind=bogus", .unprocessableContent, "kind"),
                    ("/v1/audit/reports/models/fraud?format=pdf", .unprocessableContent, "format"),
                    // Oversized input: a filter value past 1,024 bytes, more than 50 types, a model name past 256 bytes.
                    ("/v1/audit/entries?actor=\(String(repeating: "a", count: 1025))", .unprocessableContent, "actor"),
                    ("/v1/audit/entries?" + (0...50).map { "type=t\($0)" }.joined(separator: "&"), .unprocessableContent, "type"),
                    ("/v1/audit/reports/models/\(String(repeating: "m", count: 257))", .badRequest, "name"),
                    ("/v1/audit/reports/models/fraud%ZZ", .badRequest, "name"),
                ]
                for (uri, status, field) in cases {
                    try await client.auditGet(uri, token: token).expectAuditProblem(status, field: field)
                }
                // The details openapi.yaml documents for refusals the store decides.
                let details = [
                    ("/v1/audit/entries/0/proof?tree_size=7", "tree_size 7 is beyond the log's current size, 6."),
                    ("/v1/audit/proofs/consistency?first=5&second=3", "first (5) must not be greater than second (3)."),
                    ("/v1/audit/entries/abc", "The entry index must be a whole number from 0."),
                ]
                for (uri, detail) in details {
                    let problem = try JSONSerialization.jsonObject(with: Data(try await client.auditGet(uri, token: token).auditText.utf8)) as? [String: Any]
                    #expect(problem?["detail"] as? String == detail, "\(uri)")
                }
                for uri in ["/v1/audit/tree-head", "/v1/audit/entries", "/v1/audit/entries/0", "/v1/audit/entries/0/proof",
                            "/v1/audit/proofs/consistency?first=1", "/v1/audit/export", "/v1/audit/checkpoints", "/v1/audit/reports/models/fraud"] {
                    try await client.auditGet(uri, token: nil).expectAuditProblem(.unauthorized)
                    try await client.auditGet(uri, token: "not-a-token").expectAuditProblem(.unauthorized)
                    // A valid token without any role of the tenant may not read its log.
                    try await client.auditGet(uri, token: roleless).expectAuditProblem(.forbidden)
                }
            }
        }
    }

    @Test("the CSV export has a header and one row per entry; formula-like text is defused, commas and quotes quoted")
    func csvExport() async throws {
        try await AuditHarness.with { harness in
            let subjects = [#"=HYPERLINK("http://evil.example","x")"#, #"models/a,"b""#, "+cmd", "models/plain"]
            try await harness.store.append(subjects.map { AuditRecord(Records.event(subject: $0, authID: "@mallory")) })
            let stored = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let token = try await harness.token()
            let response = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/export?format=csv", token: token)
            }
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            let text = response.auditText
            // RFC 4180: records end in CRLF.
            #expect(text.hasPrefix("index,occurred_at,recorded_at,kind,type,subject,actor,correlation_id,event_id,topic,partition,offset,leaf_hash,producer,provenance\r\n"))
            #expect(text.hasSuffix("\r\n"))
            let records = AuditFixtures.csvRecords(text)
            #expect(records.count == 1 + subjects.count, "\(text)")
            #expect(records.allSatisfy { $0.count == 15 }, "\(records)")
            for (row, entry) in zip(records.dropFirst(), stored) {
                #expect(row[0] == String(entry.index))
                #expect(row[3] == "event")
                #expect(row[12] == Hex.encode(entry.leafHash))
            }
            let subjectColumn = records.dropFirst().map { $0[5] }
            #expect(subjectColumn == [#"'=HYPERLINK("http://evil.example","x")"#, #"models/a,"b""#, "'+cmd", "models/plain"])
            #expect(records.dropFirst().allSatisfy { $0[6] == "'@mallory" })
            // The raw text: the defused formula is quoted (it holds commas and quotes) with doubled quotes.
            #expect(text.contains(#","'=HYPERLINK(""http://evil.example"",""x"")","#))
            #expect(text.contains(#","models/a,""b""","#))
            // A filtered CSV export holds the matching rows only.
            let filtered = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/export?format=csv&subject=models/plain", token: token)
            }
            #expect(AuditFixtures.csvRecords(filtered.auditText).dropFirst().map { $0[5] } == ["models/plain"])
        }
    }

    @Test("a CSV field holding a CRLF line break is quoted, so it cannot start a new row")
    func csvLineBreaks() async throws {
        try await AuditHarness.with { harness in
            let subjects = ["models/x\r\n=1+1", "models/y\nz", "models/w\rv"]
            try await harness.store.append(subjects.map { AuditRecord(Records.event(subject: $0)) })
            let token = try await harness.token()
            let response = try await harness.application.test(.router) { client in
                try await client.auditGet("/v1/audit/export?format=csv", token: token)
            }
            #expect(response.status == .ok)
            let records = AuditFixtures.csvRecords(response.auditText)
            #expect(records.count == 1 + subjects.count, "\(response.auditText.debugDescription)")
            #expect(records.allSatisfy { $0.count == 15 }, "\(records)")
            #expect(records.dropFirst().map { $0.count > 5 ? $0[5] : "" } == subjects)
        }
    }
}

@Suite("Audit API: tenant isolation", .serialized, .timeLimit(.minutes(2)))
struct AuditTenantIsolationTests {
    /// acme: 3 entries; beta: 5; the system log: 2 garbage records.
    static func seed(_ harness: AuditHarness) async throws {
        var records = (0..<3).map { AuditRecord(Records.event(tenant: "acme", subject: "models/acme-secret-\($0)", authID: "alice")) }
        records += (0..<5).map { AuditRecord(Records.event(tenant: "beta", subject: "models/beta-model-\($0)", authID: "bob")) }
        records += [AuditRecord(Records.garbage()), AuditRecord(Records.garbage(Array("also not json".utf8)))]
        #expect(try await harness.store.append(records) == 10)
    }

    @Test("a beta token never sees acme's entries: lists, entries by index, proofs, exports")
    func betaSeesOnlyBeta() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let acmeEntries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let betaEntries = try await harness.store.entries(tenant: "beta", filter: EntryFilter(), after: nil, limit: 100)
            #expect(acmeEntries.count == 3 && betaEntries.count == 5)
            let beta = try await harness.token(subject: "bob", tenant: "beta")
            let acme = try await harness.token()
            let key = harness.auditKey.publicKey
            try await harness.application.test(.router) { client in
                let items = try await client.auditGet("/v1/audit/entries", token: beta).auditItems()
                #expect(items.compactMap { $0["index"] as? Int } == [0, 1, 2, 3, 4])
                #expect(items.allSatisfy { $0["log_id"] as? String == "beta" })
                #expect(items.compactMap { $0["subject"] as? String } == (0..<5).map { "models/beta-model-\($0)" })
                #expect(try await client.auditGet("/v1/audit/entries?subject_prefix=models/acme-secret-0", token: beta).auditItems().isEmpty)
                #expect(try await client.auditGet("/v1/audit/entries?actor=alice", token: beta).auditItems().isEmpty)

                let head = try AuditFixtures.checkpoint(try await client.auditGet("/v1/audit/tree-head", token: beta).auditObject())
                #expect(head.logID == "beta" && head.treeSize == 5)

                for index in 0..<3 {
                    let entry = try await client.auditGet("/v1/audit/entries/\(index)", token: beta).auditObject()
                    #expect(entry["log_id"] as? String == "beta")
                    #expect(entry["entry"] as? String == betaEntries[index].entry)
                    #expect(!(entry["entry"] as? String ?? "").contains("acme"))
                }
                // acme has only 3 entries: beta's 4th is not acme's to see, and acme asking for it gets 404.
                #expect(try await client.auditGet("/v1/audit/entries/4", token: beta).status == .ok)
                try await client.auditGet("/v1/audit/entries/4", token: acme).expectAuditProblem(.notFound)
                try await client.auditGet("/v1/audit/entries/4/proof", token: acme).expectAuditProblem(.notFound)

                let proof = try await client.auditGet("/v1/audit/entries/0/proof", token: beta).auditObject()
                #expect(proof["log_id"] as? String == "beta")
                #expect(proof["leaf_hash"] as? String == Hex.encode(betaEntries[0].leafHash))
                #expect(proof["root_hash"] as? String == Hex.encode(head.rootHash))

                let export = try await client.auditGet("/v1/audit/export", token: beta).auditText
                #expect(!export.contains("acme"))
                var verifier = ExportVerifier(publicKeys: [key])
                for line in export.split(separator: "\n") { try verifier.consume(line) }
                let report = try verifier.finish()
                #expect(report.logID == "beta" && report.entries == 5)
                let csv = try await client.auditGet("/v1/audit/export?format=csv", token: beta).auditText
                #expect(AuditFixtures.csvRecords(csv).count == 6)
                #expect(!csv.contains("acme"))
                let report2 = try await client.auditGet("/v1/audit/reports/models/acme-secret-0", token: beta).auditObject()
                #expect((report2["entries"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test("an acme token's proof of entry 0 proves acme's entry 0, not beta's")
    func proofIsOfOwnLog() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let acmeEntries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let betaEntries = try await harness.store.entries(tenant: "beta", filter: EntryFilter(), after: nil, limit: 100)
            let acmeHead = try await harness.store.signedHead(of: "acme")
            #expect(acmeEntries[0].leafHash != betaEntries[0].leafHash)
            let acme = try await harness.token()
            try await harness.application.test(.router) { client in
                let proof = try await client.auditGet("/v1/audit/entries/0/proof", token: acme).auditObject()
                #expect(proof["log_id"] as? String == "acme")
                let leaf = try #require((proof["leaf_hash"] as? String).flatMap(Hex.hash))
                #expect(leaf == acmeEntries[0].leafHash)
                #expect(leaf != betaEntries[0].leafHash)
                #expect(proof["tree_size"] as? Int == 3)
                #expect(MerkleProofs.verifyInclusion(leafHash: leaf, index: 0, treeSize: 3, proof: try AuditFixtures.hashes(proof["audit_path"]),
                                                     root: acmeHead.rootHash))
                let entry = try await client.auditGet("/v1/audit/entries/0", token: acme).auditObject()
                #expect(entry["entry"] as? String == acmeEntries[0].entry)
            }
        }
    }

    @Test("log=<other tenant> is 404; log=_system is 404 except for admins of the platform tenant, who see only system entries")
    func logParameter() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let beta = try await harness.token(subject: "bob", tenant: "beta", roles: ["admin"])
            let acmeAdmin = try await harness.token(subject: "root", tenant: "acme", roles: ["admin"])
            let opsViewer = try await harness.token(subject: "olga", tenant: "ops", roles: ["viewer"])
            let opsAdmin = try await harness.token(subject: "oscar", tenant: "ops", roles: ["admin"])
            let system = try await harness.store.entries(tenant: AuditRecord.systemLog, filter: EntryFilter(), after: nil, limit: 100)
            #expect(system.count == 2)
            let key = harness.auditKey.publicKey
            try await harness.application.test(.router) { client in
                for path in ["/v1/audit/tree-head", "/v1/audit/entries", "/v1/audit/entries/0", "/v1/audit/entries/0/proof",
                             "/v1/audit/proofs/consistency?first=1", "/v1/audit/export", "/v1/audit/checkpoints", "/v1/audit/reports/models/acme-secret-0"] {
                    let separator = path.contains("?") ? "&" : "?"
                    try await client.auditGet("\(path)\(separator)log=acme", token: beta).expectAuditProblem(.notFound)
                    try await client.auditGet("\(path)\(separator)log=_system", token: acmeAdmin).expectAuditProblem(.notFound)
                    try await client.auditGet("\(path)\(separator)log=_system", token: opsViewer).expectAuditProblem(.notFound)
                    let answer = try await client.auditGet("\(path)\(separator)log=_system", token: opsAdmin)
                    #expect(answer.status == .ok, "\(path): \(answer.auditText)")
                }
                // Asking for one's own log by name is the same as not asking.
                #expect(try await client.auditGet("/v1/audit/entries?log=beta", token: beta).auditItems().count == 5)

                let items = try await client.auditGet("/v1/audit/entries?log=_system", token: opsAdmin).auditItems()
                #expect(items.count == 2)
                #expect(items.allSatisfy { $0["log_id"] as? String == AuditRecord.systemLog && $0["kind"] as? String == "raw" })
                #expect(items.compactMap { $0["entry"] as? String } == system.map(\.entry))
                let head = try AuditFixtures.checkpoint(try await client.auditGet("/v1/audit/tree-head?log=_system", token: opsAdmin).auditObject())
                #expect(head.logID == AuditRecord.systemLog && head.treeSize == 2)
                #expect(head.isSigned(by: key))
                // Without log=, the operator reads its own (empty) tenant log.
                #expect(try await client.auditGet("/v1/audit/entries", token: opsAdmin).auditItems().isEmpty)
                let export = try await client.auditGet("/v1/audit/export?log=_system", token: opsAdmin).auditText
                var verifier = ExportVerifier(publicKeys: [key])
                for line in export.split(separator: "\n") { try verifier.consume(line) }
                let report = try verifier.finish()
                #expect(report.logID == AuditRecord.systemLog && report.entries == 2)
                #expect(!export.contains("acme-secret") && !export.contains("beta-model"))
            }
        }
    }
}

// MARK: Helpers shared by the audit API tests

extension TestClientProtocol {
    /// A GET with a bearer token, when given.
    func auditGet(_ uri: String, token: String?, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var auditText: String { String(buffer: body) }

    /// The body as a JSON object.
    func auditObject() throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(auditText.utf8))) as? [String: Any] else {
            throw TestSetupError("status \(status.code), not a JSON object: \(auditText)")
        }
        return object
    }

    /// The `items` of a page.
    func auditItems() throws -> [[String: Any]] {
        guard let items = try auditObject()["items"] as? [[String: Any]] else { throw TestSetupError("no items in \(auditText)") }
        return items
    }

    /// An RFC 9457 answer with `status` (and an error naming `field`, when given).
    func expectAuditProblem(_ status: HTTPResponse.Status, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(self.status == status, "\(auditText)", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", "\(status)", sourceLocation: sourceLocation)
        guard let problem = (try? JSONSerialization.jsonObject(with: Data(auditText.utf8))) as? [String: Any] else {
            Issue.record("not a problem: \(auditText)", sourceLocation: sourceLocation)
            return
        }
        #expect(problem["status"] as? Int == status.code, sourceLocation: sourceLocation)
        if let field {
            let fields = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields.contains(field), "errors name \(fields), not \(field): \(auditText)", sourceLocation: sourceLocation)
        }
    }
}

enum AuditFixtures {
    /// A CloudEvent record with a chosen event time (``Records/event`` uses now).
    static func event(tenant: String? = "acme", type: String, subject: String, authID: String?, correlationID: String?, time: Date,
                      data: String = #"{"name":"fraud"}"#, topic: String = "maestro.registry.events") -> KafkaConsumerMessage {
        let event = CloudEvent(source: "/maestro/registry", type: type, time: time, subject: subject, tenant: tenant, authId: authID,
                               correlationId: correlationID, data: Array(data.utf8))
        let produced = event.kafkaMessage(topic: topic, key: subject)
        return KafkaConsumerMessage(topic: topic, partition: 0, offset: Int64.random(in: 1...(1 << 40)), key: produced.key, value: produced.value,
                                    headers: produced.headers, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// A signed head as the API answers it (a tree head, a stored checkpoint, a report's head).
    static func checkpoint(_ object: Any) throws -> Checkpoint {
        try JSONDecoder().decode(Checkpoint.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func hashes(_ value: Any?) throws -> [MerkleHash] {
        guard let strings = value as? [String] else { throw TestSetupError("not a list of hashes: \(String(describing: value))") }
        return try strings.map { text in
            guard let hash = Hex.hash(text) else { throw TestSetupError("not a hex hash: \(text)") }
            return hash
        }
    }

    /// RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF ends a record.
    static func csvRecords(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending {
                pending = nil
                return scalar
            }
            return scalars.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else {
                            quoted = false
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\r":
                if let following = next(), following != "\n" { pending = following }
                record.append(field)
                records.append(record)
                record = []
                field = ""
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
