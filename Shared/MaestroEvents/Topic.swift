/// A Kafka topic of the Maestro event contract (`asyncapi.yaml`).
public struct Topic: Hashable, Sendable, CustomStringConvertible {
    /// How the records of a topic are encoded.
    public enum Format: String, Sendable {
        /// CloudEvents 1.0 in Kafka binary content mode: JSON `data` as the value, attributes as `ce_*` headers.
        case cloudEvents
        /// Plain OpenLineage run events as JSON values (the OpenLineage Kafka transport).
        case openLineage
    }

    public let name: String
    public let partitions: Int32
    /// What the Kafka key is; every record of one aggregate shares a key, so it stays in order on one partition.
    public let keyRule: String
    /// Who publishes to the topic.
    public let producer: String
    public let format: Format

    public init(name: String, partitions: Int32, keyRule: String, producer: String, format: Format = .cloudEvents) {
        self.name = name
        self.partitions = partitions
        self.keyRule = keyRule
        self.producer = producer
        self.format = format
    }

    public var description: String { name }
}

extension Topic {
    public static let registryEvents = Topic(name: "maestro.registry.events", partitions: 6, keyRule: "model name", producer: "registry")
    public static let governanceEvents = Topic(name: "maestro.governance.events", partitions: 6, keyRule: "subject of the decision", producer: "governance")
    public static let auditEvents = Topic(name: "maestro.audit.events", partitions: 3, keyRule: "tenant", producer: "audit")
    public static let catalogEvents = Topic(name: "maestro.catalog.events", partitions: 6, keyRule: "dataset name", producer: "catalog")
    public static let featureStoreEvents = Topic(name: "maestro.featurestore.events", partitions: 6, keyRule: "feature view", producer: "feature-store")
    public static let driftEvents = Topic(name: "maestro.drift.events", partitions: 6, keyRule: "model name", producer: "drift-monitor")
    public static let costEvents = Topic(name: "maestro.cost.events", partitions: 6, keyRule: "tenant/project", producer: "cost-tracker")
    public static let ingestPredictions = Topic(name: "maestro.ingest.predictions", partitions: 12, keyRule: "model name", producer: "external model servers")
    public static let ingestFeatures = Topic(name: "maestro.ingest.features", partitions: 12, keyRule: "entity key", producer: "external pipelines")
    public static let ingestUsage = Topic(name: "maestro.ingest.usage", partitions: 6, keyRule: "resource id", producer: "jobs, servers")
    public static let ingestLineage = Topic(name: "maestro.ingest.lineage", partitions: 6, keyRule: "run key", producer: "OpenLineage Kafka transport", format: .openLineage)
    public static let deadLetters = Topic(name: "maestro.dlq", partitions: 3, keyRule: "original key", producer: "every consumer")

    /// The Maestro service that alone publishes to this topic and signs its events; nil for
    /// the ingest topics (outside producers, unsigned) and the dead-letter topic.
    public var owningService: String? {
        [Topic.registryEvents, .governanceEvents, .auditEvents, .catalogEvents, .featureStoreEvents, .driftEvents, .costEvents]
            .contains(self) ? producer : nil
    }

    /// Every topic of the contract, in the order of `asyncapi.yaml`.
    public static let catalog: [Topic] = [
        .registryEvents, .governanceEvents, .auditEvents, .catalogEvents, .featureStoreEvents,
        .driftEvents, .costEvents, .ingestPredictions, .ingestFeatures, .ingestUsage,
        .ingestLineage, .deadLetters,
    ]

    /// The catalog topic with this name, if any.
    public static func named(_ name: String) -> Topic? {
        catalog.first { $0.name == name }
    }
}
