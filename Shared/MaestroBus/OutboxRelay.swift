import Foundation
import Logging
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroTracing
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Tracing

/// Publishes committed outbox rows to Kafka and marks them sent.
///
/// Guarantees:
/// - **Nothing lost.** A row is marked sent only after the broker acknowledged it; a crash
///   before that re-sends it, with the same `ce_id`, so consumers' inboxes drop the copy.
/// - **Order per key.** Rows are published in id order (commit order per key) by an
///   idempotent producer, and one relay per schema is active at a time (a session advisory
///   lock; other replicas stand by). A record the broker rejects for good is retried and
///   logged, and later rows of its key are not held back.
/// - **Outages.** Broker or database failures are retried with capped backoff; the backlog
///   drains when they recover.
///
/// - **Signed.** With a signer, every event is signed (``EventSignature``) as it is
///   published, and nothing is published until governance has registered the signer's key.
///
/// Wakes on LISTEN/NOTIFY, with a polling fallback. Reports `maestro_outbox_backlog`,
/// `maestro_outbox_oldest_unsent_age_seconds` and `maestro_outbox_publish_latency_seconds`
/// (commit to acknowledgement). Each batch is a producer span, `send <topic>`, of its own
/// trace, linked to the spans that created its events. Prunes sent rows older than the
/// retention. Stop it before the producer, so the producer flushes last.
public final class OutboxRelay: Service, Sendable {
    public struct Configuration: Sendable {
        public var batchSize: Int = 1000
        public var pollInterval: Duration = .seconds(1)
        public var maxRetryDelay: Duration = .seconds(30)
        public var sentRetention: Duration = .seconds(24 * 3600)
        public var pruneInterval: Duration = .seconds(60)

        public init() {}
    }

    private let client: PostgresClient
    private let producer: KafkaProducer
    private let signer: EventSigner?
    private let outbox: Outbox
    private let configuration: Configuration
    private let logger: Logger
    private let doorbell = Doorbell()
    private let stopping = Doorbell()
    private let backlogGauge: Gauge
    private let oldestAgeGauge: Gauge
    private let latencyTimer: Metrics.Timer

    public init(client: PostgresClient, producer: KafkaProducer, settings: PostgresSettings, signer: EventSigner? = nil,
                configuration: Configuration = .init(), logger: Logger) {
        self.client = client
        self.producer = producer
        self.signer = signer
        self.outbox = Outbox(settings: settings)
        self.configuration = configuration
        self.logger = logger
        self.backlogGauge = Gauge(label: "maestro_outbox_backlog", dimensions: [("schema", settings.schema)])
        self.oldestAgeGauge = Gauge(label: "maestro_outbox_oldest_unsent_age_seconds", dimensions: [("schema", settings.schema)])
        self.latencyTimer = Metrics.Timer(label: "maestro_outbox_publish_latency_seconds", dimensions: [("schema", settings.schema)],
                                          preferredDisplayUnit: .seconds)
    }

    private var lockKey: Int64 {
        Int64(truncatingIfNeeded: "maestro.outbox.\(outbox.schema)".utf8.reduce(UInt64(14695981039346656037)) { ($0 ^ UInt64($1)) &* 1099511628211 })
    }

