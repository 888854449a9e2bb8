import Foundation
import Logging
import MaestroAuditLog
import MaestroEvents
import MaestroKafka
import Metrics
import ServiceLifecycle

/// The one consumer group over every recorded topic. Each fetched batch is appended in one
/// transaction; a failed append (database down) is retried with backoff and the batch's
/// offsets are stored only after it commits, so every record is appended, and only once.
///
/// The log's own signed checkpoints (their signature checked), which come back on
/// `maestro.audit.events`, are not appended again: they are already stored and exported with the log, and appending them
/// would make every checkpoint grow the log and call for another.
final class AuditIngest: Service, Sendable {
    private let consumer: KafkaConsumer
    private let stopping: StopFlag

    /// - Parameter kafkaProperties: further librdkafka settings for the consumer.
    init(name: String, topicPattern: String, bootstrapServers: String, store: AuditLogStore, logger: Logger,
         kafkaProperties: [String: String] = [:]) throws(KafkaError) {
        let stopping = StopFlag()
        let retry = RetryPolicy(initial: .milliseconds(100), max: .seconds(30), stopping: stopping)
        var logger = logger
        logger[metadataKey: "consumer"] = "\(name)"
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupId: name, topics: [topicPattern], clientId: name, maxBatchSize: 1000,
            // New topics matching the pattern are picked up within seconds, not the default five
            // minutes; an idle fetch returns after 100 ms, not 500, so a quiet topic's record is
            // appended promptly.
            properties: ["topic.metadata.refresh.interval.ms": "5000", "fetch.wait.max.ms": "100"].merging(kafkaProperties) { _, given in given })
        let appended = Counter(label: "maestro_audit_entries_appended_total")
        self.stopping = stopping
        self.consumer = try KafkaConsumer.batched(configuration: configuration, logger: logger) { [logger] messages in
            let ownKey = store.key.publicKey
            let records = messages.filter { !AuditIngest.isOwnCheckpoint($0, key: ownKey) }.map { AuditRecord($0) }
            try await retry.untilDone(logger: logger) {
                appended.increment(by: try await store.append(records))
            }
        }
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await consumer.run()
        } onGracefulShutdown: {
            self.stopping.set()
        }
    }

    /// A checkpoint this service signed: headers alone could be forged by anyone who can
    /// publish to the topic, so the payload's signature must verify under the service's key.
    static func isOwnCheckpoint(_ message: KafkaConsumerMessage, key: AuditPublicKey) -> Bool {
        guard message.topic == Topic.auditEvents.name,
              message.headers.string("ce_type") == AuditEvent.CheckpointSigned.eventType.name,
              message.headers.string("ce_source") == AuditLogStore.source,
              let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(message.value)) else { return false }
        return checkpoint.isSigned(by: key)
    }
}
