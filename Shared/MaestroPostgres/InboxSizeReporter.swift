import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Reports the size of one schema's inbox as `maestro_inbox_records`, at start and then every
/// `interval`.
///
/// The figure is PostgreSQL's live-row estimate for the table (`pg_stat_user_tables`), not a
/// `count(*)`: an inbox kept forever grows to millions of rows, and counting them would scan
/// the table on every report. A failed report is logged at debug level and tried again at the
/// next interval; the gauge keeps its last value meanwhile.
public final class InboxSizeReporter: Service, Sendable {
    private let client: PostgresClient
    private let schema: String
    private let interval: Duration
    private let logger: Logger
    private let gauge: Gauge

    public init(client: PostgresClient, settings: PostgresSettings, interval: Duration = .seconds(30), logger: Logger) {
        self.client = client
        self.schema = settings.schema
        self.interval = interval
        self.logger = logger
        self.gauge = Gauge(label: "maestro_inbox_records", dimensions: [("schema", settings.schema)])
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.report()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Records the current estimate once.
    public func report() async {
        do {
            let rows = try await client.query("""
                SELECT coalesce(n_live_tup, 0) FROM pg_stat_user_tables WHERE schemaname = \(schema) AND relname = 'inbox'
                """, logger: logger)
            for try await count in rows.decode(Int64.self) { gauge.record(count) }
        } catch {
            logger.debug("inbox size not reported", metadata: ["schema": "\(schema)", "error": "\(String(reflecting: error))"])
        }
    }
}
