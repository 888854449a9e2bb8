import Foundation
import Logging
import MaestroAuditLog
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroPostgres
import NIOCore
import PostgresNIO
import Synchronization

/// A transaction scoped to one tenant's log.
typealias LogTransaction = TenantTransaction<AuditEvent>

/// The audit log's SQL: appends, tree heads, proofs, queries and exports all live here.
///
/// Every read and write of a log's entries, nodes and checkpoints runs in a transaction scoped
/// to its tenant (``LogTransaction``), so row-level security confines it to that log.
///
/// Guarantees of ``append(_:)``:
/// - **Exactly once.** A batch is appended in one transaction together with its inbox rows;
///   a redelivered record finds its inbox row and is not appended again.
/// - **Append-only, in order.** Each log's row is locked while its entries are appended, so
///   indexes are dense and the stored right edge always matches the stored entries.
/// - **Checkpoints.** Once a log has grown by ``checkpointEvery`` entries since its last
///   checkpoint, the new head is signed in the same transaction and published through the outbox.
struct AuditLogStore: Sendable {
    /// The ingest's consumer group and inbox name.
    static let consumerName = "audit-log"
    /// The service acting on its own: the `authid` of the events it publishes.
    static let actor = "maestro-audit"

    let database: ServiceDatabase<AuditEvent>
    let key: AuditSigningKey
    let checkpointEvery: Int
    private let alarms = RaisedAlarms()

    var logger: Logger { database.logger }

    init(database: ServiceDatabase<AuditEvent>, key: AuditSigningKey, checkpointEvery: Int) {
        self.database = database
        self.key = key
        self.checkpointEvery = checkpointEvery
    }

    /// The service itself, in `tenant`'s log.
    func caller(_ tenant: String) -> Caller {
        Caller(tenant: tenant, subject: Self.actor)
    }

    /// Runs `body` in one transaction scoped to `tenant`'s log, acting as the service: reads
    /// that span several queries (exports, reports) see one state of the log.
    func withLog<Result: Sendable>(_ tenant: String, _ body: (LogTransaction) async throws -> Result) async throws -> Result {
        try await database.transaction(caller(tenant), body)
    }

    // MARK: Append

