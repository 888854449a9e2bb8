import Foundation
import MaestroAuditLog
import MaestroBus
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroKafka
import MaestroService
import MaestroTestSupport
import Testing
@testable import Audit

/// The ingest consumer against a real Kafka protocol endpoint (an in-process mock cluster with
/// its own topics, so the pattern subscription sees only this test's records).
@Suite("Ingesting every maestro topic", .serialized, .timeLimit(.minutes(3)))
struct IngestTests {
    static let topics: [String: Int32] = ["maestro.registry.events": 1, "maestro.ingest.usage": 1, "maestro.dlq": 1]

    @Test("every record is appended once, across redelivery, a consumer restart and a full replay by a new group")
    func exactlyOnceAcrossRestarts() async throws {
        let broker = try KafkaTestSupport.makeBroker(topics: Self.topics)
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let producing = Task { try await producer.run() }
        defer { producing.cancel() }
        try await AuditHarness.with { harness in
            let group = KafkaTestSupport.uniqueName("audit")
            let events = (0..<30).map { index in
                TestEventKeys.signed(CloudEvent(source: "/maestro/registry", type: "io.maestro.registry.model.created.v1", subject: "models/m\(index)",
                                                tenant: "acme", data: Array(#"{"name":"m\#(index)"}"#.utf8)), by: TestEventKeys.registry)
            }
            for event in events { _ = try await producer.send(event.kafkaMessage(topic: "maestro.registry.events", key: event.subject!)) }
            _ = try await producer.send(KafkaProducerMessage(topic: "maestro.ingest.usage", key: "gpu-1", value: Array("garbage 1".utf8)))
            try await ingest(harness, producer: producer, from: broker.bootstrapServers, group: group, until: { try await sizes(harness) == (30, 1) })
            #expect(try await sizes(harness) == (30, 1))

            // A relay publishes the same events again (same ids, new offsets); new records arrive; the consumer restarts with its group.
            for event in events.prefix(10) { _ = try await producer.send(event.kafkaMessage(topic: "maestro.registry.events", key: event.subject!)) }
            let later = CloudEvent(source: "/maestro/registry", type: "io.maestro.registry.model.deleted.v1", subject: "models/m1", tenant: "acme",
                                   data: Array(#"{"name":"m1"}"#.utf8))
            _ = try await producer.send(later.kafkaMessage(topic: "maestro.registry.events", key: "models/m1"))
            _ = try await producer.send(KafkaProducerMessage(topic: "maestro.ingest.usage", key: "gpu-1", value: Array("garbage 2".utf8)))
            try await ingest(harness, producer: producer, from: broker.bootstrapServers, group: group, until: { try await sizes(harness) == (31, 2) })
            #expect(try await sizes(harness) == (31, 2))

            // A new group replays every topic from the start; a sentinel last on each partition shows it read them all.
            // Signed, but by governance's key: not the registry topic's producer.
            let sentinel = TestEventKeys.signed(CloudEvent(source: "/maestro/registry", type: "io.maestro.registry.model.created.v1", subject: "models/sentinel",
                                                           tenant: "acme", data: Array(#"{"name":"sentinel"}"#.utf8)), by: TestEventKeys.governance)
            _ = try await producer.send(sentinel.kafkaMessage(topic: "maestro.registry.events", key: "models/sentinel"))
            _ = try await producer.send(KafkaProducerMessage(topic: "maestro.ingest.usage", key: "gpu-1", value: Array("garbage 3".utf8)))
            try await ingest(harness, producer: producer, from: broker.bootstrapServers, group: KafkaTestSupport.uniqueName("audit-replay"), until: { try await sizes(harness) == (32, 3) })
            #expect(try await sizes(harness) == (32, 3))
            let types = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100).map(\.eventType)
            #expect(types.filter { $0 == "io.maestro.registry.model.created.v1" }.count == 31)

            // Each entry records what its signature proves, in its columns and in its hashed bytes.
            let entries = try await harness.store.entries(tenant: "acme", filter: EntryFilter(), after: nil, limit: 100)
            let verdicts = Dictionary(grouping: entries) { "\($0.provenance ?? "-")/\($0.producer ?? "-")" }.mapValues(\.count)
            #expect(verdicts == ["verified/registry": 30, "unsigned/-": 1, "invalid/-": 1])
            let sentinelEntry = try #require(entries.first { $0.subject == "models/sentinel" })
            #expect(sentinelEntry.entry.contains(#""provenance":{"problem":"governance signed the event, but maestro.registry.events belongs to registry","status":"invalid"}"#))
            #expect(entries.first!.entry.contains(#""provenance":{"key_id":"\#(TestEventKeys.registry.keyID)","service":"registry","status":"verified"}"#))
        }
    }

    @Test("the service's own checkpoints are not appended again; its other events are")
    func ownCheckpointsSkipped() async throws {
        let key = AuditSigningKey()
        func message(_ signed: Checkpoint, source: String = AuditEvent.source) throws -> KafkaConsumerMessage {
            let payload = AuditEvent.CheckpointSigned(logID: signed.logID, treeSize: signed.treeSize, rootHash: Hex.encode(signed.rootHash),
                                                      signature: Data(signed.signature).base64EncodedString(), keyID: signed.keyID, signedAt: signed.time)
            let event = try CloudEvent(source: AuditEvent.source, subject: "logs/acme/checkpoints/1", tenant: "acme", payload: payload)
            let relabelled = CloudEvent(id: event.id, source: source, type: event.type, subject: event.subject, tenant: "acme", data: event.data)
            return KafkaConsumerMessage(topic: Topic.auditEvents.name, partition: 0, offset: 1, key: nil, value: relabelled.data,
                                        headers: relabelled.kafkaMessage(topic: Topic.auditEvents.name, key: "acme").headers, timestamp: nil)
        }
        let signed = try Checkpoint.sign(logID: "acme", treeSize: 1, rootHash: RFC6962.leafHash([1]), time: Date(), key: key)
        #expect(AuditIngest.isOwnCheckpoint(try message(signed), key: key.publicKey))
        // Another source, another key's signature, or a forged one: appended like any other record.
        #expect(!AuditIngest.isOwnCheckpoint(try message(signed, source: "/somebody/else"), key: key.publicKey))
        #expect(!AuditIngest.isOwnCheckpoint(try message(signed), key: AuditSigningKey().publicKey))
        var forged = signed
        forged.treeSize = 2
        #expect(!AuditIngest.isOwnCheckpoint(try message(forged), key: key.publicKey))
    }

    /// Sizes of the acme log and the system log.
    private func sizes(_ harness: AuditHarness) async throws -> (Int, Int) {
        (try await harness.store.signedHead(of: "acme").treeSize, try await harness.store.signedHead(of: AuditRecord.systemLog).treeSize)
    }

    /// Runs the service's declared ingest consumer, as the kit runs it, on `bootstrapServers`
    /// with consumer group `group`, until `done` holds (or 60 s pass), then stops it.
    private func ingest(_ harness: AuditHarness, producer: KafkaProducer, from bootstrapServers: String, group: String,
                        until done: () async throws -> Bool) async throws {
        let declaration = try #require(harness.service.consumers.first)
        #expect(harness.service.consumers.map(\.name) == [AuditLogStore.consumerName])
        var configuration = harness.base.kit.configuration
        configuration.kafkaBrokers = bootstrapServers
        configuration.consumerGroupPrefix = group + "."
        // The mock cluster lets a restarted member rejoin only after the old one's session expires (45 s by default).
        let ingest = try declaration.consumer(configuration: configuration, producer: producer, verifier: TestEventKeys.verifier(), logger: AuditHarness.logger,
                                              overriding: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
        let task = Task { try await ingest.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !done(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        try await task.value
    }
}
