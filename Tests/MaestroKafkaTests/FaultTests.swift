import Foundation
import MaestroKafka
import MaestroTestSupport
import Testing

@Suite("Broker faults (mock cluster fault injection)", .serialized, .timeLimit(.minutes(3)))
struct FaultTests {
    @Test("broker down for a few seconds while producing: every send completes after recovery, with no duplicates")
    func brokerOutageRecovers() async throws {
        let topic = KafkaTestSupport.uniqueName("outage")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 3])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers, deliveryTimeout: .seconds(60))
        // Warm up so the producer has its idempotent producer id before the outage.
        _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "warm", value: Array("warm".utf8)))

        broker.setDown()
        let sending = Task {
            await producer.send((0..<2000).map { KafkaProducerMessage(topic: topic, key: "key-\($0 % 10)", value: Array("\($0)".utf8)) })
        }
        try await Task.sleep(for: .seconds(3))
        broker.setUp()
        let results = await sending.value
        await producer.close()
        let failures = results.compactMap { result -> KafkaError? in
            if case .failure(let error) = result { error } else { nil }
        }
        #expect(failures.isEmpty, "failures: \(failures.prefix(3))")

        let received = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [topic], count: 2001)
        let values = received.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values.count == 2001)
        #expect(Set(values).count == values.count, "duplicates after the outage")
    }

    @Test("an injected retriable produce error is retried by the idempotent producer without duplicates")
    func injectedProduceErrors() async throws {
        let topic = KafkaTestSupport.uniqueName("inject")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "warm", value: Array("warm".utf8)))
        broker.failNextRequests(.produce, with: [.notLeaderForPartition, .requestTimedOut, .disconnect])
        let results = await producer.send((0..<100).map { KafkaProducerMessage(topic: topic, key: "k", value: Array("\($0)".utf8)) })
        await producer.close()
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let offsets = results.compactMap { try? $0.get().offset }
        #expect(offsets == offsets.sorted(), "acknowledged out of order")

        let received = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [topic], count: 101)
        let values = received.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values == ["warm"] + (0..<100).map(String.init))
    }

    @Test("broker down past the delivery timeout: sends fail with a clear, retriable timeout error")
    func outagePastDeliveryTimeout() async throws {
        let topic = KafkaTestSupport.uniqueName("timeout")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers, deliveryTimeout: .seconds(2))
        _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "warm", value: Array("warm".utf8)))
        broker.setDown()
        let results = await producer.send((0..<10).map { KafkaProducerMessage(topic: topic, key: "k", value: Array("\($0)".utf8)) })
        broker.setUp()
        await producer.close()
        for result in results {
            #expect(throws: KafkaError.self) { try result.get() }
            if case .failure(let error) = result {
                #expect(error.isDeliveryTimeout, "\(error)")
                #expect(error.isRetriable)
                #expect(error.name == "_MSG_TIMED_OUT")
            }
        }
    }

    @Test("a closed producer refuses new records with a typed error")
    func closedProducer() async throws {
        let topic = KafkaTestSupport.uniqueName("closed")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        await producer.close()
        await #expect(throws: KafkaError.closed()) {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k", value: []))
        }
    }
}

@Suite("Topic administration", .timeLimit(.minutes(2)))
struct AdminTests {
    @Test("ensureTopics accepts existing topics and falls back with a warning on a broker that cannot create topics")
    func ensureTopicsFallsBack() async throws {
        let broker = try KafkaTestSupport.makeBroker(topics: ["existing": 4])
        let admin = KafkaAdmin(bootstrapServers: broker.bootstrapServers, logger: KafkaTestSupport.logger)
        let outcomes = try await admin.ensureTopics([
            .init(name: "existing", partitions: 4),
            .init(name: "missing", partitions: 2, config: ["retention.ms": "1000"]),
        ])
        #expect(outcomes["existing"] == .existed(partitions: 4))
        guard case .notCreated(let reason) = outcomes["missing"] else {
            Issue.record("expected notCreated for a mock cluster without CreateTopics, got \(String(describing: outcomes["missing"]))")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test("an unreachable broker is a retriable error naming the address")
    func unreachableBroker() async throws {
        let admin = KafkaAdmin(bootstrapServers: "127.0.0.1:1", logger: KafkaTestSupport.logger)
        do {
            _ = try await admin.topics(timeout: .seconds(2))
            Issue.record("expected an error")
        } catch {
            #expect(error.isRetriable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
    }

    @Test("an invalid client property is a configuration error naming it")
    func invalidProperty() throws {
        #expect {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"]),
                                  logger: KafkaTestSupport.logger)
        } throws: { error in
            (error as? KafkaError)?.name == "CONFIGURATION" && (error as? KafkaError)?.message.contains("no.such.property") == true
        }
    }

    @Test("a consumer stopping while the cluster is unreachable gives up on its final commit after the close timeout instead of hanging; the records come again")
    func closeWithTheBrokerDown() async throws {
        let topic = KafkaTestSupport.uniqueName("close-down")
        let broker = try KafkaTestSupport.makeBroker(topics: [topic: 1])
        let producer = try KafkaTestSupport.makeProducer(broker.bootstrapServers)
        _ = await producer.send((0..<5).map { KafkaProducerMessage(topic: topic, key: "k", value: Array("\($0)".utf8)) })
        await producer.close()
        let group = KafkaTestSupport.uniqueName("close-down-group")
        let collected = Collector<KafkaConsumerMessage>()
        var configuration = KafkaTestSupport.consumerConfiguration(broker.bootstrapServers, group: group, topics: [topic])
        configuration.properties["auto.commit.interval.ms"] = "600000"
        let consumer = try KafkaConsumer(configuration: configuration, logger: KafkaTestSupport.logger) { collected.append($0) }
        let running = Task { try await consumer.run() }
        try await KafkaTestSupport.waitUntil(timeout: .seconds(30)) { collected.count >= 5 }
        #expect(collected.count == 5)

        broker.setDown()
        let stopping = ContinuousClock.now
        consumer.triggerShutdown()
        try await running.value
        // Bounded by the close timeout (10 s), where it used to wait for the coordinator for ever;
        // the margin is for a loaded machine.
        #expect(ContinuousClock.now - stopping < .seconds(40))

        broker.setUp()
        let again = try await KafkaTestSupport.consume(broker.bootstrapServers, topics: [topic], group: group, count: 5)
        #expect(again.count == 5, "nothing was committed, so the group gets every record again")
    }
}
