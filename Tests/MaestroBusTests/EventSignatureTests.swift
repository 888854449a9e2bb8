import Foundation
import MaestroBus
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Signed events: who produced an event, proven", .serialized, .timeLimit(.minutes(3)))
struct EventSignatureTests {
    static func decision(source: String = "/maestro/governance") -> CloudEvent {
        CloudEvent(source: source, type: "io.maestro.test.decision.v1", subject: "models/fraud/aliases/champion", tenant: "acme",
                   authId: "alice", correlationId: "c-1", causationId: "e-0", traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                   data: Array(#"{"approval_id":"a-1"}"#.utf8))
    }

    @Test("a signed event verifies as its service's, on that service's topic; the signature is a detached EdDSA JWS")
    func verified() async throws {
        let event = TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance)
        let signature = try #require(event.signature)
        let parts = signature.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts[1].isEmpty)
        #expect(String(decoding: try #require(Data(base64URL: String(parts[0]))), as: UTF8.self) == #"{"alg":"EdDSA","kid":"\#(TestEventKeys.governance.keyID)"}"#)
        let provenance = try await TestEventKeys.verifier().provenance(of: event, topic: Topic.governanceEvents.name)
        #expect(provenance == .verified(service: "governance", keyID: TestEventKeys.governance.keyID))
        // Trace context is not signed: instrumentation may rewrite it.
        var retraced = event
        retraced.traceParent = "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        #expect(try await TestEventKeys.verifier().provenance(of: retraced, topic: Topic.governanceEvents.name).service == "governance")
    }

    @Test("changing any signed attribute or the data breaks the signature")
    func tampering() async throws {
        let signed = TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance)
        let edits: [(String, (inout CloudEvent) -> Void)] = [
            ("id", { $0.id = "other" }), ("type", { $0.type = "io.maestro.governance.approval.rejected.v1" }), ("subject", { $0.subject = "models/x" }),
            ("tenant", { $0.tenant = "beta" }), ("authid", { $0.authId = "mallory" }), ("correlationid", { $0.correlationId = nil }),
            ("causationid", { $0.causationId = "e-9" }), ("time", { $0.time = Date(timeIntervalSince1970: 0) }), ("dataschema", { $0.dataSchema = "x" }),
            ("data", { $0.data = Array(#"{"approval_id":"a-2"}"#.utf8) }),
        ]
        let verifier = TestEventKeys.verifier()
        for (attribute, edit) in edits {
            var edited = signed
            edit(&edited)
            let provenance = try await verifier.provenance(of: edited, topic: Topic.governanceEvents.name)
            #expect(provenance.status == "invalid", "editing \(attribute) still verifies")
        }
    }

    @Test("unsigned, unknown-key, wrong-producer, wrong-source and malformed signatures do not verify, each with its reason")
    func refusals() async throws {
        let verifier = TestEventKeys.verifier()
        let topic = Topic.governanceEvents.name
        #expect(try await verifier.provenance(of: Self.decision(), topic: topic) == .unsigned)
        let stranger = TestEventKeys.signed(Self.decision(), by: EventSigningKey())
        #expect(try await verifier.provenance(of: stranger, topic: topic).problem?.contains("is not in governance's event key set") == true)
        let registrySigned = TestEventKeys.signed(Self.decision(), by: TestEventKeys.registry)
        #expect(try await verifier.provenance(of: registrySigned, topic: topic).problem
                == "registry signed the event, but maestro.governance.events belongs to governance")
        // The right key on an ingest topic: outside producers' topics belong to no service.
        let governanceSigned = TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance)
        #expect(try await verifier.provenance(of: governanceSigned, topic: Topic.ingestUsage.name).status == "invalid")
        let wrongSource = TestEventKeys.signed(Self.decision(source: "/maestro/cli"), by: TestEventKeys.governance)
        #expect(try await verifier.provenance(of: wrongSource, topic: topic).problem == "the event's source /maestro/cli is not governance's")
        for garbage in ["", "a.b.c", "eyJhbGciOiJub25lIn0..AAAA", String(repeating: "x", count: 5000)] {
            var event = Self.decision()
            event.signature = garbage
            #expect(try await verifier.provenance(of: event, topic: topic).status == "invalid", "\(garbage.prefix(20))")
        }
    }