    public func run() async throws {
        let stop = StopFlag()
        await withGracefulShutdownHandler {
            var delay = Duration.milliseconds(200)
            while !stop.isSet && !Task.isCancelled {
                do {
                    try await runAsLeader(stop: stop)
                } catch {
                    if stop.isSet || Task.isCancelled { break }
                    logger.warning("outbox relay interrupted; retrying", metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"])
                    await stopping.wait(timeout: delay)
                    delay = min(delay * 2, configuration.maxRetryDelay)
                }
            }
        } onGracefulShutdown: {
            stop.set()
            self.doorbell.ring()
            self.stopping.ring()
        }
    }

    /// Holds the schema's relay lock on one connection, listens for commits, and publishes until stopped.
    private func runAsLeader(stop: StopFlag) async throws {
        try await client.withConnection { connection in
            while !stop.isSet {
                let rows = try await connection.query("SELECT pg_try_advisory_lock(\(lockKey))", logger: logger)
                var acquired = false
                for try await locked in rows.decode(Bool.self) { acquired = locked }
                if acquired { break }
                await stopping.wait(timeout: configuration.pollInterval)
            }
            guard !stop.isSet else { return }
            if let signer, !signer.isRegistered {
                logger.info("outbox relay waits until governance has the service's event key", metadata: ["schema": "\(outbox.schema)"])
                await signer.waitUntilRegistered { stop.isSet }
                guard !stop.isSet else { return }
            }
            defer { logger.debug("outbox relay stopped leading", metadata: ["schema": "\(outbox.schema)"]) }
            let notifications = try await connection.listen(outbox.notifyChannel)
            let doorbell = self.doorbell
            let listener = Task {
                for try await _ in notifications { doorbell.ring() }
            }
            defer { listener.cancel() }

            var lastPrune = ContinuousClock.now - configuration.pruneInterval
            var failures = 0
            while !stop.isSet {
                let published = try await publishBatch(on: connection)
                if published.failed > 0 {
                    failures += 1
                    let delay = min(Duration.milliseconds(100) * (1 << min(failures, 9)), configuration.maxRetryDelay)
                    await stopping.wait(timeout: delay)
                    continue
                }
                failures = 0
                if ContinuousClock.now - lastPrune >= configuration.pruneInterval {
                    try await prune(on: connection)
                    lastPrune = .now
                }
                if published.sent < configuration.batchSize {
                    await doorbell.wait(timeout: configuration.pollInterval)
                }
            }
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
        }
    }

    private struct Row {
        let id: Int64
        let message: KafkaProducerMessage
        let traceParent: String?
        let createdAt: Date
    }

    /// At most this many links on a batch's span; a batch holds up to ``Configuration/batchSize`` rows.
    static let maxLinksPerBatch = 128

    /// Publishes one batch of unsent rows in id order; returns how many were sent and how many failed.
    private func publishBatch(on connection: PostgresConnection) async throws -> (sent: Int, failed: Int) {
        let result = try await connection.query("""
            SELECT id, topic, key, ce_id, ce_type, ce_source, ce_subject, ce_time, ce_dataschema, tenant, authid,
                   correlationid, causationid, traceparent, data, created_at
            FROM \(unescaped: outbox.schema).outbox WHERE sent_at IS NULL ORDER BY id LIMIT \(configuration.batchSize)
            """, logger: logger)
        var rows: [Row] = []
        for try await (id, topic, key, ceId, type, source, subject, time, dataSchema, tenant, authId, correlationId, causationId, traceParent, data, createdAt)
            in result.decode((Int64, String, String, String, String, String, String?, Date, String?, String?, String?, String?, String?, String?, ByteBuffer, Date).self) {
            var event = CloudEvent(id: ceId, source: source, type: type, time: time, subject: subject, dataSchema: dataSchema,
                                   tenant: tenant, authId: authId, correlationId: correlationId, causationId: causationId,
                                   traceParent: traceParent, data: Array(buffer: data))
            if let signer { event = signer.sign(event) }
            rows.append(Row(id: id, message: event.kafkaMessage(topic: topic, key: key), traceParent: traceParent, createdAt: createdAt))
        }
        guard !rows.isEmpty else {
            backlogGauge.record(0)
            oldestAgeGauge.record(0)
            return (0, 0)
        }
        let results = await send(rows)
        let acknowledged = Date()
        var sentIds: [Int64] = []
        for (index, row) in rows.enumerated() {
            if let error = results.errors[index] {
                logger.error("outbox record not published; it stays in the outbox", metadata: [
                    "schema": "\(outbox.schema)", "outbox_id": "\(row.id)", "topic": "\(row.message.topic)", "error": "\(error)",
                ])
            } else {
                sentIds.append(row.id)
                latencyTimer.recordNanoseconds(Int64(max(0, acknowledged.timeIntervalSince(row.createdAt)) * 1e9))
            }
        }
        if !sentIds.isEmpty {
            try await connection.query("UPDATE \(unescaped: outbox.schema).outbox SET sent_at = clock_timestamp() WHERE id = ANY(\(sentIds))", logger: logger)
        }
        let failed = rows.count - sentIds.count
        if rows.count < configuration.batchSize {
            backlogGauge.record(failed)
            let oldestFailed = rows.indices.filter { results.errors[$0] != nil }.map { rows[$0].createdAt }.min()
            oldestAgeGauge.record(oldestFailed.map { max(0, acknowledged.timeIntervalSince($0)) } ?? 0)
        } else {
            let backlog = try await connection.query("""
                SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at))::float8, 0)
                FROM \(unescaped: outbox.schema).outbox WHERE sent_at IS NULL
                """, logger: logger)
            for try await (count, age) in backlog.decode((Int64, Double).self) {
                backlogGauge.record(count)
                oldestAgeGauge.record(age)
            }
        }
        return (sentIds.count, failed)
    }

    /// Hands the batch to the producer within one producer span linked to each event's creation.
    private func send(_ rows: [Row]) async -> KafkaDeliveryResults {
        let topics = Set(rows.map(\.message.topic)).sorted().joined(separator: ",")
        return await withSpanWhenRecording("send \(topics)", context: .topLevel, ofKind: .producer) { span in
            if let span {
                span.attributes.setMessaging(.send, destination: topics)
                span.attributes[SpanAttributeName.messagingBatchCount] = rows.count
                for row in rows.lazy.filter({ $0.traceParent != nil }).prefix(Self.maxLinksPerBatch) {
                    span.addLink(SpanLink(context: TraceContext.context(continuing: row.traceParent), attributes: [:]))
                }
            }
            return await producer.send(rows.map(\.message))
        }
    }

    private func prune(on connection: PostgresConnection) async throws {
        try await connection.query("""
            DELETE FROM \(unescaped: outbox.schema).outbox
            WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => \(Double(configuration.sentRetention.components.seconds)))
            """, logger: logger)
    }
}
