import Logging
import PostgresNIO
import ServiceLifecycle

/// Prunes one schema's inbox on a schedule, so the table does not grow forever.
///
/// Guarantees:
/// - **Retention.** Once at start and then every `interval`, entries recorded more than
///   `retention` ago are deleted and younger ones are kept. One run deletes the whole backlog
///   that is due, however large.
/// - **Short transactions.** A run deletes in batches of at most `batchSize` rows, each its own
///   statement (``Inbox/prune(olderThan:batchSize:client:logger:)``), so a large backlog never
///   holds one long transaction, and replicas pruning the same schema at once skip each
///   other's rows instead of waiting for them.
/// - **Failures.** A failed run (database unreachable, connection lost, a statement refused) is
///   logged and the next run is tried at the next interval; the service never throws for it.
/// - **Shutdown.** On graceful shutdown or cancellation it stops waiting at once and stops
///   between batches; what was deleted stays deleted.
///
/// The retention must exceed the longest retention of every topic this schema's consumers read
/// (and any replay window, such as a consumer group reset to the earliest offset). The inbox
/// recognises a redelivery only while it still holds the event's id: an event redelivered after
/// its entry was pruned is treated as new, and its effect is applied a second time. The default
/// of 14 days (`MAESTRO_INBOX_RETENTION_HOURS`) is twice Kafka's default topic retention of 7 days.
public final class InboxRetention: Service, Sendable {
    private let client: PostgresClient
    private let inbox: Inbox
    private let retention: Duration
    private let interval: Duration
    private let batchSize: Int
    private let logger: Logger

    /// - Parameters:
    ///   - client: a running client for the service's database.
    ///   - settings: the service's settings; their schema's inbox is pruned.
    ///   - retention: how long an entry is kept; services pass `inboxRetention` from their configuration
    ///     (`MAESTRO_INBOX_RETENTION_HOURS`).
    ///   - interval: the time between runs.
    ///   - batchSize: the most rows one delete statement removes.
    ///   - logger: where runs and failures are logged.
    public init(client: PostgresClient, settings: PostgresSettings, retention: Duration, interval: Duration = .seconds(3600),
                batchSize: Int = 10_000, logger: Logger) {
        precondition(retention > .zero, "the inbox retention must be positive")
        precondition(interval > .zero, "the inbox pruning interval must be positive")
        precondition(batchSize > 0, "the inbox pruning batch size must be positive")
        self.client = client
        self.inbox = Inbox(settings: settings)
        self.retention = retention
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.pruneOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One run; failures are logged, never thrown.
    private func pruneOnce() async {
        do {
            let deleted = try await inbox.prune(olderThan: retention, batchSize: batchSize, client: client, logger: logger)
            if deleted > 0 {
                logger.info("pruned inbox entries past their retention", metadata: [
                    "schema": "\(inbox.schema)", "deleted": "\(deleted)", "retention": "\(retention)",
                ])
            }
        } catch {
            if Task.isCancelled { return }
            logger.warning("inbox pruning failed; trying again at the next interval", metadata: [
                "schema": "\(inbox.schema)", "error": "\(String(reflecting: error))", "retry_in": "\(interval)",
            ])
        }
    }
}
