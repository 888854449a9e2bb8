import Crypto
import Foundation
import Logging
import MaestroAuditLog
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import NIOCore
import PostgresNIO
import Synchronization

/// The audit log's SQL: appends, tree heads, proofs, queries and exports all live here.
///
/// Guarantees of ``append(_:)``:
/// - **Exactly once.** A batch is appended in one transaction together with its inbox rows;
///   a redelivered record finds its inbox row and is not appended again.
/// - **Append-only, in order.** Each log's row is locked while its entries are appended, so
///   indexes are dense and the stored right edge always matches the stored entries.
/// - **Checkpoints.** Once a log has grown by ``checkpointEvery`` entries since its last
///   checkpoint, the new head is signed in the same transaction and published through the outbox.
struct AuditLogStore: Sendable {
    static let schema = "audit"
    static let source = "/maestro/audit"
    static let consumerName = "audit-log"

    let client: PostgresClient
    let key: AuditSigningKey
    let checkpointEvery: Int
    let logger: Logger
    let inbox: Inbox
    let outbox: Outbox
    private let alarms = RaisedAlarms()

    init(client: PostgresClient, settings: PostgresSettings, key: AuditSigningKey, checkpointEvery: Int, logger: Logger) {
        self.client = client
        self.key = key
        self.checkpointEvery = checkpointEvery
        self.logger = logger
        self.inbox = Inbox(settings: settings)
        self.outbox = Outbox(settings: settings)
    }

