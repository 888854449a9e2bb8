import CRdKafka
import Logging

/// Topic administration.
public struct KafkaAdmin: Sendable {
    /// A topic to create if it is missing.
    public struct TopicSpec: Sendable, Hashable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int32
        public var config: [String: String]

        public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, config: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.config = config
        }
    }

    /// What ``ensureTopics(_:timeout:)`` found or did for one topic.
    public enum TopicOutcome: Sendable, Hashable {
        case created
        case existed(partitions: Int32)
        /// The broker refused to create it; producing may still auto-create it.
        case notCreated(reason: String)
    }

    private let properties: [String: String]
    private let logger: Logger

    /// - Parameter properties: further librdkafka properties of every connection (security, SASL).
    public init(bootstrapServers: String, properties: [String: String] = [:], logger: Logger) {
        self.properties = properties.merging(["bootstrap.servers": bootstrapServers]) { _, address in address }
        self.logger = logger
    }

    /// The topics on the cluster with their partition counts.
    /// Throws a retriable error naming the address when no broker answers within `timeout`.
    public func topics(timeout: Duration = .seconds(5)) async throws(KafkaError) -> [String: Int32] {
        let properties = self.properties
        let logger = self.logger
        let result = await runBlocking { () -> Result<[String: Int32], KafkaError> in
            Result { () throws(KafkaError) in
                try fetchTopics(properties: properties, logger: logger, timeout: timeout)
            }
        }
        return try result.get()
    }

    /// Creates the missing topics with their partitions and config and accepts existing ones.
    /// A broker that cannot create topics (no CreateTopics support, no permission) gets a
    /// warning per topic and `.notCreated`, not an error: the topics may be managed elsewhere.
    @discardableResult
    public func ensureTopics(_ specs: [TopicSpec], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: TopicOutcome] {
        let existing = try await topics(timeout: timeout)
        var outcomes: [String: TopicOutcome] = [:]
        let missing = specs.filter { spec in
            guard let partitions = existing[spec.name] else { return true }
            outcomes[spec.name] = .existed(partitions: partitions)
            return false
        }
        guard !missing.isEmpty else { return outcomes }
        let properties = self.properties
        let logger = self.logger
        let created = await runBlocking { () -> Result<[String: TopicOutcome], KafkaError> in
            Result { () throws(KafkaError) in
                let client = try RDKafkaClient(kind: .producer, config: RDKafkaConfig(properties: properties), logger: logger)
                return createTopics(missing, client: client, timeoutMs: Int32(clamping: timeout.milliseconds))
            }
        }
        for (name, outcome) in try created.get() {
            if case .notCreated(let reason) = outcome {
                logger.warning("topic not created; relying on the broker's topic management", metadata: ["topic": "\(name)", "reason": "\(reason)"])
            }
            outcomes[name] = outcome
        }
        return outcomes
    }
}

/// Reads cluster metadata. Blocking.
private func fetchTopics(properties: [String: String], logger: Logger, timeout: Duration) throws(KafkaError) -> [String: Int32] {
    let bootstrapServers = properties["bootstrap.servers"] ?? ""
    let client = try RDKafkaClient(kind: .producer, config: RDKafkaConfig(properties: properties), logger: logger)
    do {
        return try client.topicPartitionCounts(timeoutMs: Int32(clamping: timeout.milliseconds))
    } catch {
        throw KafkaError(code: error.code, name: error.name,
                         message: "no Kafka broker answered at \(bootstrapServers) within \(timeout) (\(error.message))",
                         isRetriable: true)
    }
}

/// Runs a blocking librdkafka call on its own thread, off the cooperative pool.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    let worker = BlockingWorker(name: "kafka-admin")
    defer { worker.stop() }
    return await worker.submit(body)
}

