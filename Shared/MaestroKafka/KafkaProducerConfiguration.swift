/// Settings of a ``KafkaProducer``. The producer is always idempotent with `acks=all`:
/// no duplicates from retries and no loss on leader change.
public struct KafkaProducerConfiguration: Sendable {
    public var bootstrapServers: String
    public var clientId: String
    /// How long a message may wait for an acknowledgement, retries included, before its send fails.
    public var deliveryTimeout: Duration
    /// How long to wait for more messages to fill a batch.
    public var linger: Duration
    /// How long ``KafkaProducer/close()`` waits for outstanding messages.
    public var flushTimeout: Duration
    /// Further librdkafka properties (CONFIGURATION.md); they override the values above except idempotence.
    public var properties: [String: String]

    public init(bootstrapServers: String, clientId: String = "maestro", deliveryTimeout: Duration = .seconds(120),
                linger: Duration = .milliseconds(5), flushTimeout: Duration = .seconds(30), properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.deliveryTimeout = deliveryTimeout
        self.linger = linger
        self.flushTimeout = flushTimeout
        self.properties = properties
    }

    var rdKafkaConfig: RDKafkaConfig {
        var values = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientId,
            "delivery.timeout.ms": String(deliveryTimeout.milliseconds),
            "linger.ms": String(linger.milliseconds),
            "queue.buffering.max.messages": "1000000",
        ]
        values.merge(properties) { _, override in override }
        values["enable.idempotence"] = "true"
        values["acks"] = "all"
        return RDKafkaConfig(properties: values)
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
