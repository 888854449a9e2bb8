import Foundation
import Logging
import MaestroKafka
import Synchronization

/// Helpers for integration tests against real Kafka protocol endpoints: the embedded broker
/// that `make test` starts (address in `MAESTRO_KAFKA_BROKERS`) or an in-process mock
/// cluster for tests that need their own topics or fault injection.
public enum KafkaTestSupport {
    public static let logger: Logger = {
        var logger = Logger(label: "maestro.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// The broker `make test` started. Missing configuration is an error, never a skip.
    public static func configuredBrokers() throws -> String {
        guard let brokers = ProcessInfo.processInfo.environment["MAESTRO_KAFKA_BROKERS"], !brokers.isEmpty else {
            throw TestSetupError("MAESTRO_KAFKA_BROKERS is not set: run the tests with `make test`, which starts the embedded broker")
        }
        return brokers
    }

    /// A name no other test uses.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// An in-process mock cluster with these topics.
    public static func makeBroker(topics: [String: Int32], brokers: Int32 = 1) throws -> DevBroker {
        let broker = try DevBroker(brokers: brokers, logger: logger)
        for (name, partitions) in topics {
            try broker.createTopic(name, partitions: partitions, replicationFactor: brokers)
        }
        return broker
    }

    public static func makeProducer(_ bootstrapServers: String, deliveryTimeout: Duration = .seconds(30)) throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, deliveryTimeout: deliveryTimeout, linger: .milliseconds(1)),
                          logger: logger)
    }

    public static func consumerConfiguration(_ bootstrapServers: String, group: String, topics: [String]) -> KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupId: group, topics: topics,
                                   properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
    }

    /// Consumes with a fresh group until `count` records arrived or `timeout` passed.
    public static func consume(_ bootstrapServers: String, topics: [String], group: String = uniqueName("group"),
                               count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaConsumerMessage] {
        let collected = Collector<KafkaConsumerMessage>()
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(bootstrapServers, group: group, topics: topics), logger: logger) { message in
            collected.append(message)
        }
        try await run(consumer, until: { collected.count >= count }, timeout: timeout)
        return collected.values
    }

    /// Runs a consumer until `done` holds or `timeout` passes, then stops it and waits for its shutdown.
    public static func run(_ consumer: KafkaConsumer, until done: @escaping @Sendable () -> Bool, timeout: Duration) async throws {
        let task = Task { try await consumer.run() }
        try await waitUntil(timeout: timeout, done)
        consumer.triggerShutdown()
        try await task.value
    }

    /// Polls a condition every 20 ms; returns when it holds, or after the timeout (the caller's expectations then fail).
    public static func waitUntil(timeout: Duration, _ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A thread-safe list of what handlers saw.
public final class Collector<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    public init() {}

    public func append(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    public var values: [Value] { storage.withLock { $0 } }
    public var count: Int { storage.withLock { $0.count } }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
