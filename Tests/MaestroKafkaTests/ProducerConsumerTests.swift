import Foundation
import MaestroKafka
import MaestroTestSupport
import Testing

@Suite("Producer and consumer against a real Kafka protocol endpoint", .serialized, .timeLimit(.minutes(3)))
struct ProducerConsumerTests {
    @Test("a record round-trips with its key, value and headers through the make-test broker")
    func roundTripOnConfiguredBroker() async throws {
        let brokers = try KafkaTestSupport.configuredBrokers()
        let topic = "maestro.ingest.usage"
        let producer = try KafkaTestSupport.makeProducer(brokers)
        let marker = KafkaTestSupport.uniqueName("roundtrip")
        let headers = [KafkaHeader(name: "x-marker", string: marker), KafkaHeader(name: "x-empty", value: nil), KafkaHeader(name: "x-binary", value: [0, 255, 7])]
        let report = try await producer.send(KafkaProducerMessage(topic: topic, key: marker, value: Array("{\"n\":1}".utf8), headers: headers))
        #expect(report.topic == topic)
        #expect(report.offset >= 0)
        await producer.close()

        let collected = Collector<KafkaConsumerMessage>()
        let consumer = try KafkaConsumer(configuration: KafkaTestSupport.consumerConfiguration(brokers, group: KafkaTestSupport.uniqueName("rt"), topics: [topic]),
                                         logger: KafkaTestSupport.logger) { message in
            if message.keyString == marker { collected.append(message) }
        }
        try await KafkaTestSupport.run(consumer, until: { collected.count >= 1 }, timeout: .seconds(60))
        let received = try #require(collected.values.first)
        #expect(received.partition == report.partition)
        #expect(received.offset == report.offset)
        #expect(received.value == Array("{\"n\":1}".utf8))
        #expect(received.headers == headers)
        #expect(received.timestamp != nil)
    }

    @Test("10,000 keyed records over 6 partitions keep their order per key, each exactly once")
    func perKeyOrder() async throws {
        let topic = KafkaTestSupport.uniqueName("order")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 6])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let keys = 200
        let perKey = 50
        var messages: [KafkaProducerMessage] = []
        for sequence in 0..<perKey {
            for key in 0..<keys {
                messages.append(KafkaProducerMessage(topic: topic, key: "key-\(key)", value: Array("\(sequence)".utf8)))
            }
        }
        let results = await producer.send(messages)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        await producer.close()

        let received = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [topic], count: keys * perKey)
        #expect(received.count == keys * perKey)
        var sequences: [String: [Int]] = [:]
        var partitions: [String: Set<Int32>] = [:]
        for message in received {
            let key = try #require(message.keyString)
            sequences[key, default: []].append(Int(String(decoding: message.value, as: UTF8.self))!)
            partitions[key, default: []].insert(message.partition)
        }
        #expect(sequences.count == keys)
        for (key, values) in sequences {
            #expect(values == Array(0..<perKey), "order broken for \(key)")
            #expect(partitions[key]?.count == 1, "\(key) spread over partitions")
        }
        #expect(Set(received.map(\.partition)).count == 6)
    }

    @Test("a consumer that stops at a failing record without storing it: the group gets that record again")
    func crashRedelivers() async throws {
        let topic = KafkaTestSupport.uniqueName("crash")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        let results = await producer.send((0..<5).map { KafkaProducerMessage(topic: topic, key: "k", value: Array("\($0)".utf8)) })
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        await producer.close()

        struct Crash: Error {}
        let group = KafkaTestSupport.uniqueName("crash-group")
        let first = Collector<Int64>()
        let crashing = try KafkaConsumer(configuration: KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: group, topics: [topic]),
                                         logger: KafkaTestSupport.logger) { message in
            if message.offset == 2 { throw Crash() }
            first.append(message.offset)
        }
        await #expect(throws: Crash.self) { try await crashing.run() }
        #expect(first.values == [0, 1])

        let second = Collector<Int64>()
        let restarted = try KafkaConsumer(configuration: KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: group, topics: [topic]),
                                          logger: KafkaTestSupport.logger) { message in
            second.append(message.offset)
        }
        try await KafkaTestSupport.run(restarted, until: { second.count >= 3 }, timeout: .seconds(60))
        #expect(second.values == [2, 3, 4])
    }

    @Test("graceful shutdown commits exactly what was handled")
    func shutdownCommits() async throws {
        let topic = KafkaTestSupport.uniqueName("commit")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        _ = await producer.send((0..<10).map { KafkaProducerMessage(topic: topic, key: "k", value: Array("\($0)".utf8)) })
        await producer.close()
        let group = KafkaTestSupport.uniqueName("commit-group")
        let received = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [topic], group: group, count: 10)
        #expect(received.count == 10)
        let committed = try await KafkaAdmin(bootstrapServers: broker.bootstrapServers, logger: KafkaTestSupport.logger)
            .committedOffsets(groupId: group, topic: topic, partitions: 1)
        #expect(committed == [0: 10])
    }
}
