import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroRedis
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Testing

/// The kit's own metrics, recorded by its real components against PostgreSQL, Redis and the
/// embedded broker, and read back from the registry `/metrics` serves.
@Suite("Kit metrics from the real components", .serialized, .timeLimit(.minutes(3)))
struct KitMetricsTests {
    /// The value of the one sample whose line starts with `series`, if any.
    static func sample(_ series: String) -> Double? {
        ServiceMetrics.registry.emitToString().split(separator: "\n")
            .first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("dead letters are counted by reason, and the consumer group's lag per partition is reported")
    func deadLettersByReasonAndLag() async throws {
        ServiceMetrics.bootstrap()
        let topic = KafkaTestSupport.uniqueName("metered")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1, Topic.deadLetters.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        func event(_ type: String, _ data: String) -> KafkaProducerMessage {
            CloudEvent(source: "/maestro/test", type: type, subject: "things/a", tenant: "acme", data: Array(data.utf8)).kafkaMessage(topic: topic, key: "k")
        }
        let records = [
            KafkaProducerMessage(topic: topic, key: "k", value: Array("garbage".utf8)),
            event("io.maestro.registry.model.created.v1", #"{"unexpected":true}"#),
            event("io.maestro.test.reject.v1", "{}"),
            event("io.maestro.test.ok.v1", "{}"),
        ]
        #expect(await producer.send(records).allSatisfy { (try? $0.get()) != nil })
        let name = KafkaTestSupport.uniqueName("metered")
        var configuration = EventConsumerConfiguration(name: name, topics: [], bootstrapServers: broker.bootstrapServers)
        configuration.kafka = KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: name, topics: [topic])
        let handled = Collector<String>()
        let consumer = try EventConsumer(configuration: configuration, producer: producer, logger: KafkaTestSupport.logger) { event, _ in
            if event.type == "io.maestro.test.reject.v1" { throw EventRejection("rejected for good") }
            handled.append(event.type)
        }
        let task = Task { try await consumer.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.count == 1 }
        consumer.triggerShutdown()
        try await task.value
        await producer.close()

        let dead = #"maestro_dlq_records_total{consumer="\#(name)",topic="\#(topic)",reason="#
        #expect(Self.sample(dead + #""not_cloudevent"}"#) == 1)
        #expect(Self.sample(dead + #""schema_violation"}"#) == 1)
        #expect(Self.sample(dead + #""rejected"}"#) == 1)
        #expect(Self.sample(#"maestro_consumer_lag{group="\#(name)",topic="\#(topic)",partition="0"}"#) == 0)
    }

    @Test("the outbox backlog and its oldest age drain to 0, publish latency is timed, and pool use and inbox size are reported")
    func outboxInboxAndPools() async throws {
        ServiceMetrics.bootstrap()
        let schema = "kitmetrics"
        let database = try await TestDatabase.create()
        try await withRunning(makeClient(try database.ownerSettings(schema: schema))) { client in
            try await database.migrator(client, schema: schema, migrations: []).migrate()
        }
        let settings = try database.runtimeSettings(schema: schema)
        let broker = try KafkaTestSupport.makeBroker(topics: [Topic.registryEvents.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        try await withRunning(makeClient(settings)) { client in
            let events = ServiceDatabase<RegistryEvent>(client: client, settings: settings, logger: TestDatabase.logger)
            #expect(Self.sample(#"maestro_postgres_connections_max{schema="kitmetrics"}"#) == Double(settings.clientConfiguration.options.maximumConnections))
            for index in 0..<3 {
                try await events.transaction(Caller(tenant: "acme", subject: "ana")) { transaction in
                    try await transaction.emit(RegistryEvent.ModelCreated(modelName: "m\(index)", tags: [:], createdBy: "ana", createdAt: Date()),
                                               key: "m\(index)", subject: "models/m\(index)")
                }
            }
            #expect(Self.sample(#"maestro_postgres_connections_in_use{schema="kitmetrics"}"#) == 0, "every transaction gave its connection back")

            var relayConfiguration = OutboxRelay.Configuration()
            relayConfiguration.pollInterval = .milliseconds(100)
            let relay = ServiceGroup(services: [OutboxRelay(client: client, producer: producer, settings: settings, configuration: relayConfiguration,
                                                            logger: TestDatabase.logger)], logger: TestDatabase.logger)
            let running = Task { try await relay.run() }
            try await KafkaTestSupport.waitUntil(timeout: .seconds(30)) {
                Self.sample(#"maestro_outbox_publish_latency_seconds_count{schema="kitmetrics"}"#) == 3
            }
            await relay.triggerGracefulShutdown()
            try await running.value
            #expect(Self.sample(#"maestro_outbox_backlog{schema="kitmetrics"}"#) == 0)
            #expect(Self.sample(#"maestro_outbox_oldest_unsent_age_seconds{schema="kitmetrics"}"#) == 0)

            try await client.query("ANALYZE \(unescaped: schema).inbox", logger: TestDatabase.logger)
            await InboxSizeReporter(client: client, settings: settings, logger: TestDatabase.logger).report()
            #expect(Self.sample(#"maestro_inbox_records{schema="kitmetrics"}"#) != nil)
        }
        await producer.close()

        let redis = RedisClient(configuration: try RedisConfiguration(url: try RedisTestSupport.configuredURL(), poolSize: 3), logger: TestDatabase.logger)
        _ = try await redis.send(["PING"])
        // One pool per service process; here other tests' pools share the series, so only their presence is certain.
        #expect((Self.sample("maestro_redis_pool_connections") ?? 0) > 0)
        #expect((Self.sample("maestro_redis_calls_in_flight") ?? -1) >= 0)
        await redis.close()
    }
}
