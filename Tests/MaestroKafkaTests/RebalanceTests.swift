import Foundation
import MaestroKafka
import MaestroTestSupport
import Synchronization
import Testing

@Suite("Rebalance", .serialized, .timeLimit(.minutes(3)))
struct RebalanceTests {
    struct Handled: Hashable, Sendable {
        let partition: Int32
        let offset: Int64
    }

    /// Duplicates are allowed (at least once): the mock coordinator refuses commits while a
    /// rebalance is in progress, where a real broker still accepts them from the old generation.
    @Test("a second member joining mid-stream: every record is handled and nothing is committed past a handled record")
    func memberJoins() async throws {
        let topic = KafkaTestSupport.uniqueName("rebalance")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 4])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let total = 2000
        let sent = await producer.send((0..<total).map { KafkaProducerMessage(topic: topic, key: "key-\($0 % 40)", value: Array("\($0)".utf8)) })
        #expect(sent.allDelivered)
        await producer.close()

        let group = KafkaTestSupport.uniqueName("rebalance-group")
        let handled = Collector<Handled>()
        func member() throws -> KafkaConsumer {
            try KafkaConsumer(configuration: KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: group, topics: [topic]),
                              logger: KafkaTestSupport.logger) { message in
                try await Task.sleep(for: .milliseconds(2))
                handled.append(Handled(partition: message.partition, offset: message.offset))
            }
        }
        let first = try member()
        let firstTask = Task { try await first.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(60)) { handled.count >= 100 }
        let second = try member()
        let secondTask = Task { try await second.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(120)) { Set(handled.values).count >= total }
        first.triggerShutdown()
        second.triggerShutdown()
        try await firstTask.value
        try await secondTask.value

        let values = handled.values
        #expect(Set(values).count == total, "records lost")
        let committed = try await KafkaAdmin(bootstrapServers: broker.bootstrapServers, logger: KafkaTestSupport.logger)
            .committedOffsets(groupId: group, topic: topic, partitions: 4)
        for partition in Int32(0)..<4 {
            let last = values.filter { $0.partition == partition }.map(\.offset).max() ?? -1
            #expect((committed[partition] ?? 0) <= last + 1, "partition \(partition) committed past its last handled record")
        }
    }
}
