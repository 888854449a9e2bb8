import Foundation
import Logging
import MaestroEvents
import PostgresNIO

/// Writes events into the transactional outbox of a schema.
///
/// Guarantee: an event enqueued inside a transaction is published if and only if that
/// transaction commits (the ``OutboxRelay`` publishes committed rows), at least once, and
/// in commit order per key.
public struct Outbox: Sendable {
    public let schema: String

    public init(settings: PostgresSettings) {
        self.schema = settings.schema
    }

    /// Adds an event to the transaction `connection` is in.
    ///
    /// Takes a transaction-scoped advisory lock on the key first, so that rows of one key get
    /// ids in commit order, and wakes the relay with NOTIFY (delivered only on commit).
    public func enqueue(_ event: CloudEvent, topic: Topic, key: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(schema + "/" + key), 0))", logger: logger)
        try await connection.query("""
            INSERT INTO \(unescaped: schema).outbox
                (topic, key, ce_id, ce_type, ce_source, ce_subject, ce_time, ce_dataschema, tenant, authid,
                 correlationid, causationid, traceparent, data)
            VALUES (\(topic.name), \(key), \(event.id), \(event.type), \(event.source), \(event.subject), \(event.time ?? Date()),
                    \(event.dataSchema), \(event.tenant), \(event.authId), \(event.correlationId), \(event.causationId),
                    \(event.traceParent), \(ByteBuffer(bytes: event.data)))
            """, logger: logger)
        try await connection.query("SELECT pg_notify(\(notifyChannel), '')", logger: logger)
    }

    /// The LISTEN/NOTIFY channel that wakes this schema's relay.
    package var notifyChannel: String { "\(schema)_outbox" }
}
