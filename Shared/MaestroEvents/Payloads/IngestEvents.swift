import Foundation

/// Events external producers publish on the `maestro.ingest.*` topics for Maestro to consume.
public enum IngestEvent {}

extension IngestEvent {
    /// A model server served one prediction. Published by model servers, keyed by model name; drift
    /// monitoring compares these features and predictions with the model's reference profile.
    public struct PredictionLogged: EventPayload {
        public static let eventType = EventType("io.maestro.ingest.prediction.logged.v1", topic: .ingestPredictions)

        /// Name of the registered model that served the request; the Kafka key.
        public var modelName: String
        /// Version of the model that served the request.
        public var modelVersion: Int
        /// The model server's id of the request.
        public var requestID: String
        /// Input features, by name.
        public var features: [String: ScalarValue]
        /// The model's output.
        public var prediction: ScalarValue
        /// Ground truth, when known at logging time.
        public var label: ScalarValue?
        /// When the prediction was made.
        public var predictedAt: Date

        public init(
            modelName: String,
            modelVersion: Int,
            requestID: String,
            features: [String: ScalarValue],
            prediction: ScalarValue,
            label: ScalarValue? = nil,
            predictedAt: Date
        ) {
            self.modelName = modelName
            self.modelVersion = modelVersion
            self.requestID = requestID
            self.features = features
            self.prediction = prediction
            self.label = label
            self.predictedAt = predictedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
            case requestID = "request_id"
            case features
            case prediction
            case label
            case predictedAt = "predicted_at"
        }
    }
}

extension IngestEvent {
    /// A pipeline pushed feature values of one entity to a feature view, to be written to the
    /// online and offline stores. Keyed by the entity key.
    public struct FeatureRowsPushed: EventPayload {
        public static let eventType = EventType("io.maestro.ingest.feature_rows.pushed.v1", topic: .ingestFeatures)

        /// Name of the feature view.
        public var featureView: String
        /// The entity's join keys and their values in text form, e.g. `{"customer_id": "1042"}`.
        public var entityKey: [String: String]
        /// Feature values, by feature name.
        public var values: [String: ScalarValue]
        /// When the values were observed; point-in-time retrieval uses it.
        public var eventTime: Date

        public init(featureView: String, entityKey: [String: String], values: [String: ScalarValue], eventTime: Date) {
            self.featureView = featureView
            self.entityKey = entityKey
            self.values = values
            self.eventTime = eventTime
        }

        enum CodingKeys: String, CodingKey {
            case featureView = "feature_view"
            case entityKey = "entity_key"
            case values
            case eventTime = "event_time"
        }
    }
}

extension IngestEvent {
    /// A job or server reports consumption of a resource over an interval. Keyed by resource id;
    /// cost tracking prices it and attributes it to the project.
    public struct UsageRecorded: EventPayload {
        public static let eventType = EventType("io.maestro.ingest.usage.recorded.v1", topic: .ingestUsage)

        /// Id of the resource that was used, e.g. a node or a GPU.
        public var resourceID: String
        /// Kind of resource, e.g. `gpu`, `cpu`, `memory`, `storage`.
        public var resourceType: String
        /// Project the usage is attributed to.
        public var project: String
        /// Amount consumed in `unit`.
        public var quantity: Double
        /// Unit of `quantity`, e.g. `gpu_hour`, `vcpu_hour`, `gib_month`.
        public var unit: String
        /// Start of the interval.
        public var startedAt: Date
        /// End of the interval.
        public var endedAt: Date
        /// Further attribution, e.g. `model_name` or `run_id`.
        public var tags: [String: String]?

        public init(
            resourceID: String,
            resourceType: String,
            project: String,
            quantity: Double,
            unit: String,
            startedAt: Date,
            endedAt: Date,
            tags: [String: String]? = nil
        ) {
            self.resourceID = resourceID
            self.resourceType = resourceType
            self.project = project
            self.quantity = quantity
            self.unit = unit
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.tags = tags
        }

        enum CodingKeys: String, CodingKey {
            case resourceID = "resource_id"
            case resourceType = "resource_type"
            case project
            case quantity
            case unit
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case tags
        }
    }
}
