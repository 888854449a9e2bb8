import CRdKafka
import Foundation
import Logging

/// librdkafka configuration properties, turned into an `rd_kafka_conf_t` in one place.
struct RDKafkaConfig {
    var properties: [String: String]

    /// Builds a native configuration; an unknown property or invalid value is a configuration error naming it.
    /// With `sasl.oauthbearer.method=oidc` on a librdkafka without it, the method's properties
    /// are left out and returned as the source the client fetches tokens from itself.
    func makeNative() throws(KafkaError) -> (conf: OpaquePointer, tokenSource: OAuthBearerTokenSource?) {
        let tokenSource = try OAuthBearerTokenSource.required(by: properties)
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) where tokenSource == nil || !OAuthBearerTokenSource.properties.contains(key) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .configuration("\(key): \(cString(errstr))")
            }
        }
        return (conf, tokenSource)
    }
}

/// Shared by every callback of one client handle: found through `rd_kafka_opaque`.
final class RDKafkaCallbackContext: Sendable {
    /// Called by `rd_kafka_consumer_poll`/`close` on the polling thread for each rebalance.
    typealias Rebalance = @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void

    let logger: Logger
    let rebalance: Rebalance?
    let tokenSource: OAuthBearerTokenSource?

    init(logger: Logger, rebalance: Rebalance?, tokenSource: OAuthBearerTokenSource?) {
        self.logger = logger
        self.rebalance = rebalance
        self.tokenSource = tokenSource
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
        let (conf, tokenSource) = try config.makeNative()
        let context = RDKafkaCallbackContext(logger: logger, rebalance: rebalance, tokenSource: tokenSource)
        if rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalance)
        }
        if tokenSource != nil {
            // Served on librdkafka's background thread, so tokens come whether or not anyone polls.
            rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, rdKafkaTokenRefresh)
            rd_kafka_conf_enable_sasl_queue(conf, 1)
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
        if tokenSource != nil, let error = rd_kafka_sasl_background_callbacks_enable(rk) {
            let reason = String(cString: rd_kafka_error_string(error))
            rd_kafka_error_destroy(error)
            rd_kafka_destroy(rk)
            throw .configuration("SASL/OAUTHBEARER token refresh: \(reason)")
        }
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

/// librdkafka asks for an OAUTHBEARER token: fetched from the token endpoint (blocking this
/// background thread, as librdkafka's own OIDC fetch does) and handed over, or the failure
/// reported so librdkafka asks again later.
private func rdKafkaTokenRefresh(_ rk: OpaquePointer?, _ config: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let rk, let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    guard let source = context.tokenSource else { return }
    do {
        let token = try source.fetch()
        var errstr = [CChar](repeating: 0, count: 512)
        guard rd_kafka_oauthbearer_set_token(rk, token.value, token.expiresAtMs, token.principal, nil, 0, &errstr, errstr.count) == RD_KAFKA_RESP_ERR_NO_ERROR else {
            context.logger.warning("SASL/OAUTHBEARER token refused by librdkafka", metadata: ["reason": .string(cString(errstr))])
            rd_kafka_oauthbearer_set_token_failure(rk, cString(errstr))
            return
        }
        context.logger.debug("SASL/OAUTHBEARER token fetched", metadata: ["principal": .string(token.principal)])
    } catch {
        context.logger.warning("SASL/OAUTHBEARER token fetch failed", metadata: ["endpoint": .string(source.tokenEndpoint.absoluteString), "error": "\(error)"])
        rd_kafka_oauthbearer_set_token_failure(rk, "\(error)")
    }
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
