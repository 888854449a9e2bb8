import Foundation
import MaestroAuditLog
import MaestroPostgres
import NIOCore
import PostgresNIO

/// What a query or export selects. Every filter narrows; none given selects the whole log.
struct EntryFilter: Sendable {
    /// Time range on the event's own time (`ce_time`, else when the consumer received the record): `from` inclusive, `to` exclusive.
    var from: Date?
    var to: Date?
    var types: [String] = []
    /// Exact subject, or with `subjectPrefix` every subject under it (`models/fraud` matches `models/fraud/versions/3`).
    var subject: String?
    var subjectPrefix = false
    var actor: String?
    var correlationID: String?
    var kind: AuditRecord.Kind?

    var isEmpty: Bool {
        from == nil && to == nil && types.isEmpty && subject == nil && actor == nil && correlationID == nil && kind == nil
    }

    func apply(to query: inout QueryBuilder) {
        if let from { query.append(" AND occurred_at >= \(query.bind(from))") }
        if let to { query.append(" AND occurred_at < \(query.bind(to))") }
        if !types.isEmpty { query.append(" AND event_type = ANY(\(query.bind(types))::text[])") }
        if let subject {
            if subjectPrefix {
                let pattern = subject.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                query.append(" AND (subject = \(query.bind(subject)) OR subject LIKE \(query.bind(pattern + "/%")))")
            } else {
                query.append(" AND subject = \(query.bind(subject))")
            }
        }
        if let actor { query.append(" AND authid = \(query.bind(actor))") }
        if let correlationID { query.append(" AND correlation_id = \(query.bind(correlationID))") }
        if let kind { query.append(" AND kind = \(query.bind(kind.rawValue))") }
    }
}

/// An entry as stored: the canonical bytes and the columns copied from them for querying.
struct StoredEntry: Sendable {
    let index: Int
    let kind: String
    let topic: String
    let partition: Int
    let offset: Int
    let eventID: String?
    let eventType: String?
    let subject: String?
    let actor: String?
    let correlationID: String?
    let occurredAt: Date
    let recordedAt: Date
    let leafHash: MerkleHash
    let entry: String
}

extension AuditLogStore {
    private static let entryColumns = """
        SELECT idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id,
               occurred_at, recorded_at, leaf_hash, entry FROM audit.entries WHERE log_id =
        """

    /// A page of entries in index order, after the cursor.
    func entries(logID: String, filter: EntryFilter, after: Int?, limit: Int) async throws -> [StoredEntry] {
        try await client.withTenantTransaction(logID, logger: logger) { connection in
            var found: [StoredEntry] = []
            try await forEachEntry(logID: logID, filter: filter, after: after, limit: limit, on: connection) { found.append($0) }
            return found
        }
    }

    func entry(logID: String, index: Int) async throws -> StoredEntry {
        let found = try await entries(logID: logID, filter: EntryFilter(), after: index - 1, limit: 1)
        guard let entry = found.first, entry.index == index else {
            let size = try await read(logID: logID) { connection in try await head(of: logID, on: connection).size }
            throw AuditQueryError.noSuchEntry(index, size: size)
        }
        return entry
    }

    /// Calls `body` for each matching entry in index order, reading rows as `body` takes them
    /// (postgres-nio's row stream is back-pressured), so no result is held in memory whole.
    func forEachEntry(logID: String, filter: EntryFilter, after: Int?, before: Int? = nil, limit: Int? = nil,
                      on connection: PostgresConnection, _ body: (StoredEntry) async throws -> Void) async throws {
        var query = QueryBuilder(Self.entryColumns)
        query.append(query.bind(logID))
        if let after { query.append(" AND idx > \(query.bind(after))") }
        if let before { query.append(" AND idx < \(query.bind(before))") }
        filter.apply(to: &query)
        query.append(" ORDER BY idx")
        if let limit { query.append(" LIMIT \(query.bind(limit))") }
        let rows = try await connection.query(query.query, logger: logger)
            .decode((Int, String, String, Int, Int, String?, String?, String?, String?, String?, Date, Date, ByteBuffer, String).self)
        for try await (index, kind, topic, partition, offset, eventID, eventType, subject, actor, correlationID, occurredAt, recordedAt, leaf, entry) in rows {
            try await body(StoredEntry(index: index, kind: kind, topic: topic, partition: partition, offset: offset, eventID: eventID,
                                       eventType: eventType, subject: subject, actor: actor, correlationID: correlationID,
                                       occurredAt: occurredAt, recordedAt: recordedAt, leafHash: Array(buffer: leaf), entry: entry))
        }
    }

    /// Runs `body` in the log's tenant transaction (for reads that span several queries, like exports).
    func read<Result: Sendable>(logID: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withTenantTransaction(logID, logger: logger, body)
    }

    static let reportMaxBytes = 64 << 20

    /// The entries of a model's timeline: every event whose subject is `models/<name>` or under it.
    func modelTimeline(logID: String, model: String, limit: Int, on connection: PostgresConnection) async throws -> [StoredEntry] {
        var filter = EntryFilter()
        filter.subject = "models/\(model)"
        filter.subjectPrefix = true
        var found: [StoredEntry] = []
        var bytes = 0
        try await forEachEntry(logID: logID, filter: filter, after: nil, limit: limit + 1, on: connection) { entry in
            bytes += entry.entry.utf8.count
            // A report is built in memory: its entries' bytes are bounded as well as their number.
            guard bytes <= Self.reportMaxBytes else { throw AuditQueryError.tooLarge(bytes: Self.reportMaxBytes) }
            found.append(entry)
        }
        guard found.count <= limit else { throw AuditQueryError.tooLarge(limit: limit) }
        return found
    }
}