/// Sends one CreateTopics request and waits for its result. Blocking.
private func createTopics(_ specs: [KafkaAdmin.TopicSpec], client: RDKafkaClient, timeoutMs: Int32) -> [String: KafkaAdmin.TopicOutcome] {
    var errstr = [CChar](repeating: 0, count: 512)
    var newTopics: [OpaquePointer?] = []
    var outcomes: [String: KafkaAdmin.TopicOutcome] = [:]
    for spec in specs {
        guard let topic = rd_kafka_NewTopic_new(spec.name, spec.partitions, spec.replicationFactor, &errstr, errstr.count) else {
            outcomes[spec.name] = .notCreated(reason: cString(errstr))
            continue
        }
        for (key, value) in spec.config {
            _ = rd_kafka_NewTopic_set_config(topic, key, value)
        }
        newTopics.append(topic)
    }
    defer { rd_kafka_NewTopic_destroy_array(&newTopics, newTopics.count) }
    guard !newTopics.isEmpty else { return outcomes }

    let queue = rd_kafka_queue_new(client.handle)
    defer { rd_kafka_queue_destroy(queue) }
    let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
    defer { rd_kafka_AdminOptions_destroy(options) }
    _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
    rd_kafka_CreateTopics(client.handle, &newTopics, newTopics.count, options, queue)

    guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
        for spec in specs where outcomes[spec.name] == nil { outcomes[spec.name] = .notCreated(reason: "CreateTopics timed out") }
        return outcomes
    }
    defer { rd_kafka_event_destroy(event) }
    let requestError = rd_kafka_event_error(event)
    guard requestError == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_CreateTopics_result(event) else {
        let reason = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? KafkaError(requestError).message
        for spec in specs where outcomes[spec.name] == nil { outcomes[spec.name] = .notCreated(reason: reason) }
        return outcomes
    }
    var count = 0
    let results = rd_kafka_CreateTopics_result_topics(result, &count)
    for index in 0..<count {
        guard let topicResult = results?[index] else { continue }
        let name = String(cString: rd_kafka_topic_result_name(topicResult))
        let err = rd_kafka_topic_result_error(topicResult)
        switch err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            outcomes[name] = .created
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            outcomes[name] = .existed(partitions: specs.first { $0.name == name }?.partitions ?? -1)
        default:
            let reason = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? KafkaError(err).message
            outcomes[name] = .notCreated(reason: reason)
        }
    }
    return outcomes
}

extension KafkaAdmin {
    /// The offsets a consumer group has committed on a topic's partitions (the next offset
    /// to consume; partitions without a commit are absent).
    public func committedOffsets(groupId: String, topic: String, partitions: Int32, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [Int32: Int64] {
        let properties = self.properties
        let logger = self.logger
        let result = await runBlocking { () -> Result<[Int32: Int64], KafkaError> in
            Result { () throws(KafkaError) in
                try fetchCommitted(properties: properties, groupId: groupId, topic: topic, partitions: partitions,
                                   timeoutMs: Int32(clamping: timeout.milliseconds), logger: logger)
            }
        }
        return try result.get()
    }
}

/// Asks the group coordinator for committed offsets through a consumer handle that never joins the group. Blocking.
private func fetchCommitted(properties: [String: String], groupId: String, topic: String, partitions: Int32,
                            timeoutMs: Int32, logger: Logger) throws(KafkaError) -> [Int32: Int64] {
    let client = try RDKafkaClient(kind: .consumer, config: RDKafkaConfig(properties: properties.merging(["group.id": groupId]) { _, group in group }), logger: logger)
    let list = rd_kafka_topic_partition_list_new(partitions)!
    defer { rd_kafka_topic_partition_list_destroy(list) }
    for partition in 0..<partitions {
        rd_kafka_topic_partition_list_add(list, topic, partition)
    }
    let err = rd_kafka_committed(client.handle, list, timeoutMs)
    guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    var offsets: [Int32: Int64] = [:]
    for index in 0..<Int(list.pointee.cnt) {
        let element = list.pointee.elems[index]
        if element.err == RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0 {
            offsets[element.partition] = element.offset
        }
    }
    rd_kafka_consumer_close(client.handle)
    return offsets
}

extension KafkaAdmin {
    /// Each partition's high watermark: the offset the next record written to it will get.
    public func endOffsets(topic: String, partitions: Int32, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [Int32: Int64] {
        let properties = self.properties
        let logger = self.logger
        let result = await runBlocking { () -> Result<[Int32: Int64], KafkaError> in
            Result { () throws(KafkaError) in
                let client = try RDKafkaClient(kind: .consumer, config: RDKafkaConfig(properties: properties), logger: logger)
                var ends: [Int32: Int64] = [:]
                for partition in 0..<partitions {
                    var low: Int64 = 0
                    var high: Int64 = 0
                    let err = rd_kafka_query_watermark_offsets(client.handle, topic, partition, &low, &high, Int32(clamping: timeout.milliseconds))
                    guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
                    ends[partition] = high
                }
                return ends
            }
        }
        return try result.get()
    }
}
