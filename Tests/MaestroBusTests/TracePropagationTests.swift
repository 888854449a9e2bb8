import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroTestSupport
import MaestroTracing
import PostgresNIO
import ServiceLifecycle
import Testing
import Tracing

@Suite("Trace context through the outbox, the relay and a consumer", .serialized, .timeLimit(.minutes(3)))
struct TracePropagationTests {
    @Test("a relayed event carries the trace context current when its row was written, and its consumer continues that trace")
    func relayedEventCarriesItsWritersTrace() async throws {
        TestTracing.install()
        let database = try await TestDatabase.create()
        try await withRunning(makeClient(try database.ownerSettings(schema: "registry"))) { client in
            try await database.migrator(client, schema: "registry", migrations: []).migrate()
        }
        let settings = try database.runtimeSettings(schema: "registry")
        let topic = Topic.registryEvents
        let broker = try KafkaTestSupport.makeBroker(topics: [topic.name: 3])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let caller = Caller(tenant: "acme", subject: "ana")

        try await withRunning(makeClient(settings)) { client in
            let events = ServiceDatabase<RegistryEvent>(client: client, settings: settings, logger: TestDatabase.logger)
            let payload = RegistryEvent.ModelCreated(modelName: "fraud", tags: [:], createdBy: "ana", createdAt: Date())
            // The writer's trace: a request span around the transaction that emits.
            let writer = try await withSpan("POST /v1/models") { span in
                try await events.transaction(caller) { transaction in
                    try await transaction.emit(payload, key: "fraud", subject: "models/fraud")
                }
                return TraceContext.traceParent(of: span.context)
            }
            // Emitted with no trace current: the event starts a trace of its own.
            try await events.transaction(caller) { transaction in
                try await transaction.emit(payload, key: "other", subject: "models/other")
            }

            var configuration = OutboxRelay.Configuration()
            configuration.pollInterval = .milliseconds(100)
            let group = ServiceGroup(services: [OutboxRelay(client: client, producer: producer, settings: settings, configuration: configuration,
                                                            logger: TestDatabase.logger)], logger: TestDatabase.logger)
            let relaying = Task { try await group.run() }

            let handled = Collector<(event: CloudEvent, current: String?)>()
            let consumer = try EventConsumer(configuration: EventConsumerConfiguration(name: KafkaTestSupport.uniqueName("traced"), topics: [topic],
                                                                                       bootstrapServers: broker.bootstrapServers),
                                             producer: producer, logger: TestDatabase.logger) { event, _ in
                handled.append((event, TraceContext.current))
            }
            let consuming = ServiceGroup(services: [consumer], logger: TestDatabase.logger)
            let running = Task { try await consuming.run() }
            try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.count >= 2 }
            await consuming.triggerGracefulShutdown()
            try await running.value
            await group.triggerGracefulShutdown()
            try await relaying.value

            let writerTrace = try #require(TestTracing.traceID(writer))
            let traced = try #require(handled.values.first { $0.event.subject == "models/fraud" })
            // The event's context is its own create span, inside the writer's trace.
            #expect(TestTracing.traceID(traced.event.traceParent) == writerTrace)
            #expect(TestTracing.spanID(traced.event.traceParent) != TestTracing.spanID(writer))
            // The handler runs in a consumer span of the same trace, a child of the event's span.
            #expect(TestTracing.traceID(traced.current) == writerTrace)
            #expect(TestTracing.spanID(traced.current) != TestTracing.spanID(traced.event.traceParent))

            let untraced = try #require(handled.values.first { $0.event.subject == "models/other" })
            let ownTrace = try #require(TestTracing.traceID(untraced.event.traceParent))
            #expect(ownTrace != writerTrace)
            #expect(TestTracing.traceID(untraced.current) == ownTrace)
        }
        await producer.close()
    }
}