    /// Publishes the signing key's public half, so checkpoints signed with it stay checkable.
    func registerSigningKey() async throws {
        try await client.query("""
            INSERT INTO audit.signing_keys (key_id, public_key, first_used_at)
            VALUES (\(key.keyID), \(ByteBuffer(bytes: key.publicKey.key.rawRepresentation)), now()) ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Every public key that has signed checkpoints, oldest first.
    func publicKeys() async throws -> [(keyID: String, publicKey: [UInt8], firstUsedAt: Date)] {
        var keys: [(String, [UInt8], Date)] = []
        for try await (id, bytes, at) in try await client.query("SELECT key_id, public_key, first_used_at FROM audit.signing_keys ORDER BY first_used_at, key_id",
                                                                logger: logger).decode((String, ByteBuffer, Date).self) {
            keys.append((id, Array(buffer: bytes), at))
        }
        return keys
    }

    // MARK: Append

    /// Appends the records not seen before; returns how many were appended.
    @discardableResult
    func append(_ records: [AuditRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try await client.transaction(logger: logger) { connection in
            let fresh = try await inbox.claim(consumer: Self.consumerName, ids: records.map(\.dedupeKey), on: connection, logger: logger)
            var seen: Set<String> = []
            var byLog: [String: [AuditRecord]] = [:]
            for record in records where fresh.contains(record.dedupeKey) && seen.insert(record.dedupeKey).inserted {
                byLog[record.logID, default: []].append(record)
            }
            // Logs in one order, so two appenders never wait on each other's locks crosswise.
            for logID in byLog.keys.sorted() {
                try await append(byLog[logID]!, to: logID, on: connection)
            }
            return seen.count
        }
    }

    private func append(_ records: [AuditRecord], to logID: String, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT set_config('maestro.tenant', \(logID), true)", logger: logger)
        var state = try await lockLog(logID, on: connection)
        let recordedAt = Date()
        var entries = EntryColumns()
        var nodes = NodeColumns()
        for record in records {
            let index = state.tree.size
            let entry = record.canonicalEntry(index: index, logID: logID, previousRoot: state.tree.root, recordedAt: recordedAt)
            let leaf = RFC6962.leafHash(entry.utf8)
            entries.add(record, index: index, entry: entry, leaf: leaf, recordedAt: recordedAt)
            for node in state.tree.append(leaf) { nodes.add(node) }
        }
        try await connection.query("""
            INSERT INTO audit.entries (log_id, idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid,
                                 correlation_id, occurred_at, recorded_at, leaf_hash, entry)
            SELECT \(logID), idx, kind, topic, kafka_partition, kafka_offset, NULLIF(event_id, ''), NULLIF(event_type, ''),
                   NULLIF(subject, ''), NULLIF(authid, ''), NULLIF(correlation_id, ''), occurred_at, \(recordedAt), leaf_hash, entry
            FROM unnest(\(entries.index)::bigint[], \(entries.kind)::text[], \(entries.topic)::text[], \(entries.partition)::integer[],
                        \(entries.offset)::bigint[], \(entries.eventID)::text[], \(entries.eventType)::text[], \(entries.subject)::text[],
                        \(entries.authID)::text[], \(entries.correlationID)::text[], \(entries.occurredAt)::timestamptz[],
                        \(entries.leaf)::bytea[], \(entries.entry)::text[])
                 AS e(idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id,
                      occurred_at, leaf_hash, entry)
            """, logger: logger)
        if !nodes.level.isEmpty {
            try await connection.query("""
                INSERT INTO audit.nodes (log_id, level, idx, hash)
                SELECT \(logID), level, idx, hash FROM unnest(\(nodes.level)::smallint[], \(nodes.index)::bigint[], \(nodes.hash)::bytea[]) AS n(level, idx, hash)
                """, logger: logger)
        }
        if state.tree.size - state.checkpointSize >= checkpointEvery {
            try await signCheckpoint(logID: logID, state: &state, on: connection)
        }
        try await saveLog(logID, state: state, on: connection)
    }

    // MARK: Log state

    struct LogState {
        var tree: CompactRange
        var checkpointSize: Int
        var checkpointAt: Date?
    }

    /// Creates the log on first use and locks its row for the rest of the transaction.
    func lockLog(_ logID: String, on connection: PostgresConnection) async throws -> LogState {
        try await connection.query("""
            INSERT INTO audit.logs (log_id, root_hash, updated_at) VALUES (\(logID), \(ByteBuffer(bytes: RFC6962.emptyRoot)), now())
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let rows = try await connection.query("""
            SELECT tree_size, edge, checkpoint_size, checkpoint_at FROM audit.logs WHERE log_id = \(logID) FOR UPDATE
            """, logger: logger).decode((Int, [ByteBuffer], Int, Date?).self)
        var found: LogState?
        for try await (size, edge, checkpointSize, checkpointAt) in rows {
            guard let tree = CompactRange(size: size, hashes: edge.map { Array(buffer: $0) }) else {
                throw AuditLogError.corruptLogState(logID)
            }
            found = LogState(tree: tree, checkpointSize: checkpointSize, checkpointAt: checkpointAt)
        }
        guard let state = found else { throw AuditLogError.corruptLogState(logID) }
        try await checkEdge(state.tree, logID: logID, on: connection)
        return state
    }

    /// The log row is the one mutable thing the service keeps; before it appends to or signs a
    /// tree, the stored edge must be the stored subtrees it claims to be, so a rewritten row
    /// can neither fork the log nor get a forged root signed. A mismatch raises the alarm.
    func checkEdge(_ tree: CompactRange, logID: String, on connection: PostgresConnection) async throws {
        let positions = CompactRange.positions(forSize: tree.size)
        let stored = try await nodes(Set(positions), logID: logID, on: connection)
        let matches = zip(positions, tree.hashes).allSatisfy { stored.hashes[$0] == $1 }
        guard matches else {
            let error = AuditLogError.damagedState(logID, "the stored tree edge of size \(tree.size) does not match the stored subtrees")
            await raiseTamperAlarm(logID: logID, treeSize: tree.size, reason: error.description)
            throw error
        }
    }

    func saveLog(_ logID: String, state: LogState, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE audit.logs SET tree_size = \(state.tree.size), edge = \(state.tree.hashes.map { ByteBuffer(bytes: $0) }),
                   root_hash = \(ByteBuffer(bytes: state.tree.root)), checkpoint_size = \(state.checkpointSize),
                   checkpoint_at = \(state.checkpointAt), updated_at = now()
            WHERE log_id = \(logID)
            """, logger: logger)
    }

    /// Logs that grew since their last checkpoint, which is at least `interval` old.
    func logsDueForCheckpoint(quietFor interval: Duration) async throws -> [String] {
        let seconds = Double(interval.components.seconds)
        let due = try await client.query("""
            SELECT log_id FROM audit.logs WHERE tree_size > checkpoint_size
               AND (checkpoint_at IS NULL OR checkpoint_at <= now() - make_interval(secs => \(seconds)))
            ORDER BY log_id
            """, logger: logger).decode(String.self)
        var logs: [String] = []
        for try await log in due { logs.append(log) }
        return logs
    }

    /// Signs the log's current head, stores it and publishes it (`io.maestro.audit.checkpoint.signed.v1`).
    func signCheckpoint(logID: String, state: inout LogState, on connection: PostgresConnection) async throws {
        let checkpoint = try Checkpoint.sign(logID: logID, treeSize: state.tree.size, rootHash: state.tree.root, time: Date(), key: key)
        try await connection.query("""
            INSERT INTO audit.checkpoints (log_id, tree_size, root_hash, signed_at, key_id, signature)
            VALUES (\(logID), \(checkpoint.treeSize), \(ByteBuffer(bytes: checkpoint.rootHash)), \(checkpoint.time), \(checkpoint.keyID),
                    \(ByteBuffer(bytes: checkpoint.signature)))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let payload = AuditEvent.CheckpointSigned(logID: logID, treeSize: checkpoint.treeSize, rootHash: Hex.encode(checkpoint.rootHash),
                                                  signature: Data(checkpoint.signature).base64EncodedString(), keyID: checkpoint.keyID,
                                                  signedAt: checkpoint.time)
        let event = try CloudEvent(source: Self.source, subject: "logs/\(logID)/checkpoints/\(checkpoint.treeSize)",
                                   tenant: logID == AuditRecord.systemLog ? nil : logID, payload: payload, authId: "maestro-audit")
        try await outbox.enqueue(event, topic: .auditEvents, key: logID, on: connection, logger: logger)
        state.checkpointSize = checkpoint.treeSize
        state.checkpointAt = checkpoint.time
    }
}

extension AuditLogStore {
    /// Publishes `io.maestro.audit.tamper.detected.v1` for a log whose stored tree is damaged,
    /// once per log and reason while this process runs. Best effort: a failure to publish is
    /// logged, and the damage stays visible to every verification anyway.
    func raiseTamperAlarm(logID: String, treeSize: Int, reason: String) async {
        guard alarms.first(logID + "\n" + reason) else { return }
        logger.critical("audit log damaged", metadata: ["log": "\(logID)", "reason": "\(reason)"])
        do {
            try await client.withTenantTransaction(logID, logger: logger) { connection in
                let payload = AuditEvent.TamperDetected(logID: logID, treeSize: treeSize, reason: reason, detectedAt: Date())
                let event = try CloudEvent(source: Self.source, subject: "logs/\(logID)", tenant: logID == AuditRecord.systemLog ? nil : logID,
                                           payload: payload, authId: "maestro-audit")
                try await outbox.enqueue(event, topic: .auditEvents, key: logID, on: connection, logger: logger)
            }
        } catch {
            logger.error("tamper alarm not published", metadata: ["log": "\(logID)", "error": "\(String(reflecting: error))"])
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

/// Failures of the audit log that are not the caller's fault.
struct AuditLogError: Error, CustomStringConvertible {
    private enum Code { case corruptLogState, damage }
    private let code: Code
    let description: String
    var logID = ""

    static func corruptLogState(_ logID: String) -> AuditLogError {
        AuditLogError(code: .corruptLogState, description: "the stored state of log \(logID) is not a valid tree edge")
    }

    static func damagedState(_ logID: String, _ reason: String) -> AuditLogError {
        AuditLogError(code: .damage, description: "log \(logID): \(reason)", logID: logID)
    }

    static func missingNode(_ logID: String, _ missing: MissingNode) -> AuditLogError {
        AuditLogError(code: .damage, description: "log \(logID): \(missing)", logID: logID)
    }

    /// The stored log is damaged (a hash missing or not what the state claims): tampering.
    var isDamage: Bool { code == .damage }
}