    /// Appends the records not seen before; returns how many were appended.
    @discardableResult
    func append(_ records: [AuditRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try await database.platformTransaction { transaction in
            let fresh = try await transaction.claim(consumer: Self.consumerName, ids: records.map(\.dedupeKey))
            var seen: Set<String> = []
            var byTenant: [String: [AuditRecord]] = [:]
            for record in records where fresh.contains(record.dedupeKey) && seen.insert(record.dedupeKey).inserted {
                byTenant[record.tenant, default: []].append(record)
            }
            // Logs in one order, so two appenders never wait on each other's locks crosswise.
            for tenant in byTenant.keys.sorted() {
                try await transaction.enter(caller(tenant)) { log in try await append(byTenant[tenant]!, to: log) }
            }
            return seen.count
        }
    }

    private func append(_ records: [AuditRecord], to log: LogTransaction) async throws {
        var state = try await lockLog(log)
        let recordedAt = Date()
        var entries = EntryColumns()
        var nodes = NodeColumns()
        for record in records {
            let index = state.tree.size
            let entry = record.canonicalEntry(index: index, tenant: log.tenant, previousRoot: state.tree.root, recordedAt: recordedAt)
            let leaf = RFC6962.leafHash(entry.utf8)
            entries.add(record, index: index, entry: entry, leaf: leaf, recordedAt: recordedAt)
            for node in state.tree.append(leaf) { nodes.add(node) }
        }
        try await log.execute("""
            INSERT INTO audit.entries (log_id, idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid,
                                 correlation_id, occurred_at, recorded_at, leaf_hash, entry, provenance, producer)
            SELECT \(log.tenant), idx, kind, topic, kafka_partition, kafka_offset, NULLIF(event_id, ''), NULLIF(event_type, ''),
                   NULLIF(subject, ''), NULLIF(authid, ''), NULLIF(correlation_id, ''), occurred_at, \(recordedAt), leaf_hash, entry,
                   NULLIF(provenance, ''), NULLIF(producer, '')
            FROM unnest(\(entries.index)::bigint[], \(entries.kind)::text[], \(entries.topic)::text[], \(entries.partition)::integer[],
                        \(entries.offset)::bigint[], \(entries.eventID)::text[], \(entries.eventType)::text[], \(entries.subject)::text[],
                        \(entries.authID)::text[], \(entries.correlationID)::text[], \(entries.occurredAt)::timestamptz[],
                        \(entries.leaf)::bytea[], \(entries.entry)::text[], \(entries.provenance)::text[], \(entries.producer)::text[])
                 AS e(idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id,
                      occurred_at, leaf_hash, entry, provenance, producer)
            """)
        if !nodes.level.isEmpty {
            try await log.execute("""
                INSERT INTO audit.nodes (log_id, level, idx, hash)
                SELECT \(log.tenant), level, idx, hash FROM unnest(\(nodes.level)::smallint[], \(nodes.index)::bigint[], \(nodes.hash)::bytea[]) AS n(level, idx, hash)
                """)
        }
        if state.tree.size - state.checkpointSize >= checkpointEvery {
            try await signCheckpoint(state: &state, in: log)
        }
        try await saveLog(state, in: log)
    }

    // MARK: Log state

    struct LogState {
        var tree: CompactRange
        var checkpointSize: Int
        var checkpointAt: Date?
    }

    /// Creates the log on first use and locks its row for the rest of the transaction.
    func lockLog(_ log: LogTransaction) async throws -> LogState {
        try await log.execute("""
            INSERT INTO audit.logs (log_id, root_hash, updated_at) VALUES (\(log.tenant), \(ByteBuffer(bytes: RFC6962.emptyRoot)), now())
            ON CONFLICT DO NOTHING
            """)
        let rows = try await log.query("""
            SELECT tree_size, edge, checkpoint_size, checkpoint_at FROM audit.logs WHERE log_id = \(log.tenant) FOR UPDATE
            """).decode((Int, [ByteBuffer], Int, Date?).self)
        var found: LogState?
        for try await (size, edge, checkpointSize, checkpointAt) in rows {
            guard let tree = CompactRange(size: size, hashes: edge.map { Array(buffer: $0) }) else {
                throw AuditLogError.corruptLogState(log.tenant)
            }
            found = LogState(tree: tree, checkpointSize: checkpointSize, checkpointAt: checkpointAt)
        }
        guard let state = found else { throw AuditLogError.corruptLogState(log.tenant) }
        try await checkEdge(state.tree, in: log)
        return state
    }

    /// The log row is the one mutable thing the service keeps; before it appends to or signs a
    /// tree, the stored edge must be the stored subtrees it claims to be, so a rewritten row
    /// can neither fork the log nor get a forged root signed. A mismatch raises the alarm.
    func checkEdge(_ tree: CompactRange, in log: LogTransaction) async throws {
        let positions = CompactRange.positions(forSize: tree.size)
        let stored = try await nodes(Set(positions), in: log)
        let matches = zip(positions, tree.hashes).allSatisfy { stored.hashes[$0] == $1 }
        guard matches else {
            let error = AuditLogError.damagedState(log.tenant, "the stored tree edge of size \(tree.size) does not match the stored subtrees")
            await raiseTamperAlarm(tenant: log.tenant, treeSize: tree.size, reason: error.description)
            throw error
        }
    }

    func saveLog(_ state: LogState, in log: LogTransaction) async throws {
        try await log.execute("""
            UPDATE audit.logs SET tree_size = \(state.tree.size), edge = \(state.tree.hashes.map { ByteBuffer(bytes: $0) }),
                   root_hash = \(ByteBuffer(bytes: state.tree.root)), checkpoint_size = \(state.checkpointSize),
                   checkpoint_at = \(state.checkpointAt), updated_at = now()
            WHERE log_id = \(log.tenant)
            """)
    }

    /// Tenants whose logs grew since their last checkpoint, which is at least `interval` old.
    /// (Tree heads hold no content: the table is read across tenants.)
    func logsDueForCheckpoint(quietFor interval: Duration) async throws -> [String] {
        let seconds = Double(interval.components.seconds)
        return try await database.platformTransaction { transaction in
            let due = try await transaction.query("""
                SELECT log_id FROM audit.logs WHERE tree_size > checkpoint_size
                   AND (checkpoint_at IS NULL OR checkpoint_at <= now() - make_interval(secs => \(seconds)))
                ORDER BY log_id
                """).decode(String.self)
            var tenants: [String] = []
            for try await tenant in due { tenants.append(tenant) }
            return tenants
        }
    }

    /// Signs the log's current head, stores it and publishes it (`io.maestro.audit.checkpoint.signed.v1`).
    func signCheckpoint(state: inout LogState, in log: LogTransaction) async throws {
        let checkpoint = try Checkpoint.sign(logID: log.tenant, treeSize: state.tree.size, rootHash: state.tree.root, time: Date(), key: key)
        try await log.execute("""
            INSERT INTO audit.checkpoints (log_id, tree_size, root_hash, signed_at, key_id, signature)
            VALUES (\(log.tenant), \(checkpoint.treeSize), \(ByteBuffer(bytes: checkpoint.rootHash)), \(checkpoint.time), \(checkpoint.keyID),
                    \(ByteBuffer(bytes: checkpoint.signature)))
            ON CONFLICT DO NOTHING
            """)
        let payload = AuditEvent.CheckpointSigned(logID: log.tenant, treeSize: checkpoint.treeSize, rootHash: Hex.encode(checkpoint.rootHash),
                                                  signature: Data(checkpoint.signature).base64EncodedString(), keyID: checkpoint.keyID,
                                                  signedAt: checkpoint.time)
        try await publish(payload, subject: "logs/\(log.tenant)/checkpoints/\(checkpoint.treeSize)", in: log)
        state.checkpointSize = checkpoint.treeSize
        state.checkpointAt = checkpoint.time
    }

    /// Publishes an event about the log in its transaction, keyed by its tenant. The events of
    /// the `_system` log belong to no tenant, so they go into the outbox without one.
    private func publish(_ payload: some AuditEvent.Payload, subject: String, in log: LogTransaction) async throws {
        if log.tenant == AuditRecord.systemLog {
            try await log.emitPlatformEvent(payload, key: log.tenant, subject: subject)
        } else {
            try await log.emit(payload, key: log.tenant, subject: subject)
        }
    }
}

extension AuditLogStore {
    /// Publishes `io.maestro.audit.tamper.detected.v1` for a log whose stored tree is damaged,
    /// once per log and reason while this process runs. Best effort: a failure to publish is
    /// logged, and the damage stays visible to every verification anyway.
    func raiseTamperAlarm(tenant: String, treeSize: Int, reason: String) async {
        guard alarms.first(tenant + "\n" + reason) else { return }
        logger.critical("audit log damaged", metadata: ["log": "\(tenant)", "reason": "\(reason)"])
        do {
            try await withLog(tenant) { log in
                let payload = AuditEvent.TamperDetected(logID: tenant, treeSize: treeSize, reason: reason, detectedAt: Date())
                try await publish(payload, subject: "logs/\(tenant)", in: log)
            }
        } catch {
            logger.error("tamper alarm not published", metadata: ["log": "\(tenant)", "error": "\(String(reflecting: error))"])
        }
    }
}

/// Which alarms this process has raised.
private final class RaisedAlarms: Sendable {
    private let raised = Mutex<Set<String>>([])

