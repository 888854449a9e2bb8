import CRdKafka

/// An error from the Kafka layer: librdkafka's code and name, what happened, and whether
/// retrying can help.
///
/// `isRetriable` means the same operation may succeed later (broker down, timeout, queue
/// full); `isFatal` means the client instance can no longer be used (for example a fenced
/// idempotent producer) and must be recreated.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t`, or one of Maestro's own codes below -1000.
    public let code: Int32
    /// librdkafka's symbolic name without the `RD_KAFKA_RESP_ERR_` prefix, e.g. `_MSG_TIMED_OUT`.
    public let name: String
    public let message: String
    public let isRetriable: Bool
    public let isFatal: Bool
    public let file: String
    public let line: UInt

    public init(code: Int32, name: String, message: String, isRetriable: Bool = false, isFatal: Bool = false,
                file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String { "Kafka error \(name) (\(code)): \(message)" }

    public static func == (lhs: KafkaError, rhs: KafkaError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}

extension KafkaError {
    /// Maestro-side codes, outside librdkafka's range.
    private enum Code: Int32 {
        case configuration = -2001
        case closed = -2002
        case unknownTopic = -2003
        case invalidArgument = -2004
    }

    /// Builds an error from a librdkafka response code.
    init(_ err: rd_kafka_resp_err_t, message: String? = nil, file: String = #fileID, line: UInt = #line) {
        let name = String(cString: rd_kafka_err2name(err))
        let text = message ?? String(cString: rd_kafka_err2str(err))
        self.init(code: err.rawValue, name: name, message: text,
                  isRetriable: KafkaError.retriableCodes.contains(err), isFatal: err == RD_KAFKA_RESP_ERR__FATAL,
                  file: file, line: line)
    }

    /// Builds an error from a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer, file: String = #fileID, line: UInt = #line) {
        let err = rd_kafka_error_code(error)
        self.init(code: err.rawValue, name: String(cString: rd_kafka_error_name(error)),
                  message: String(cString: rd_kafka_error_string(error)),
                  isRetriable: rd_kafka_error_is_retriable(error) != 0 || KafkaError.retriableCodes.contains(err),
                  isFatal: rd_kafka_error_is_fatal(error) != 0, file: file, line: line)
        rd_kafka_error_destroy(error)
    }

    private static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR__WAIT_COORD,
    ]

    public static func configuration(_ message: String, file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: Code.configuration.rawValue, name: "CONFIGURATION", message: message, file: file, line: line)
    }

    public static func closed(file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: Code.closed.rawValue, name: "CLOSED", message: "the client has been closed", file: file, line: line)
    }

    public static func unknownTopic(_ topic: String, file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: Code.unknownTopic.rawValue, name: "UNKNOWN_TOPIC", message: "topic '\(topic)' does not exist on the broker", file: file, line: line)
    }

    public static func invalidArgument(_ message: String, file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: Code.invalidArgument.rawValue, name: "INVALID_ARGUMENT", message: message, file: file, line: line)
    }

    /// The message was not acknowledged within `delivery.timeout.ms`.
    public var isDeliveryTimeout: Bool { code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue }
}
