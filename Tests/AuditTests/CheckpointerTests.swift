import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroAuditLog
import MaestroEvents
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Audit

@Suite("Signing checkpoints of grown logs", .serialized, .timeLimit(.minutes(2)))
struct CheckpointerTests {
    static let signedType = "io.maestro.audit.checkpoint.signed.v1"

    struct OutboxRow {
        let key: String
        let type: String
        let subject: String?
        let tenant: String?
        let data: [String: Any]
    }

    /// The outbox rows as the owner reads them, in order.
    static func outbox(_ harness: AuditHarness) async throws -> [OutboxRow] {
        let rows = try await harness.asOwner { owner in
            var rows: [(String, String, String?, String?, Data)] = []
            let query = try await owner.query("SELECT key, ce_type, ce_subject, tenant, data FROM audit.outbox ORDER BY id", logger: AuditHarness.logger)
            for try await (key, type, subject, tenant, data) in query.decode((String, String, String?, String?, ByteBuffer).self) {
                rows.append((key, type, subject, tenant, Data(data.readableBytesView)))
            }
            return rows
        }
        return rows.map { row in
            OutboxRow(key: row.0, type: row.1, subject: row.2, tenant: row.3,
                      data: (try? JSONSerialization.jsonObject(with: row.4)) as? [String: Any] ?? [:])
        }
    }

    @Test("one checkpoint per grown log, none when nothing grew; stored, listed, signed, and published through the outbox")
    func signsGrownLogs() async throws {
        try await AuditHarness.with { harness in
            let checkpointer = Checkpointer(store: harness.store, interval: .zero, logger: AuditHarness.logger)
            #expect(try await checkpointer.signDue() == 0)
            try await harness.store.append((0..<3).map { _ in AuditRecord(Records.event(tenant: "acme")) })
            try await harness.store.append((0..<2).map { _ in AuditRecord(Records.event(tenant: "beta")) })
            #expect(try await checkpointer.signDue() == 2)
            #expect(try await checkpointer.signDue() == 0)

            // Only the log that grew is signed again.
            try await harness.store.append([AuditRecord(Records.event(tenant: "acme"))])
            #expect(try await checkpointer.signDue() == 1)
            #expect(try await checkpointer.signDue() == 0)

            let acme = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let tree = InMemoryMerkleTree(leafHashes: acme.map(\.leafHash))
            let betaHead = try await harness.store.signedHead(of: "beta")
            let token = try await harness.token()
            let betaToken = try await harness.token(subject: "bob", tenant: "beta")
            let key = harness.auditKey
            let (acmeCheckpoints, betaCheckpoints) = try await harness.application.test(.router) { client in
                let acmeItems = try await client.auditGet("/v1/audit/checkpoints", token: token).auditItems()
                let betaItems = try await client.auditGet("/v1/audit/checkpoints", token: betaToken).auditItems()
                // Paging: one checkpoint a page.
                let first = try await client.auditGet("/v1/audit/checkpoints?page_size=1", token: token).auditObject()
                let next = try #require(first["next_page_token"] as? String)
                let second = try await client.auditGet("/v1/audit/checkpoints?page_size=1&page_token=\(next)", token: token).auditObject()
                #expect(second["next_page_token"] == nil)
                #expect(((second["items"] as? [[String: Any]])?.first?["tree_size"] as? Int) == 4)
                return (try acmeItems.map(AuditFixtures.checkpoint), try betaItems.map(AuditFixtures.checkpoint))
            }
            #expect(acmeCheckpoints.map(\.treeSize) == [3, 4])
            #expect(betaCheckpoints.map(\.treeSize) == [2])
            for checkpoint in acmeCheckpoints {
                #expect(checkpoint.logID == "acme")
                #expect(checkpoint.keyID == key.keyID)
                #expect(checkpoint.isSigned(by: key.publicKey))
                #expect(checkpoint.rootHash == (try tree.root(treeSize: checkpoint.treeSize)))
            }
            #expect(betaCheckpoints.first?.isSigned(by: key.publicKey) == true)
            #expect(betaCheckpoints.first?.rootHash == betaHead.rootHash)

            // The state records the checkpoint: nothing is due, and the next one starts from here.
            let logs = try await harness.client.query("SELECT log_id, tree_size, checkpoint_size FROM audit.logs ORDER BY log_id", logger: AuditHarness.logger)
            var states: [String] = []
            for try await (log, size, checkpointSize) in logs.decode((String, Int, Int).self) { states.append("\(log) \(size) \(checkpointSize)") }
            #expect(states == ["acme 4 4", "beta 2 2"])

            let rows = try await Self.outbox(harness)
            #expect(rows.map(\.type) == Array(repeating: Self.signedType, count: 3))
            #expect(rows.map(\.key) == ["acme", "beta", "acme"])
            #expect(rows.map(\.tenant) == ["acme", "beta", "acme"])
            #expect(rows.map(\.subject) == ["logs/acme/checkpoints/3", "logs/beta/checkpoints/2", "logs/acme/checkpoints/4"])
            // Each event carries the signed head, as stored.
            let published = acmeCheckpoints + betaCheckpoints
            for row in rows {
                let size = row.data["tree_size"] as? Int
                let match = published.first { $0.logID == row.key && $0.treeSize == size }
                #expect(match != nil, "\(row.data)")
                #expect(row.data["log_id"] as? String == row.key)
                #expect(row.data["root_hash"] as? String == match.map { Hex.encode($0.rootHash) })
                #expect(row.data["signature"] as? String == match.map { Data($0.signature).base64EncodedString() })
                #expect(row.data["key_id"] as? String == key.keyID)
            }
        }
    }

