/// Settings of a ``KafkaConsumer``.
public struct KafkaConsumerConfiguration: Sendable {
    public enum OffsetReset: String, Sendable {
        /// A group without committed offsets starts at the oldest record.
        case earliest
        /// A group without committed offsets starts with records produced after it joined.
        case latest
    }

    public var bootstrapServers: String
    public var groupId: String
    /// Topic names; a name starting with `^` is a regular expression, matched against the
    /// cluster's topics at every metadata refresh (`topic.metadata.refresh.interval.ms`).
    public var topics: [String]
    public var clientId: String
    public var offsetReset: OffsetReset
    /// At most this many records are handed over from the poll thread at once.
    public var maxBatchSize: Int
    /// Further librdkafka properties (CONFIGURATION.md). Offset storing stays manual whatever they say.
    public var properties: [String: String]

    public init(bootstrapServers: String, groupId: String, topics: [String], clientId: String = "maestro",
                offsetReset: OffsetReset = .earliest, maxBatchSize: Int = 500, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.groupId = groupId
        self.topics = topics
        self.clientId = clientId
        self.offsetReset = offsetReset
        self.maxBatchSize = maxBatchSize
        self.properties = properties
    }

    var rdKafkaConfig: RDKafkaConfig {
        var values = [
            "bootstrap.servers": bootstrapServers,
            "group.id": groupId,
            "client.id": clientId,
            "auto.offset.reset": offsetReset.rawValue,
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": "1000",
            "enable.partition.eof": "false",
            // librdkafka 2.0 stops fetching once this many records are queued and resumes only
            // about a second later, which stalls any consumer faster than that; the queue stays
            // bounded by queued.max.messages.kbytes (64 MB by default) instead.
            "queued.min.messages": "1000000",
        ]
        values.merge(properties) { _, override in override }
        // At-least-once: only offsets of handled records are stored, and only stored offsets are committed.
        values["enable.auto.offset.store"] = "false"
        return RDKafkaConfig(properties: values)
    }
}
