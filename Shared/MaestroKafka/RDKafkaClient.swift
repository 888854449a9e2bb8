import CRdKafka
import Logging

/// librdkafka configuration properties, turned into an `rd_kafka_conf_t` in one place.
struct RDKafkaConfig {
    var properties: [String: String]

    /// Builds a native configuration; an unknown property or invalid value is a configuration error naming it.
    func makeNative() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .configuration("\(key): \(cString(errstr))")
            }
        }
        return conf
    }
}

/// Shared by every callback of one client handle: found through `rd_kafka_opaque`.
final class RDKafkaCallbackContext: Sendable {
    /// Called by `rd_kafka_consumer_poll`/`close` on the polling thread for each rebalance.
    typealias Rebalance = @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void

    let logger: Logger
    let rebalance: Rebalance?

    init(logger: Logger, rebalance: Rebalance?) {
        self.logger = logger
        self.rebalance = rebalance
    }
}

/// Owns one `rd_kafka_t` and destroys it on deinit.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe for every function this module
/// calls on them from several threads (produce, poll, offsets_store, metadata); the pointer
/// itself never changes after init.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    private let context: RDKafkaCallbackContext

    /// - Parameter configure: extra callback wiring on the native conf (e.g. the delivery report callback).
    init(kind: Kind, config: RDKafkaConfig, logger: Logger, rebalance: RDKafkaCallbackContext.Rebalance? = nil,
         configure: (OpaquePointer) -> Void = { _ in }) throws(KafkaError) {
        let conf = try config.makeNative()
        let context = RDKafkaCallbackContext(logger: logger, rebalance: rebalance)
        if rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalance)
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLog)
        rd_kafka_conf_set_error_cb(conf, rdKafkaError)
        configure(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .configuration(cString(errstr))
        }
        self.handle = rk
        self.context = context
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// The topics the cluster knows, with their partition counts. Blocking: call off the cooperative pool.
    func topicPartitionCounts(timeoutMs: Int32) throws(KafkaError) -> [String: Int32] {
        var metadataPointer: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadataPointer, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata = metadataPointer else {
            throw KafkaError(err)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [String: Int32] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                result[String(cString: topic.topic)] = topic.partition_cnt
            }
        }
        return result
    }
}

/// librdkafka log lines go to the client's Logger (librdkafka levels are syslog levels).
private func rdKafkaLog(_ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ buffer: UnsafePointer<CChar>?) {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let logLevel: Logger.Level = switch level {
    case ...3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
    let facilityName = facility.map { String(cString: $0) } ?? ""
    let text = buffer.map { String(cString: $0) } ?? ""
    context.logger.log(level: logLevel, "\(text)", metadata: ["librdkafka": .string(facilityName)])
}

private func rdKafkaRebalance(_ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let rk, let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    context.rebalance?(rk, err, partitions)
}

/// Client-wide errors (e.g. all brokers down) are logged; per-message failures arrive in delivery reports.
private func rdKafkaError(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let code = rd_kafka_resp_err_t(rawValue: err)
    let name = String(cString: rd_kafka_err2name(code))
    let text = reason.map { String(cString: $0) } ?? ""
    let level: Logger.Level = code == RD_KAFKA_RESP_ERR__FATAL ? .critical : .warning
    context.logger.log(level: level, "\(text)", metadata: ["kafka_error": .string(name)])
}

/// Text from a NUL-terminated C buffer filled by librdkafka.
func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
