import Foundation
import MaestroAuditLog
import MaestroEvents
import MaestroKafka
import Metrics
import Synchronization

/// The handler of the one consumer group over every recorded topic: each fetched batch is
/// appended in one transaction. The kit's consumer retries a failed batch (database down) with
/// backoff and stores the batch's offsets only after it is appended, so every record is
/// appended, and (with the inbox) only once.
///
/// The log's own signed checkpoints (their signature checked), which come back on
/// `maestro.audit.events`, are not appended again: they are already stored and exported with
/// the log, and appending them would make every checkpoint grow the log and call for another.
struct AuditIngest: Sendable {
    let store: AuditLogStore
    private let appended = Counter(label: "maestro_audit_entries_appended_total")
    private let batch = BatchInHand()

    init(store: AuditLogStore) {
        self.store = store
    }

    func handle(_ messages: [KafkaConsumerMessage]) async throws {
        let records = batch.records(of: messages) {
            let ownKey = store.key.publicKey
            return messages.filter { !Self.isOwnCheckpoint($0, key: ownKey) }.map { AuditRecord($0) }
        }
        appended.increment(by: try await store.append(records))
        batch.release()
    }

    /// A checkpoint this service signed: headers alone could be forged by anyone who can
    /// publish to the topic, so the payload's signature must verify under the service's key.
    static func isOwnCheckpoint(_ message: KafkaConsumerMessage, key: AuditPublicKey) -> Bool {
        guard message.topic == Topic.auditEvents.name,
              message.headers.string("ce_type") == AuditEvent.CheckpointSigned.eventType.name,
              message.headers.string("ce_source") == AuditEvent.source,
              let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(message.value)) else { return false }
        return checkpoint.isSigned(by: key)
    }
}

/// The records made of the batch in hand, kept while the batch is retried, so a record without
/// a time of its own is dated when it was first received, not when an append finally succeeded.
private final class BatchInHand: Sendable {
    private struct Position: Hashable {
        let topic: String
        let partition: Int32
        let offset: Int64
    }

    private let held = Mutex<(positions: [Position], records: [AuditRecord])?>(nil)

    /// The records of `messages`: those made for the same batch before, or new ones from `make`.
    func records(of messages: [KafkaConsumerMessage], _ make: () -> [AuditRecord]) -> [AuditRecord] {
        let positions = messages.map { Position(topic: $0.topic, partition: $0.partition, offset: $0.offset) }
        if let kept = held.withLock({ $0 }), kept.positions == positions { return kept.records }
        let records = make()
        held.withLock { $0 = (positions, records) }
        return records
    }

    /// Forgets the batch once it is appended.
    func release() {
        held.withLock { $0 = nil }
    }
}
