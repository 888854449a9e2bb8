import Foundation
import Logging
import MaestroBus
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import ServiceLifecycle
import Testing

@Suite("Transactional outbox, relay and inbox", .serialized, .timeLimit(.minutes(3)))
struct OutboxTests {
    let topic = Topic.registryEvents

    func event(_ key: String, _ sequence: Int) -> CloudEvent {
        CloudEvent(source: "/maestro/test", type: "io.maestro.test.thing.v1", subject: "models/\(key)", tenant: "acme",
                   data: Array("{\"key\":\"\(key)\",\"seq\":\(sequence)}".utf8))
    }

    /// A migrated schema, a runtime client, an in-process broker with the topic, and a producer.
    struct Fixture {
        let settings: PostgresSettings
        let client: PostgresClient
        let broker: DevBroker
        let producer: KafkaProducer
        let outbox: Outbox

        func relay() -> OutboxRelay {
            var configuration = OutboxRelay.Configuration()
            configuration.pollInterval = .milliseconds(200)
            configuration.maxRetryDelay = .seconds(1)
            return OutboxRelay(client: client, producer: producer, settings: settings, configuration: configuration, logger: TestDatabase.logger)
        }

        func unsent() async throws -> Int {
            try await client.integer("SELECT count(*)::int FROM \(unescaped: settings.schema).outbox WHERE sent_at IS NULL")
        }
    }

