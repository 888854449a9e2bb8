import Foundation
import MaestroAuditLog
import MaestroBus
import MaestroEvents
import MaestroKafka
import Metrics

/// The handler of the one consumer group over every recorded topic: each record is appended
/// with what its signature proves about its producer (``EventProvenance``), and each fetched batch is
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

    init(store: AuditLogStore) {
        self.store = store
    }

    /// A record without a time of its own is dated when its batch was first received, however
    /// often the append is retried.
    func handle(_ batch: ReceivedBatch) async throws {
        let ownKey = store.key.publicKey
        let records = batch.messages.indices.filter { !Self.isOwnCheckpoint(batch.messages[$0], key: ownKey) }.map { index in
            AuditRecord(batch.messages[index], provenance: batch.provenance.indices.contains(index) ? batch.provenance[index] : nil,
                        receivedAt: batch.receivedAt)
        }
        appended.increment(by: try await store.append(records))
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
