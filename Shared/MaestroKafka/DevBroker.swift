import CRdKafka
import Logging

/// The embedded development broker: librdkafka's mock cluster, which speaks the real Kafka
/// protocol on loopback, so any Kafka client (kcat, confluent-kafka, this module) can use it.
///
/// It keeps everything in memory and is for development and tests only. It does not
/// implement CreateTopics; topics are created here with ``createTopic(_:partitions:)``.
///
/// `@unchecked Sendable`: the mock cluster API is thread-safe (each call is a request to
/// the cluster's own thread), and the handles never change after init.
public final class DevBroker: @unchecked Sendable {
    /// Kafka protocol request types, for ``failNextRequests(_:with:)``.
    public struct APIKey: Sendable, Hashable {
        public let rawValue: Int16
        public static let produce = APIKey(rawValue: 0)
        public static let fetch = APIKey(rawValue: 1)
        public static let listOffsets = APIKey(rawValue: 2)
        public static let metadata = APIKey(rawValue: 3)
        public static let offsetCommit = APIKey(rawValue: 8)
        public static let offsetFetch = APIKey(rawValue: 9)
        public static let findCoordinator = APIKey(rawValue: 10)
        public static let joinGroup = APIKey(rawValue: 11)
        public static let heartbeat = APIKey(rawValue: 12)
        public static let initProducerId = APIKey(rawValue: 22)
    }

    /// Errors to inject, by librdkafka name.
    public struct InjectedError: Sendable, Hashable {
        let code: rd_kafka_resp_err_t
        /// The broker drops the connection instead of answering.
        public static let disconnect = InjectedError(code: RD_KAFKA_RESP_ERR__TRANSPORT)
        public static let notLeaderForPartition = InjectedError(code: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        public static let requestTimedOut = InjectedError(code: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        public static let notEnoughReplicas = InjectedError(code: RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
        public static let coordinatorNotAvailable = InjectedError(code: RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
    }

    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    public let brokerCount: Int32
    /// `host:port,…` for `bootstrap.servers`.
    public let bootstrapServers: String

    public init(brokers: Int32 = 1, logger: Logger) throws(KafkaError) {
        client = try RDKafkaClient(kind: .producer, config: RDKafkaConfig(properties: [:]), logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, brokers) else {
            throw .configuration("could not start the mock Kafka cluster")
        }
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, min(replicationFactor, brokerCount))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// Disconnects a broker (all brokers when `nil`) and refuses new connections until ``setUp(broker:)``.
    public func setDown(broker: Int32? = nil) {
        _ = rd_kafka_mock_broker_set_down(cluster, broker ?? -1)
    }

    /// Makes a broker (all brokers when `nil`) accept connections again.
    public func setUp(broker: Int32? = nil) {
        _ = rd_kafka_mock_broker_set_up(cluster, broker ?? -1)
    }

    /// The next `errors.count` requests of this type fail with these errors, in order.
    public func failNextRequests(_ apiKey: APIKey, with errors: [InjectedError]) {
        let codes = errors.map(\.code)
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Adds a delay to every response of a broker.
    public func setRoundTripTime(_ rtt: Duration, broker: Int32 = 1) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(clamping: rtt.milliseconds))
    }
}
