import Foundation
import MaestroAuditLog
import MaestroPostgres
import NIOCore
import PostgresNIO

extension EntryFilter {
    /// Narrows `query` (over `audit.entries`) to the entries the filter selects.
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

extension AuditLogStore {
    private static let entryColumns = """
        SELECT idx, kind, topic, kafka_partition, kafka_offset, event_id, event_type, subject, authid, correlation_id,
               provenance, producer, occurred_at, recorded_at, leaf_hash, entry FROM audit.entries WHERE log_id =
        """

    /// A page of `tenant`'s entries in index order, after the cursor.
    func entries(tenant: String, filter: EntryFilter, after: Int?, limit: Int) async throws -> [StoredEntry] {
        try await withLog(tenant) { log in
            var found: [StoredEntry] = []
            try await forEachEntry(filter: filter, after: after, limit: limit, in: log) { found.append($0) }
            return found
        }
    }

    func entry(tenant: String, index: Int) async throws -> StoredEntry {
        let found = try await entries(tenant: tenant, filter: EntryFilter(), after: index - 1, limit: 1)
        guard let entry = found.first, entry.index == index else {
            let size = try await withLog(tenant) { log in try await head(in: log).size }
            throw AuditQueryError.noSuchEntry(index, size: size)
        }
        return entry
    }

    /// Calls `body` for each matching entry in index order, reading rows as `body` takes them
    /// (postgres-nio's row stream is back-pressured), so no result is held in memory whole.
    func forEachEntry(filter: EntryFilter, after: Int?, before: Int? = nil, limit: Int? = nil,
                      in log: LogTransaction, _ body: (StoredEntry) async throws -> Void) async throws {
        var query = QueryBuilder(Self.entryColumns)
        query.append(query.bind(log.tenant))
        if let after { query.append(" AND idx > \(query.bind(after))") }
        if let before { query.append(" AND idx < \(query.bind(before))") }
        filter.apply(to: &query)
        query.append(" ORDER BY idx")
        if let limit { query.append(" LIMIT \(query.bind(limit))") }
        let rows = try await log.query(query.query)
            .decode((Int, String, String, Int, Int, String?, String?, String?, String?, String?, String?, String?, Date, Date, ByteBuffer, String).self)
        for try await (index, kind, topic, partition, offset, eventID, eventType, subject, actor, correlationID, provenance, producer,
                       occurredAt, recordedAt, leaf, entry) in rows {
            try await body(StoredEntry(index: index, kind: kind, topic: topic, partition: partition, offset: offset, eventID: eventID,
                                       eventType: eventType, subject: subject, actor: actor, correlationID: correlationID,
                                       provenance: provenance, producer: producer,
                                       occurredAt: occurredAt, recordedAt: recordedAt, leafHash: Array(buffer: leaf), entry: entry))
        }
    }

    static let reportMaxBytes = 64 << 20

    /// The entries of a model's timeline: every event whose subject is `models/<name>` or under it.
    func modelTimeline(model: String, limit: Int, in log: LogTransaction) async throws -> [StoredEntry] {
        var filter = EntryFilter()
        filter.subject = "models/\(model)"
        filter.subjectPrefix = true
        var found: [StoredEntry] = []
        var bytes = 0
        try await forEachEntry(filter: filter, after: nil, limit: limit + 1, in: log) { entry in
            bytes += entry.entry.utf8.count
            // A report is built in memory: its entries' bytes are bounded as well as their number.
            guard bytes <= Self.reportMaxBytes else { throw AuditQueryError.tooLarge(bytes: Self.reportMaxBytes) }
            found.append(entry)
        }
        guard found.count <= limit else { throw AuditQueryError.tooLarge(limit: limit) }
        return found
    }
}