    @Test("an unreachable key set is an error to retry, not a verdict; once loaded, a failed reload keeps the keys")
    func unreachableKeySet() async throws {
        let reachable = Atomic<Bool>(false)
        let verifier = EventVerifier(source: {
            guard reachable.load(ordering: .relaxed) else { throw CancellationError() }
            return try JSONEncoder().encode(TestEventKeys.keySet)
        }, minimumRefreshInterval: .zero, logger: KafkaTestSupport.logger)
        let event = TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance)
        await #expect(throws: EventKeySetUnavailable.self) { try await verifier.provenance(of: event, topic: Topic.governanceEvents.name) }
        reachable.store(true, ordering: .relaxed)
        #expect(try await verifier.provenance(of: event, topic: Topic.governanceEvents.name).service == "governance")
        reachable.store(false, ordering: .relaxed)
        // An unknown key reloads (and fails); the known keys still verify.
        _ = try await verifier.provenance(of: TestEventKeys.signed(Self.decision(), by: EventSigningKey()), topic: Topic.governanceEvents.name)
        #expect(try await verifier.provenance(of: event, topic: Topic.governanceEvents.name).service == "governance")
    }

    @Test("a verifying consumer sends forged, unsigned and altered decisions to maestro.dlq with the reason, and handles the genuine one")
    func consumerRefusesForgeries() async throws {
        let topic = Topic.governanceEvents.name
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1, Topic.deadLetters.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let producing = Task { try await producer.run() }
        defer { producing.cancel() }
        var altered = TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance)
        altered.authId = "mallory"
        let records = [
            Self.decision().kafkaMessage(topic: topic, key: "unsigned"),
            TestEventKeys.signed(Self.decision(), by: TestEventKeys.registry).kafkaMessage(topic: topic, key: "wrong-producer"),
            altered.kafkaMessage(topic: topic, key: "altered"),
            TestEventKeys.signed(Self.decision(), by: TestEventKeys.governance).kafkaMessage(topic: topic, key: "genuine"),
        ]
        #expect(await producer.send(records).allSatisfy { (try? $0.get()) != nil })
        let handled = Collector<String>()
        let name = KafkaTestSupport.uniqueName("verifying")
        var configuration = EventConsumerConfiguration(name: name, topics: [], bootstrapServers: broker.bootstrapServers)
        configuration.kafka = KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: name, topics: [topic])
        let consumer = try EventConsumer(configuration: configuration, producer: producer, verifier: TestEventKeys.verifier(),
                                         logger: KafkaTestSupport.logger) { event, message in handled.append(message.keyString ?? "") }
        let task = Task { try await consumer.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.values.contains("genuine") }
        consumer.triggerShutdown()
        try await task.value
        #expect(handled.values == ["genuine"])
        let dead = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [Topic.deadLetters.name], count: 3)
        #expect(dead.map(\.keyString) == ["unsigned", "wrong-producer", "altered"])
        let errors = dead.compactMap { $0.headers.string("maestro_error") }
        #expect(errors == [
            "producer not verified: the event is not signed",
            "producer not verified: registry signed the event, but maestro.governance.events belongs to governance",
            "producer not verified: the signature does not match the event (key \(TestEventKeys.governance.keyID) of governance)",
        ])
    }

    @Test("the relay signs what it publishes, and holds everything until the signer's key is registered")
    func relaySignsAfterRegistration() async throws {
        let database = try await TestDatabase.create()
        let ownerClient = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(ownerClient) { client in try await database.migrator(client, schema: "registry", migrations: []).migrate() }
        let settings = try database.runtimeSettings(schema: "registry")
        let broker = try KafkaTestSupport.makeBroker(topics: [Topic.registryEvents.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let signer = EventSigner(key: TestEventKeys.registry, registered: false)
        try await withRunning(makeClient(settings)) { client in
            let event = CloudEvent(source: "/maestro/registry", type: "io.maestro.test.thing.v1", subject: "models/fraud", tenant: "acme", data: Array("{}".utf8))
            try await client.withTransaction(logger: TestDatabase.logger) { connection in
                try await Outbox(settings: settings).enqueue(event, topic: .registryEvents, key: "fraud", on: connection, logger: TestDatabase.logger)
            }
            var configuration = OutboxRelay.Configuration()
            configuration.pollInterval = .milliseconds(100)
            let group = ServiceGroup(services: [OutboxRelay(client: client, producer: producer, settings: settings, signer: signer, configuration: configuration,
                                                            logger: TestDatabase.logger)], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            try await Task.sleep(for: .seconds(2))
            #expect(try await client.integer("SELECT count(*)::int FROM registry.outbox WHERE sent_at IS NULL") == 1, "published before the key was registered")
            signer.markRegistered()
            let received = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [Topic.registryEvents.name], count: 1, timeout: .seconds(30))
            await group.triggerGracefulShutdown()
            try await running.value
            let published = try CloudEvent(kafkaMessage: try #require(received.first))
            #expect(published.id == event.id)
            #expect(try await TestEventKeys.verifier().provenance(of: published, topic: Topic.registryEvents.name)
                    == .verified(service: "registry", keyID: TestEventKeys.registry.keyID))
        }
        await producer.close()
    }
}
