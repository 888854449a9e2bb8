import Foundation
import MaestroAuditLog
import MaestroKafka
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Audit

@Suite("Appending to the audit log", .serialized, .timeLimit(.minutes(2)))
struct AppendTests {
    @Test("a redelivered batch, and an event published twice at two offsets, are appended once")
    func exactlyOnce() async throws {
        try await AuditHarness.with { harness in
            let batch = (0..<5).map { _ in AuditRecord(Records.event()) }
            #expect(try await harness.store.append(batch) == 5)
            #expect(try await harness.store.append(batch) == 0)
            // The relay published the first event again after a crash: same ce_id, a new offset.
            let first = try #require(batch.first?.eventID)
            #expect(try await harness.store.append([AuditRecord(Records.event(id: first))]) == 0)
            // One batch holding the same record twice appends it once.
            let twice = Records.event()
            #expect(try await harness.store.append([AuditRecord(twice), AuditRecord(twice)]) == 1)
            let head = try await harness.store.signedHead(of: "acme")
            #expect(head.treeSize == 6)
        }
    }

    @Test("the stored tree matches a tree recomputed from the stored entries, and its proofs verify")
    func treeMatchesEntries() async throws {
        try await AuditHarness.with(checkpointEvery: 4) { harness in
            for _ in 0..<3 {
                try await harness.store.append((0..<7).map { _ in AuditRecord(Records.event()) })
            }
            let entries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            #expect(entries.map(\.index) == Array(0..<21))
            var tree = InMemoryMerkleTree()
            for entry in entries {
                #expect(RFC6962.leafHash(entry.entry.utf8) == entry.leafHash)
                let link = try #require(AuditEntryLink(canonical: entry.entry))
                #expect(link.index == entry.index && link.logID == "acme")
                #expect(link.previousRoot == (try tree.root(treeSize: tree.size)))
                tree.append(entry.leafHash)
            }
            let head = try await harness.store.signedHead(of: "acme")
            #expect(head.rootHash == (try tree.root(treeSize: 21)))
            #expect(head.isSigned(by: harness.auditKey.publicKey))
            for size in [1, 5, 8, 13, 21] {
                for index in stride(from: 0, to: size, by: 3) {
                    let proof = try await harness.store.inclusionProof(tenant: "acme", index: index, treeSize: size)
                    #expect(proof.path == (try tree.inclusion(of: index, treeSize: size)))
                    #expect(MerkleProofs.verifyInclusion(leafHash: entries[index].leafHash, index: index, treeSize: size, proof: proof.path,
                                                         root: try tree.root(treeSize: size)))
                }
                let consistency = try await harness.store.consistencyProof(tenant: "acme", first: size, second: 21)
                #expect(MerkleProofs.verifyConsistency(first: size, second: 21, firstRoot: consistency.firstRoot, secondRoot: head.rootHash,
                                                       proof: consistency.path))
            }
            // Every 4 entries a checkpoint was signed with the batch that crossed the line.
            let checkpoints = try await harness.store.withLog("acme") { log in
                try await harness.store.checkpoints(after: nil, upTo: 100, in: log)
            }
            #expect(checkpoints.map(\.treeSize) == [7, 14, 21])
            for checkpoint in checkpoints {
                #expect(checkpoint.isSigned(by: harness.auditKey.publicKey))
                #expect(checkpoint.rootHash == (try tree.root(treeSize: checkpoint.treeSize)))
            }
        }
    }

    @Test("a record that is not a CloudEvent is kept as a raw entry of the system log, with its headers, hash and error")
    func garbageIsKept() async throws {
        try await AuditHarness.with { harness in
            let garbage = Records.garbage(Array("not json {".utf8), headers: [KafkaHeader(name: "ce_tenant", string: "acme"), KafkaHeader(name: "x-bin", value: [0xff, 0x00])])
            let invalidTenant = Records.event(tenant: "Not A Tenant")
            #expect(try await harness.store.append([AuditRecord(garbage), AuditRecord(invalidTenant), AuditRecord(Records.event())]) == 3)
            let system = try await harness.store.entries(tenant: AuditRecord.systemLog, filter: EntryFilter(), after: nil, limit: 10)
            #expect(system.map(\.kind) == ["raw", "event"])
            let raw = try #require(system.first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(raw.entry.utf8)) as? [String: Any])
            #expect((object["error"] as? String)?.isEmpty == false)
            #expect(((object["record"] as? [String: Any])?["value_sha256"] as? String)?.count == 64)
            let headers = try #require(object["headers"] as? [[String: Any]])
            #expect(headers.contains { $0["name"] as? String == "x-bin" && $0["value"] as? String == "base64:/wA=" })
            // A raw record is never promoted into the tenant log its headers claim.
            #expect(try await harness.store.signedHead(of: "acme").treeSize == 1)
            // Redelivered garbage is still appended once.
            #expect(try await harness.store.append([AuditRecord(garbage)]) == 0)
        }
    }

    @Test("a dead letter is kept with its error headers, once per dead-letter record")
    func deadLettersAreKept() async throws {
        try await AuditHarness.with { harness in
            var poison = Records.event(topic: "maestro.dlq")
            poison = KafkaConsumerMessage(topic: poison.topic, partition: 0, offset: poison.offset, key: poison.key, value: poison.value,
                                          headers: poison.headers + [KafkaHeader(name: "maestro_error", string: "data fails the schema"),
                                                                     KafkaHeader(name: "maestro_consumer", string: "governance.promotion-requests")],
                                          timestamp: poison.timestamp)
            #expect(try await harness.store.append([AuditRecord(poison)]) == 1)
            #expect(try await harness.store.append([AuditRecord(poison)]) == 0)
            let entry = try #require(try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 1).first)
            #expect(entry.kind == "dead_letter")
            #expect(entry.entry.contains(#""error":"data fails the schema""#))
        }
    }

    @Test("the event's data is kept byte for byte")
    func dataVerbatim() async throws {
        try await AuditHarness.with { harness in
            let data = #"{ "b" : 1.50, "a": [1, 2e3, "x/y"], "big": 12345678901234567890 }"#
            try await harness.store.append([AuditRecord(Records.event(data: data))])
            let entry = try #require(try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 1).first)
            #expect(entry.entry.contains(data))
            #expect((try JSONSerialization.jsonObject(with: Data(entry.entry.utf8))) is [String: Any])
        }
    }
}
