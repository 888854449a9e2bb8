import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroAuditLog
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Audit

/// The offline verifier (the Swift `ExportVerifier` the `maestro` CLI wraps, used directly) on
/// real exports, before and after the database was rewritten by someone holding the owner's
/// password who disabled the append-only triggers.
@Suite("Tampering with the stored log is caught offline", .serialized, .timeLimit(.minutes(2)))
struct TamperTests {
    static let versionCreated = "io.maestro.registry.model_version.created.v1"
    static let count = 20
    /// The entries a `type=` filtered export selects.
    static let selected = [2, 6, 10, 14, 18]

    /// 20 acme entries in four appends of five, so a checkpoint is signed at 5, 10, 15 and 20.
    /// Every fourth one (2, 6, ...) is a model_version event, the rest model.created.
    static func seed(_ harness: AuditHarness) async throws {
        for batch in 0..<4 {
            let records = (0..<5).map { offset in
                let index = batch * 5 + offset
                return index % 4 == 2
                    ? AuditRecord(Records.event(type: versionCreated, subject: "models/fraud/versions/\(index)", data: #"{"name":"fraud","version":\#(index)}"#))
                    : AuditRecord(Records.event(data: #"{"name":"fraud","n":\#(index)}"#))
            }
            #expect(try await harness.store.append(records) == 5)
        }
    }

    static func export(_ harness: AuditHarness, query: String = "format=ndjson") async throws -> [String] {
        let token = try await harness.token()
        let response = try await harness.application.test(.router) { client in
            try await client.auditGet("/v1/audit/export?\(query)", token: token)
        }
        #expect(response.status == .ok, "\(response.auditText)")
        #expect(response.headers[.contentType] == "application/x-ndjson")
        return response.auditText.split(separator: "\n").map(String.init)
    }

    static func verify(_ lines: [String], keys: [AuditPublicKey]) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
        var verifier = ExportVerifier(publicKeys: keys)
        do throws(ExportVerifier.Failure) {
            for line in lines { try verifier.consume(line) }
            return .success(try verifier.finish())
        } catch {
            return .failure(error)
        }
    }

    /// Runs `statements` as the schema owner after disabling the append-only triggers.
    static func tamper(_ harness: AuditHarness, _ statements: [String]) async throws {
        try await harness.asOwner { owner in
            try await owner.query("ALTER TABLE audit.entries DISABLE TRIGGER USER", logger: AuditHarness.logger)
            for statement in statements {
                try await owner.query(PostgresQuery(unsafeSQL: statement), logger: AuditHarness.logger)
            }
        }
    }

    static let columns = "log_id, idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id, occurred_at, recorded_at, leaf_hash, entry"

    /// Rewrites entry `index`'s text ('fraud' becomes 'fraue'), and with `rewriteLeaf` its stored leaf hash to match.
    static func edit(_ index: Int, rewriteLeaf: Bool) -> String {
        let edited = "replace(entry, 'fraud', 'fraue')"
        let leaf = rewriteLeaf ? #", leaf_hash = sha256('\x00'::bytea || convert_to(\#(edited), 'UTF8'))"# : ""
        return "UPDATE audit.entries SET entry = \(edited)\(leaf) WHERE log_id = 'acme' AND idx = \(index)"
    }

    /// Moves entries `index...` up by one (in two steps: the primary key is checked per row) and puts a copy of entry `copy` at `index`.
    static func insertCopy(of copy: Int, at index: Int) -> [String] {
        let source = copy >= index ? copy + 1 : copy
        return [
            "UPDATE audit.entries SET idx = idx + 1000000 WHERE log_id = 'acme' AND idx >= \(index)",
            "UPDATE audit.entries SET idx = idx - 1000000 + 1 WHERE log_id = 'acme' AND idx >= 1000000",
            """
            INSERT INTO audit.entries (\(columns))
            SELECT log_id, \(index), kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id,
                   occurred_at, recorded_at, leaf_hash, entry
            FROM audit.entries WHERE log_id = 'acme' AND idx = \(source)
            """,
        ]
    }

    /// The entry lines of an export (the head's signing time differs from one export to the next).
    static func entryLines(_ lines: [String]) -> [String] {
        lines.filter { $0.contains(#""kind":"entry""#) }
    }

    @Test("a full export verifies offline: every entry, 4 signed checkpoints and the proofs between them")
    func cleanExport() async throws {
        try await AuditHarness.with(checkpointEvery: 5) { harness in
            try await Self.seed(harness)
            let lines = try await Self.export(harness)
            // head, 4 checkpoints, 3 consistency proofs, the entries, the end line.
            #expect(lines.count == 1 + 4 + 3 + Self.count + 1)
            #expect(lines.last == AuditExportLine.end(entries: Self.count).encoded())
            let report = try Self.verify(lines, keys: [harness.auditKey.publicKey]).get()
            #expect(report.logID == "acme")
            #expect(report.treeSize == Self.count)
            #expect(report.entries == Self.count)
            #expect(report.checkpoints == 4)
            #expect(report.consistencyProofs == 3)
            #expect(!report.filtered)
            let head = try await harness.store.signedHead(of: "acme")
            #expect(report.rootHash == head.rootHash)
            // The entries are exactly the stored ones, in order.
            let stored = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let exported = lines.compactMap { line -> String? in
                guard case .entry(_, _, let entry, _)? = try? AuditExportLine.parse(line) else { return nil }
                return entry
            }
            #expect(exported == stored.map(\.entry))

            // Signed by another key: nothing verifies.
            let foreign = Self.verify(lines, keys: [AuditSigningKey().publicKey])
            #expect(foreign.failureIndex == .some(nil), "\(foreign)")
            // A truncated export fails too: without its last 3 entries and its end line, at the first missing entry.
            #expect(Self.verify(Array(lines.dropLast(4)), keys: [harness.auditKey.publicKey]).failureIndex == 17)
        }
    }

    enum Tamper: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case edit, editAndLeaf, delete, deleteEarly, insertCopyOfEarlier, insertCopyOfLater, reorder, editLastAndLeaf

        var statements: [String] {
            switch self {
            case .edit: [TamperTests.edit(7, rewriteLeaf: false)]
            case .editAndLeaf: [TamperTests.edit(7, rewriteLeaf: true)]
            case .delete: ["DELETE FROM audit.entries WHERE log_id = 'acme' AND idx = 7"]
            case .deleteEarly: ["DELETE FROM audit.entries WHERE log_id = 'acme' AND idx = 4"]
            case .insertCopyOfEarlier: TamperTests.insertCopy(of: 3, at: 7)
            case .insertCopyOfLater: TamperTests.insertCopy(of: 12, at: 7)
            case .reorder: [
                "UPDATE audit.entries SET idx = 1000007 WHERE log_id = 'acme' AND idx = 7",
                "UPDATE audit.entries SET idx = 7 WHERE log_id = 'acme' AND idx = 9",
                "UPDATE audit.entries SET idx = 9 WHERE log_id = 'acme' AND idx = 1000007",
            ]
            case .editLastAndLeaf: [TamperTests.edit(19, rewriteLeaf: true)]
            }
        }

        var firstBadIndex: Int {
            switch self {
            case .editLastAndLeaf: 19
            case .deleteEarly: 4
            default: 7
            }
        }

        var testDescription: String {
            switch self {
            case .edit: "entry 7 edited"
            case .editAndLeaf: "entry 7 edited, its stored leaf hash rewritten to match"
            case .delete: "entry 7 deleted"
            case .deleteEarly: "entry 4 deleted (a leaf the consistency proof 5 to 10 is built from)"
            case .insertCopyOfEarlier: "a copy of entry 3 inserted at 7"
            case .insertCopyOfLater: "a copy of entry 12 inserted at 7"
            case .reorder: "entries 7 and 9 swapped"
            case .editLastAndLeaf: "the last entry (19) edited, its stored leaf hash rewritten to match"
            }
        }
    }

    @Test("a database edit fails verification at the first entry changed", arguments: Tamper.allCases)
    func tampered(_ tamper: Tamper) async throws {
        try await AuditHarness.with(checkpointEvery: 5) { harness in
            try await Self.seed(harness)
            let before = try await Self.export(harness)
            #expect(Self.verify(before, keys: [harness.auditKey.publicKey]).failureIndex == nil)

            try await Self.tamper(harness, tamper.statements)
            let after = try await Self.export(harness)
            #expect(Self.entryLines(after) != Self.entryLines(before), "the tampering changed no entry")
            #expect(Self.entryLines(after).count == ([.delete, .deleteEarly].contains(tamper) ? 19 : 20))
            let result = Self.verify(after, keys: [harness.auditKey.publicKey])
            #expect(result.failureIndex != nil, "\(tamper.testDescription): the tampered export verified")
            #expect(result.failureIndex == tamper.firstBadIndex, "\(tamper.testDescription): \(result)")
        }
    }

    @Test("a filtered export carries an inclusion proof per entry and verifies; an edit of a selected entry fails it")
    func filteredExport() async throws {
        try await AuditHarness.with(checkpointEvery: 5) { harness in
            try await Self.seed(harness)
            let key = harness.auditKey.publicKey
            for query in ["type=\(Self.versionCreated)", "subject_prefix=models/fraud/versions"] {
                let lines = try await Self.export(harness, query: query)
                #expect(lines.count == 1 + Self.selected.count + 1, "\(query)")
                #expect(lines.last == AuditExportLine.end(entries: Self.selected.count).encoded(), "\(query)")
                let indexes = lines.dropFirst().compactMap { line -> Int? in
                    guard case .entry(let index, _, _, let proof?)? = try? AuditExportLine.parse(line), !proof.isEmpty else { return nil }
                    return index
                }
                #expect(indexes == Self.selected, "\(query): every entry with a proof")
                let report = try Self.verify(lines, keys: [key]).get()
                #expect(report.filtered)
                #expect(report.entries == Self.selected.count)
                #expect(report.inclusionProofs == Self.selected.count)
                #expect(report.treeSize == Self.count)
                // Cut short (the last entry and the end line lost), it no longer verifies.
                #expect(Self.verify(Array(lines.dropLast(2)), keys: [key]).failureIndex != nil, "\(query)")
            }
            let exact = try await Self.export(harness, query: "subject=models/fraud/versions/10")
            #expect(try Self.verify(exact, keys: [key]).get().entries == 1)

            try await Self.tamper(harness, [Self.edit(6, rewriteLeaf: false)])
            let result = Self.verify(try await Self.export(harness, query: "type=\(Self.versionCreated)"), keys: [key])
            #expect(result.failureIndex == 6, "\(result)")
            // With the stored leaf hash rewritten too, the inclusion proof (built from untouched nodes) still fails.
            try await Self.tamper(harness, [Self.edit(10, rewriteLeaf: true)])
            let exported = try await Self.export(harness, query: "subject=models/fraud/versions/10")
            #expect(exported.count == 3)
            #expect(Self.verify(exported, keys: [key]).failureIndex == 10)
        }
    }
}

@Suite("A damaged stored tree raises the tamper alarm", .serialized, .timeLimit(.minutes(2)))
struct TamperAlarmTests {
    @Test("a proof or export that finds a stored hash missing answers 500 or goes on, and publishes io.maestro.audit.tamper.detected.v1 once")
    func missingLeafRaisesTheAlarm() async throws {
        try await AuditHarness.with(checkpointEvery: 5) { harness in
            try await TamperTests.seed(harness)
            try await TamperTests.tamper(harness, ["DELETE FROM audit.entries WHERE log_id = 'acme' AND idx = 4"])
            let token = try await harness.token()
            try await harness.application.test(.router) { client in
                let proof = try await client.auditGet("/v1/audit/entries/5/proof", token: token)
                #expect(proof.status == .internalServerError, "\(proof.auditText)")
                #expect(proof.auditText.contains("log-damaged"))
            }
            // The export still streams; the verifier names the deleted entry.
            let lines = try await TamperTests.export(harness)
            #expect(TamperTests.verify(lines, keys: [harness.auditKey.publicKey]).failureIndex == 4)
            let alarms = try await CheckpointerTests.outbox(harness).filter { $0.type == "io.maestro.audit.tamper.detected.v1" }
            #expect(alarms.count == 1)
            #expect(alarms.first?.key == "acme")
            #expect((alarms.first?.data["reason"] as? String)?.contains("level 0, index 4") == true)
        }
    }
}

@Suite("A rewritten log row gets no signature", .serialized, .timeLimit(.minutes(2)))
struct ForgedHeadTests {
    @Test("a log row cut back or pointed at another root is refused: no signed head, no append, an alarm")
    func forgedRowsAreRefused() async throws {
        try await AuditHarness.with(checkpointEvery: 5) { harness in
            try await TamperTests.seed(harness)
            // The runtime role may update the log row; someone with its password rewrites it to a 3-entry tree of their own.
            let forged = RFC6962.nodeHash(RFC6962.leafHash(Array("a".utf8)), RFC6962.leafHash(Array("b".utf8)))
            try await harness.client.query("""
                UPDATE audit.logs SET tree_size = 3, root_hash = \(ByteBuffer(bytes: forged)),
                       edge = \([ByteBuffer(bytes: forged), ByteBuffer(bytes: RFC6962.leafHash(Array("c".utf8)))]) WHERE log_id = 'acme'
                """, logger: AuditHarness.logger)
            let token = try await harness.token()
            try await harness.application.test(.router) { client in
                let head = try await client.auditGet("/v1/audit/tree-head", token: token)
                #expect(head.status == .internalServerError, "\(head.auditText)")
            }
            await #expect(throws: AuditLogError.self) { try await harness.store.append([AuditRecord(Records.event())]) }
            let alarms = try await CheckpointerTests.outbox(harness).filter { $0.type == "io.maestro.audit.tamper.detected.v1" }
            #expect(!alarms.isEmpty)
            #expect(alarms.allSatisfy { $0.key == "acme" })
        }
    }
}

extension Result<ExportVerifier.Report, ExportVerifier.Failure> {
    /// `nil` when the export verified; otherwise the failure's first bad index (itself `nil` when no entry is named).
    var failureIndex: Int?? {
        switch self {
        case .success: nil
        case .failure(let failure): .some(failure.firstBadIndex)
        }
    }
}