    func withFixture(deliveryTimeout: Duration = .seconds(60), _ body: (Fixture) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        let ownerClient = makeClient(try database.ownerSettings(schema: "registry"))
        try await withRunning(ownerClient) { client in
            let effects = Migration(version: 1, name: "0001_effects", sql: "CREATE TABLE effects (n int); GRANT SELECT, INSERT ON effects TO {{runtime_role}};")
            try await database.migrator(client, schema: "registry", migrations: [effects]).migrate()
        }
        let settings = try database.runtimeSettings(schema: "registry")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic.name: 6])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers, deliveryTimeout: deliveryTimeout)
        try await withRunning(makeClient(settings)) { client in
            try await body(Fixture(settings: settings, client: client, broker: broker, producer: producer, outbox: Outbox(settings: settings)))
        }
        await producer.close()
    }

    /// Runs the relay until `done` holds, then shuts it down gracefully.
    func relay(_ fixture: Fixture, until done: @escaping @Sendable () async throws -> Bool) async throws {
        let relay = fixture.relay()
        let group = ServiceGroup(services: [relay], logger: TestDatabase.logger)
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(90)
        while try await !done(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test("a committed transaction publishes each of its events exactly once; a rolled-back one publishes none")
    func commitAndRollback() async throws {
        try await withFixture { fixture in
            let committed = (0..<3).map { event("fraud", $0) }
            try await fixture.client.withTransaction(logger: TestDatabase.logger) { connection in
                for event in committed { try await fixture.outbox.enqueue(event, topic: topic, key: "fraud", on: connection, logger: TestDatabase.logger) }
            }
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await fixture.client.transaction(logger: TestDatabase.logger) { connection in
                    try await fixture.outbox.enqueue(event("ghost", 0), topic: topic, key: "ghost", on: connection, logger: TestDatabase.logger)
                    throw Rollback()
                }
            }
            try await relay(fixture) { try await fixture.unsent() == 0 }
            let received = try await KafkaTestSupport.consume(fixture.broker.bootstrapServers, topics: [topic.name], count: 4, timeout: .seconds(8))
            #expect(received.count == 3)
            let ids = received.compactMap { $0.headers.string("ce_id") }
            #expect(ids == committed.map(\.id))
            #expect(received.allSatisfy { $0.keyString == "fraud" })
            let parsed = try CloudEvent(kafkaMessage: try #require(received.first))
            #expect(parsed.tenant == "acme")
            #expect(parsed.subject == "models/fraud")
        }
    }

    @Test("relay stopped mid-stream and restarted: nothing is lost, a re-sent event keeps its ce_id, and the inbox makes it one effect")
    func crashLosesNothing() async throws {
        try await withFixture { fixture in
            let keyed = (0..<3000).map { ("key-\($0 % 30)", event("key-\($0 % 30)", $0 / 30)) }
            let events = keyed.map(\.1)
            try await fixture.client.withTransaction(logger: TestDatabase.logger) { connection in
                for (key, event) in keyed {
                    try await fixture.outbox.enqueue(event, topic: topic, key: key, on: connection, logger: TestDatabase.logger)
                }
            }
            // First run: stop as soon as anything was sent.
            try await relay(fixture) { try await fixture.unsent() < 3000 }
            // A crash between publishing and marking sent: the last rows are unsent again.
            try await fixture.client.query("UPDATE registry.outbox SET sent_at = NULL WHERE id IN (SELECT id FROM registry.outbox WHERE sent_at IS NOT NULL ORDER BY id DESC LIMIT 10)",
                                           logger: TestDatabase.logger)
            try await relay(fixture) { try await fixture.unsent() == 0 }

            let received = try await KafkaTestSupport.consume(fixture.broker.bootstrapServers, topics: [topic.name], count: 3010, timeout: .seconds(60))
            let ids = received.compactMap { $0.headers.string("ce_id") }
            #expect(Set(ids) == Set(events.map(\.id)), "events lost or invented")
            #expect(ids.count >= 3010, "the rows reset to unsent were published again")

            // Effectively once: every delivery through the inbox, one effect per event.
            let inbox = Inbox(settings: fixture.settings)
            var effects = 0
            for message in received {
                let event = try CloudEvent(kafkaMessage: message)
                if try await inbox.once(consumer: "test", event: event, client: fixture.client, logger: TestDatabase.logger, { _ in 1 }) != nil {
                    effects += 1
                }
            }
            #expect(effects == 3000)
        }
    }

    @Test("broker down for 10 s: the backlog drains afterwards, in order per key")
    func brokerOutage() async throws {
        try await withFixture { fixture in
            fixture.broker.setDown()
            let relay = fixture.relay()
            let group = ServiceGroup(services: [relay], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            for sequence in 0..<20 {
                try await fixture.client.withTransaction(logger: TestDatabase.logger) { connection in
                    for key in 0..<10 {
                        try await fixture.outbox.enqueue(event("key-\(key)", sequence), topic: topic, key: "key-\(key)", on: connection, logger: TestDatabase.logger)
                    }
                }
            }
            try await Task.sleep(for: .seconds(10))
            let stuck = try await fixture.unsent()
            #expect(stuck == 200, "nothing can be sent while the broker is down")
            fixture.broker.setUp()
            let deadline = ContinuousClock.now + .seconds(90)
            while try await fixture.unsent() > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            await group.triggerGracefulShutdown()
            try await running.value

            let received = try await KafkaTestSupport.consume(fixture.broker.bootstrapServers, topics: [topic.name], count: 200)
            var sequences: [String: [Int]] = [:]
            for message in received {
                let data = try JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any]
                sequences[message.keyString ?? "", default: []].append(data?["seq"] as? Int ?? -1)
            }
            #expect(sequences.count == 10)
            for (key, values) in sequences {
                #expect(values == Array(0..<20), "order broken for \(key)")
            }
        }
    }

    @Test("the same event twice through the inbox has one effect, also when the two race")
    func inboxDedupes() async throws {
        try await withFixture { fixture in
            let inbox = Inbox(settings: fixture.settings)
            let event = event("fraud", 1)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await inbox.once(consumer: "counter", event: event, client: fixture.client, logger: TestDatabase.logger) { connection in
                            try await connection.query("INSERT INTO registry.effects VALUES (1)", logger: TestDatabase.logger)
                        } != nil
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await fixture.client.integer("SELECT count(*)::int FROM registry.effects") == 1)
            let other = try await inbox.once(consumer: "another-consumer", event: event, client: fixture.client, logger: TestDatabase.logger) { _ in true }
            #expect(other == true, "the inbox is per consumer")
        }
    }
}
