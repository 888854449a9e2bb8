import Foundation
import MaestroAuditLog
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Audit

/// The log's tables refuse changes: the runtime role has no UPDATE, DELETE or TRUNCATE grant,
/// a trigger refuses them even to the owner, and row-level security hides every row outside a
/// tenant transaction.
@Suite("The audit log is append-only", .serialized, .timeLimit(.minutes(2)))
struct AppendOnlyTests {
    static func seed(_ harness: AuditHarness) async throws {
        #expect(try await harness.store.append((0..<6).map { _ in AuditRecord(Records.event()) }) == 6)
        #expect(try await harness.store.append([AuditRecord(Records.event(tenant: "beta"))]) == 1)
        let checkpointer = Checkpointer(store: harness.store, interval: .zero, logger: AuditHarness.logger)
        #expect(try await checkpointer.signDue() == 2)
    }

    /// The error `body` throws, reflected (PSQLError hides the server's message otherwise); `nil` when it succeeds.
    static func failure(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch {
            return String(reflecting: error)
        }
    }

    /// Counts of acme's entries, nodes and checkpoints as acme sees them.
    static func counts(_ harness: AuditHarness) async throws -> [Int] {
        try await harness.store.withLog("acme") { log in
            var counts: [Int] = []
            for table in ["entries", "nodes", "checkpoints"] {
                for try await count in try await log.query("SELECT count(*)::int FROM audit.\(unescaped: table)").decode(Int.self) {
                    counts.append(count)
                }
            }
            return counts
        }
    }

    @Test("the runtime role, in the tenant's own transaction, cannot update, delete or truncate entries, nodes or checkpoints")
    func runtimeRoleCannotChange() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let before = try await Self.counts(harness)
            #expect(before == [6, 4, 1])
            let statements: [PostgresQuery] = [
                "UPDATE audit.entries SET entry = replace(entry, 'fraud', 'fraue') WHERE idx = 2",
                "UPDATE audit.entries SET leaf_hash = leaf_hash",
                "DELETE FROM audit.entries WHERE idx = 5",
                "DELETE FROM audit.entries",
                "TRUNCATE audit.entries",
                "UPDATE audit.nodes SET hash = hash",
                "DELETE FROM audit.nodes",
                "UPDATE audit.checkpoints SET tree_size = 1",
                "DELETE FROM audit.checkpoints",
                "DELETE FROM audit.signing_keys",
            ]
            for statement in statements {
                let error = await Self.failure {
                    try await harness.store.withLog("acme") { log async throws -> Void in
                        // The rows are visible: the refusal is the grant's, not row-level security hiding them.
                        var visible = 0
                        for try await count in try await log.query("SELECT count(*)::int FROM audit.entries").decode(Int.self) {
                            visible = count
                        }
                        #expect(visible == 6)
                        try await log.execute(statement)
                    }
                }
                #expect(error?.contains("permission denied") == true, "\(statement.sql): \(error ?? "succeeded")")
            }
            // Nor can it switch the triggers off.
            let disable = await Self.failure {
                _ = try await harness.client.query("ALTER TABLE audit.entries DISABLE TRIGGER USER", logger: AuditHarness.logger)
            }
            #expect(disable?.contains("must be owner") == true, "\(disable ?? "succeeded")")
            #expect(try await Self.counts(harness) == before)
        }
    }

    @Test("the runtime role cannot append to another tenant's log from a tenant transaction")
    func runtimeRoleCannotWriteAnotherLog() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let error = await Self.failure {
                try await harness.store.withLog("acme") { log async throws -> Void in
                    try await log.execute("""
                        INSERT INTO audit.entries (log_id, idx, kind, topic, kafka_partition, kafka_offset, occurred_at, recorded_at, leaf_hash, entry)
                        VALUES ('beta', 1, 'event', 't', 0, 0, now(), now(), sha256('x'::bytea), '{}')
                        """)
                }
            }
            #expect(error?.contains("row-level security") == true, "\(error ?? "succeeded")")
        }
    }

    @Test("the owner, with the triggers on, cannot update, delete or truncate the log either")
    func ownerRefusedByTriggers() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            let before = try await Self.counts(harness)
            let statements: [(PostgresQuery, String)] = [
                ("UPDATE audit.entries SET entry = replace(entry, 'fraud', 'fraue') WHERE log_id = 'acme' AND idx = 2", "UPDATE on entries"),
                ("DELETE FROM audit.entries WHERE log_id = 'acme' AND idx = 5", "DELETE on entries"),
                ("TRUNCATE audit.entries", "TRUNCATE on entries"),
                ("UPDATE audit.nodes SET hash = hash WHERE log_id = 'acme'", "UPDATE on nodes"),
                ("DELETE FROM audit.nodes WHERE log_id = 'acme'", "DELETE on nodes"),
                ("TRUNCATE audit.nodes", "TRUNCATE on nodes"),
                ("UPDATE audit.checkpoints SET tree_size = 1 WHERE log_id = 'acme'", "UPDATE on checkpoints"),
                ("DELETE FROM audit.checkpoints WHERE log_id = 'acme'", "DELETE on checkpoints"),
                ("TRUNCATE audit.checkpoints", "TRUNCATE on checkpoints"),
                ("DELETE FROM audit.signing_keys", "DELETE on signing_keys"),
            ]
            try await harness.asOwner { owner async throws -> Void in
                for (statement, operation) in statements {
                    let error = await Self.failure { _ = try await owner.query(statement, logger: AuditHarness.logger) }
                    #expect(error?.contains("the audit log is append-only: \(operation) is not allowed") == true, "\(statement.sql): \(error ?? "succeeded")")
                }
                // The owner sees every log (it bypasses row-level security), so the refusals above were not about hidden rows.
                #expect(try await owner.integer("SELECT count(*)::int FROM audit.entries") == 7)
            }
            #expect(try await Self.counts(harness) == before)
            let entries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            #expect(entries.allSatisfy { RFC6962.leafHash($0.entry.utf8) == $0.leafHash && !$0.entry.contains("fraue") })
        }
    }

    @Test("outside a tenant transaction the runtime role sees no entries, nodes or checkpoints; inside, only that tenant's")
    func rowLevelSecurity() async throws {
        try await AuditHarness.with { harness in
            try await Self.seed(harness)
            for table in ["entries", "nodes", "checkpoints"] {
                #expect(try await harness.client.integer("SELECT count(*)::int FROM audit.\(unescaped: table)") == 0, "\(table)")
            }
            #expect(try await Self.counts(harness) == [6, 4, 1])
            let beta = try await harness.store.withLog("beta") { log in
                var tenants: [String] = []
                for try await tenant in try await log.query("SELECT DISTINCT log_id FROM audit.entries").decode(String.self) {
                    tenants.append(tenant)
                }
                return tenants
            }
            #expect(beta == ["beta"])
            // Tree heads hold no content and are readable across logs (the checkpoint signer lists them).
            #expect(try await harness.client.integer("SELECT count(*)::int FROM audit.logs") == 2)
        }
    }
}