    /// Whether `alarm` is raised for the first time.
    func first(_ alarm: String) -> Bool {
        raised.withLock { $0.insert(alarm).inserted }
    }
}

/// Column arrays of a batch of entries, bound to one `unnest` insert.
private struct EntryColumns {
    var index: [Int64] = []
    var kind: [String] = []
    var topic: [String] = []
    var partition: [Int32] = []
    var offset: [Int64] = []
    var eventID: [String] = []
    var eventType: [String] = []
    var subject: [String] = []
    var authID: [String] = []
    var correlationID: [String] = []
    var occurredAt: [Date] = []
    var leaf: [ByteBuffer] = []
    var entry: [String] = []
    var provenance: [String] = []
    var producer: [String] = []

    mutating func add(_ record: AuditRecord, index: Int, entry: String, leaf: MerkleHash, recordedAt: Date) {
        self.index.append(Int64(index))
        kind.append(record.kind.rawValue)
        topic.append(record.topic)
        partition.append(record.partition)
        offset.append(record.offset)
        eventID.append(record.eventID ?? "")
        eventType.append(record.eventType ?? "")
        subject.append(record.subject ?? "")
        authID.append(record.authID ?? "")
        correlationID.append(record.correlationID ?? "")
        occurredAt.append(record.occurredAt)
        self.leaf.append(ByteBuffer(bytes: leaf))
        self.entry.append(entry)
        provenance.append(record.provenance?.status ?? "")
        producer.append(record.provenance?.service ?? "")
    }
}

private struct NodeColumns {
    var level: [Int16] = []
    var index: [Int64] = []
    var hash: [ByteBuffer] = []

    mutating func add(_ node: CompactRange.Node) {
        level.append(Int16(node.level))
        index.append(Int64(node.index))
        hash.append(ByteBuffer(bytes: node.hash))
    }
}
