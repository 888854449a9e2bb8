import Logging
import MaestroKafka
import MaestroTestSupport
import ServiceLifecycle
import Testing

@Suite("Producer and consumer as services", .serialized, .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test("graceful shutdown of the service group flushes the producer and commits the consumer's handled records")
    func gracefulShutdown() async throws {
        let topics = [KafkaTestSupport.uniqueName("life-a"), KafkaTestSupport.uniqueName("life-b")]
        let broker = try KafkaTestSupport.makeBroker(topics: [topics[0]: 2, topics[1]: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let group = KafkaTestSupport.uniqueName("life-group")
        let handled = Collector<String>()
        let consumer = try KafkaConsumer(configuration: KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: group, topics: topics),
                                         logger: KafkaTestSupport.logger) { message in
            handled.append(message.topic)
        }
        let serviceGroup = ServiceGroup(services: [producer, consumer], logger: KafkaTestSupport.logger)
        let running = Task { try await serviceGroup.run() }

        let results = await producer.send((0..<20).map { KafkaProducerMessage(topic: topics[$0 % 2], key: "k\($0)", value: Array("\($0)".utf8)) })
        #expect(results.allDelivered)
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.count >= 20 }
        await serviceGroup.triggerGracefulShutdown()
        try await running.value

        #expect(Set(handled.values) == Set(topics), "one consumer reads several topics")
        await #expect(throws: KafkaError.closed()) {
            try await producer.send(KafkaProducerMessage(topic: topics[0], key: "late", value: []))
        }
        let admin = KafkaAdmin(bootstrapServers: broker.bootstrapServers, logger: KafkaTestSupport.logger)
        let committedA = try await admin.committedOffsets(groupId: group, topic: topics[0], partitions: 2)
        let committedB = try await admin.committedOffsets(groupId: group, topic: topics[1], partitions: 1)
        #expect(committedA.values.reduce(0, +) == 10)
        #expect(committedB == [0: 10])
    }
}
