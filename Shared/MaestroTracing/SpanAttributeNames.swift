import Tracing

/// Span attribute names: the OpenTelemetry semantic conventions (database, messaging) plus
/// Maestro's own, written once so that every span spells them alike.
public enum SpanAttributeName {
    public static let tenant = "maestro.tenant"

    public static let databaseSystem = "db.system.name"
    public static let databaseNamespace = "db.namespace"
    public static let databaseOperation = "db.operation.name"
    public static let databaseQueryText = "db.query.text"
    public static let databaseBatchSize = "db.operation.batch.size"
    public static let serverAddress = "server.address"
    public static let serverPort = "server.port"

    public static let messagingSystem = "messaging.system"
    public static let messagingOperationType = "messaging.operation.type"
    public static let messagingOperationName = "messaging.operation.name"
    public static let messagingDestination = "messaging.destination.name"
    public static let messagingPartition = "messaging.destination.partition.id"
    public static let messagingMessageID = "messaging.message.id"
    public static let messagingBatchCount = "messaging.batch.message_count"
    public static let messagingConsumerGroup = "messaging.consumer.group.name"
    public static let kafkaOffset = "messaging.kafka.offset"
    public static let kafkaMessageKey = "messaging.kafka.message.key"
}

/// The messaging operation types of the OpenTelemetry conventions that Maestro records.
public enum MessagingOperation: String, Sendable {
    /// An event written to the outbox; its span's context travels with the event.
    case create
    /// The relay handing records to the broker.
    case send
    /// A consumer handling records.
    case process
}

extension SpanAttributes {
    /// `messaging.system=kafka`, the operation and the destination, set together.
    public mutating func setMessaging(_ operation: MessagingOperation, destination: String) {
        self[SpanAttributeName.messagingSystem] = "kafka"
        self[SpanAttributeName.messagingOperationType] = operation.rawValue
        self[SpanAttributeName.messagingOperationName] = operation.rawValue
        self[SpanAttributeName.messagingDestination] = destination
    }
}
