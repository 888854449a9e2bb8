import Logging
import MaestroEvents
import PostgresNIO

/// Effectively-once handling of consumed events.
///
/// `once` records `(consumer, ce_id)` in the same transaction as the effect: a redelivered
/// event finds its row and changes nothing; two deliveries racing each other serialize on the
/// row's primary key, and the second one sees the first one's commit.
public struct Inbox: Sendable {
    public let schema: String

    public init(settings: PostgresSettings) {
        self.schema = settings.schema
    }

    /// Runs `effect` once per `(consumer, event id)`, in one transaction with the inbox row;
    /// returns `nil` for an event already handled. Services use ``ServiceDatabase/once(consumer:event:caller:_:)``,
    /// which also scopes the transaction to the event's tenant.
    public func once<Result: Sendable>(consumer: String, event: CloudEvent, client: PostgresClient, logger: Logger,
                                       _ effect: (PostgresConnection) async throws -> Result) async throws -> Result? {
        try await client.transaction(logger: logger) { connection -> Result? in
            guard try await !claim(consumer: consumer, ids: [event.id], on: connection, logger: logger).isEmpty else { return nil }
            return try await effect(connection)
        }
    }

    /// Records every id of `ids` for `consumer` in the transaction `connection` is in, and
    /// returns those not recorded before (their effects are the caller's to apply in that same
    /// transaction). Ids are claimed in sorted order, so two batches racing over the same ids
    /// cannot deadlock.
    public func claim(consumer: String, ids: [String], on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let sorted = Array(Set(ids)).sorted()
        guard !sorted.isEmpty else { return [] }
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: schema).inbox (consumer, event_id)
            SELECT \(consumer), id FROM unnest(\(sorted)::text[]) WITH ORDINALITY AS claimed(id, position) ORDER BY position
            ON CONFLICT DO NOTHING RETURNING event_id
            """, logger: logger)
        var claimed: Set<String> = []
        for try await id in rows.decode(String.self) { claimed.insert(id) }
        return claimed
    }

    /// Forgets entries older than `age`; a redelivery of a forgotten event is treated as new.
    ///
    /// Deletes oldest first in batches of at most `batchSize` rows, each batch one statement in
    /// its own short transaction, so a large backlog never holds one long transaction or lock.
    /// Rows another pruner has locked are skipped, so replicas pruning at once neither wait for
    /// nor repeat each other's work. Returns after the first batch that deletes fewer than
    /// `batchSize` rows, or between batches once the task is cancelled (what was deleted stays
    /// deleted; the rest waits for the next call). Returns how many entries were deleted.
    @discardableResult
    public func prune(olderThan age: Duration, batchSize: Int = 10_000, client: PostgresClient, logger: Logger) async throws -> Int {
        precondition(batchSize > 0, "the prune batch size must be positive")
        let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
        var total = 0
        while !Task.isCancelled {
            let rows = try await client.query("""
                WITH deleted AS (
                    DELETE FROM \(unescaped: schema).inbox WHERE ctid = ANY(ARRAY(
                        SELECT ctid FROM \(unescaped: schema).inbox WHERE processed_at < now() - make_interval(secs => \(seconds))
                        ORDER BY processed_at LIMIT \(batchSize) FOR UPDATE SKIP LOCKED))
                    RETURNING 1)
                SELECT count(*)::int FROM deleted
                """, logger: logger)
            var deleted = 0
            for try await count in rows.decode(Int.self) { deleted = count }
            total += deleted
            if deleted < batchSize { break }
        }
        return total
    }
}
