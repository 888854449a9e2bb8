import Foundation
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroTestSupport
import Synchronization
import Testing

@Suite("The consumer pipeline: dead letters and transient retries", .serialized, .timeLimit(.minutes(3)))
struct EventConsumerTests {
    struct Transient: Error {}

    static func event(_ type: String, data: String, subject: String = "things/a") -> CloudEvent {
        CloudEvent(source: "/maestro/test", type: type, subject: subject, tenant: "acme", data: Array(data.utf8))
    }

    static func consumer(_ broker: DevBroker, topic: String, producer: KafkaProducer, name: String,
                         handler: @escaping EventConsumer.Handler) throws -> EventConsumer {
        var configuration = EventConsumerConfiguration(name: name, topics: [], bootstrapServers: broker.bootstrapServers,
                                                       initialRetryDelay: .milliseconds(50), maxRetryDelay: .milliseconds(400))
        configuration.kafka = KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: name, topics: [topic])
        return try EventConsumer(configuration: configuration, producer: producer, logger: KafkaTestSupport.logger, handler: handler)
    }

    @Test("poison records go to maestro.dlq with the error headers, and later records are still handled")
    func poisonToDeadLetters() async throws {
        let topic = KafkaTestSupport.uniqueName("poison")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1, Topic.deadLetters.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let notJSON = Self.event("io.maestro.test.thing.v1", data: "{}").kafkaMessage(topic: topic, key: "b")
        let records = [
            KafkaProducerMessage(topic: topic, key: "a", value: Array("garbage".utf8)),
            KafkaProducerMessage(topic: topic, key: "b", value: Array("{not json".utf8), headers: notJSON.headers),
            Self.event("io.maestro.registry.model.created.v1", data: #"{"unexpected":true}"#).kafkaMessage(topic: topic, key: "c"),
            Self.event("io.maestro.test.reject.v1", data: "{}").kafkaMessage(topic: topic, key: "d"),
            Self.event("io.maestro.test.refuse.v1", data: "{}").kafkaMessage(topic: topic, key: "e"),
            Self.event("io.maestro.test.ok.v1", data: #"{"n":1}"#).kafkaMessage(topic: topic, key: "f"),
        ]
        #expect(await producer.send(records).allSatisfy { (try? $0.get()) != nil })

        let handled = Collector<String>()
        let name = KafkaTestSupport.uniqueName("pipeline")
        let consumer = try Self.consumer(broker, topic: topic, producer: producer, name: name) { event, _ in
            handled.append(event.type)
            if event.type == "io.maestro.test.reject.v1" { throw EventRejection("rejected for good") }
            if event.type == "io.maestro.test.refuse.v1" { throw UnknownSubject() }
        }
        let task = Task { try await consumer.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.values.contains("io.maestro.test.ok.v1") }
        consumer.triggerShutdown()
        try await task.value
        #expect(handled.values == ["io.maestro.test.reject.v1", "io.maestro.test.refuse.v1", "io.maestro.test.ok.v1"])

        let dead = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [Topic.deadLetters.name], count: 5)
        #expect(dead.map(\.keyString) == ["a", "b", "c", "d", "e"])
        #expect(dead.map { $0.headers.string("maestro_original_offset") } == ["0", "1", "2", "3", "4"])
        for record in dead {
            #expect(record.headers.string("maestro_consumer") == name)
            #expect(record.headers.string("maestro_original_topic") == topic)
            #expect(record.headers.string("maestro_original_partition") == "0")
        }
        let errors = dead.compactMap { $0.headers.string("maestro_error") }
        #expect(errors.count == 5)
        #expect(errors[0].contains("not a CloudEvent"))
        #expect(errors[1].contains("not valid JSON"))
        #expect(errors[2].contains("schema"))
        #expect(errors[3] == "rejected for good")
        #expect(errors[4] == "the subject is unknown here")
        #expect(dead[1].value == Array("{not json".utf8), "the original value is kept")
        await producer.close()
    }

    @Test("a transient failure is retried with backoff, never skipped, and nothing after it is committed meanwhile")
    func transientRetries() async throws {
        let topic = KafkaTestSupport.uniqueName("transient")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1, Topic.deadLetters.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let records = (0..<5).map { Self.event("io.maestro.test.ok.v1", data: "{\"n\":\($0)}").kafkaMessage(topic: topic, key: "k") }
        #expect(await producer.send(records).allSatisfy { (try? $0.get()) != nil })

        let attempts = Collector<Int64>()
        let handled = Collector<Int64>()
        let healthy = Atomic<Bool>(false)
        let name = KafkaTestSupport.uniqueName("retry")
        let consumer = try Self.consumer(broker, topic: topic, producer: producer, name: name) { _, message in
            attempts.append(message.offset)
            if message.offset == 2 && !healthy.load(ordering: .relaxed) { throw Transient() }
            handled.append(message.offset)
        }
        let task = Task { try await consumer.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { attempts.values.filter { $0 == 2 }.count >= 4 }
        try await Task.sleep(for: .milliseconds(1500))  // past the auto-commit interval
        let admin = KafkaAdmin(bootstrapServers: broker.bootstrapServers, logger: KafkaTestSupport.logger)
        let committedWhileFailing = try await admin.committedOffsets(groupId: name, topic: topic, partitions: 1)
        #expect(committedWhileFailing[0] ?? 0 <= 2)
        #expect(handled.values == [0, 1])

        healthy.store(true, ordering: .relaxed)
        try await KafkaTestSupport.waitUntil(timeout: .seconds(30)) { handled.count >= 5 }
        consumer.triggerShutdown()
        try await task.value
        #expect(handled.values == [0, 1, 2, 3, 4])
        #expect(try await admin.committedOffsets(groupId: name, topic: topic, partitions: 1) == [0: 5])
        let dead = try await admin.topics()
        #expect(dead[Topic.deadLetters.name] != nil)
        await producer.close()
    }

    @Test("stopping during retries leaves the record uncommitted, so a restart handles it")
    func stopDuringRetry() async throws {
        let topic = KafkaTestSupport.uniqueName("stop")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1, Topic.deadLetters.name: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        _ = try await producer.send(Self.event("io.maestro.test.ok.v1", data: "{}").kafkaMessage(topic: topic, key: "k"))
        let name = KafkaTestSupport.uniqueName("stop")
        let attempts = Collector<Int64>()
        let failing = try Self.consumer(broker, topic: topic, producer: producer, name: name) { _, message in
            attempts.append(message.offset)
            throw Transient()
        }
        let task = Task { try await failing.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { attempts.count >= 2 }
        failing.triggerShutdown()
        try await task.value

        let handled = Collector<Int64>()
        let restarted = try Self.consumer(broker, topic: topic, producer: producer, name: name) { _, message in
            handled.append(message.offset)
        }
        let second = Task { try await restarted.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.count >= 1 }
        restarted.triggerShutdown()
        try await second.value
        #expect(handled.values == [0])
        await producer.close()
    }
}

/// A domain's refusal of an event, as a store throws it.
private struct UnknownSubject: DomainError {
    var kind: DomainErrorKind { .notFound }
    var description: String { "the subject is unknown here" }
}