    @Test("the system log is checkpointed too, published without a tenant")
    func systemLog() async throws {
        try await AuditHarness.with { harness in
            try await harness.store.append([AuditRecord(Records.garbage()), AuditRecord(Records.event(tenant: "acme"))])
            let checkpointer = Checkpointer(store: harness.store, interval: .zero, logger: AuditHarness.logger)
            #expect(try await checkpointer.signDue() == 2)
            let rows = try await Self.outbox(harness)
            #expect(rows.map(\.key).sorted() == [AuditRecord.systemLog, "acme"])
            let system = try #require(rows.first { $0.key == AuditRecord.systemLog })
            #expect(system.tenant == nil)
            #expect(system.type == Self.signedType)
            #expect(system.subject == "logs/_system/checkpoints/1")
            let stored = try await harness.store.withLog(AuditRecord.systemLog) { log in
                try await harness.store.checkpoints(after: nil, upTo: 10, in: log)
            }
            #expect(stored.map(\.treeSize) == [1])
            #expect(stored.first?.isSigned(by: harness.auditKey.publicKey) == true)
        }
    }

    @Test("a log that was never checkpointed is due at once; one signed within the interval waits for it")
    func interval() async throws {
        try await AuditHarness.with { harness in
            let hourly = Checkpointer(store: harness.store, interval: .seconds(3600), logger: AuditHarness.logger)
            try await harness.store.append([AuditRecord(Records.event(tenant: "acme"))])
            #expect(try await hourly.signDue() == 1)
            try await harness.store.append([AuditRecord(Records.event(tenant: "acme"))])
            #expect(try await hourly.signDue() == 0)
            // Without an interval, the grown log is due.
            #expect(try await Checkpointer(store: harness.store, interval: .zero, logger: AuditHarness.logger).signDue() == 1)
        }
    }

    @Test("the append that crosses checkpointEvery signs in the same transaction; the timer then finds nothing due")
    func appendSigns() async throws {
        try await AuditHarness.with(checkpointEvery: 3) { harness in
            try await harness.store.append((0..<3).map { _ in AuditRecord(Records.event(tenant: "acme")) })
            let checkpointer = Checkpointer(store: harness.store, interval: .zero, logger: AuditHarness.logger)
            #expect(try await checkpointer.signDue() == 0)
            let rows = try await Self.outbox(harness)
            #expect(rows.map(\.subject) == ["logs/acme/checkpoints/3"])
        }
    }
}
