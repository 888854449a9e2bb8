import Foundation
import MaestroEvents
import MaestroKafka

/// CloudEvents Kafka protocol binding, binary content mode: `data` is the record value,
/// attributes are `ce_<name>` headers, the content type is the `content-type` header.
extension CloudEvent {
    enum Header {
        static let specVersion = "ce_specversion"
        static let id = "ce_id"
        static let source = "ce_source"
        static let type = "ce_type"
        static let time = "ce_time"
        static let subject = "ce_subject"
        static let dataSchema = "ce_dataschema"
        static let tenant = "ce_tenant"
        static let authId = "ce_authid"
        static let correlationId = "ce_correlationid"
        static let causationId = "ce_causationid"
        static let traceParent = "ce_traceparent"
        static let signature = "ce_signature"
        static let contentType = "content-type"
    }

    /// The record that carries this event on `topic`, keyed by the aggregate id.
    public func kafkaMessage(topic: String, key: String) -> KafkaProducerMessage {
        var headers = [
            KafkaHeader(name: Header.specVersion, string: CloudEvent.specVersion),
            KafkaHeader(name: Header.id, string: id),
            KafkaHeader(name: Header.source, string: source),
            KafkaHeader(name: Header.type, string: type),
            KafkaHeader(name: Header.contentType, string: dataContentType),
        ]
        func add(_ name: String, _ value: String?) {
            if let value { headers.append(KafkaHeader(name: name, string: value)) }
        }
        add(Header.time, time.map(RFC3339.format))
        add(Header.subject, subject)
        add(Header.dataSchema, dataSchema)
        add(Header.tenant, tenant)
        add(Header.authId, authId)
        add(Header.correlationId, correlationId)
        add(Header.causationId, causationId)
        add(Header.traceParent, traceParent)
        add(Header.signature, signature)
        return KafkaProducerMessage(topic: topic, key: key, value: data, headers: headers)
    }

    /// Reads a binary-mode CloudEvent from a record, strictly: the required attributes must
    /// be present and well-formed, `time` must be RFC 3339, `traceparent` must be W3C
    /// trace context, and the data must be JSON.
    public init(kafkaMessage message: KafkaConsumerMessage) throws(CloudEventError) {
        let headers = message.headers
        func required(_ name: String) throws(CloudEventError) -> String {
            guard let value = headers.string(name) else { throw .missing(name) }
            guard !value.isEmpty else { throw .invalid(name, "empty") }
            return value
        }
        let specVersion = try required(Header.specVersion)
        guard specVersion == CloudEvent.specVersion else {
            throw .invalid(Header.specVersion, "unsupported version '\(specVersion)', expected 1.0")
        }
        let id = try required(Header.id)
        let source = try required(Header.source)
        let type = try required(Header.type)
        var time: Date?
        if let text = headers.string(Header.time) {
            guard let parsed = RFC3339.parse(text) else { throw .invalid(Header.time, "'\(text)' is not an RFC 3339 time") }
            time = parsed
        }
        let contentType = headers.string(Header.contentType) ?? CloudEvent.jsonContentType
        guard contentType.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) == CloudEvent.jsonContentType else {
            throw .invalid(Header.contentType, "'\(contentType)' is not application/json")
        }
        let traceParent = headers.string(Header.traceParent)
        if let traceParent, !TraceParent.isValid(traceParent) {
            throw .invalid(Header.traceParent, "'\(traceParent)' is not W3C trace context")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(message.value), options: [.fragmentsAllowed])) != nil else {
            throw CloudEventError(message: "data is not valid JSON")
        }
        self.init(id: id, source: source, type: type, time: time, subject: headers.string(Header.subject),
                  dataContentType: contentType, dataSchema: headers.string(Header.dataSchema),
                  tenant: headers.string(Header.tenant), authId: headers.string(Header.authId),
                  correlationId: headers.string(Header.correlationId), causationId: headers.string(Header.causationId),
                  traceParent: traceParent, signature: headers.string(Header.signature), data: message.value)
    }
}

extension KafkaConsumerMessage {
    /// The record's `ce_traceparent` header as it is, valid or not (for continuing its trace).
    var traceParent: String? {
        headers.first { $0.name == CloudEvent.Header.traceParent }?.stringValue
    }
}

/// W3C trace context `traceparent`: `version-traceid-parentid-flags` in lowercase hex.
enum TraceParent {
    static func isValid(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return false }
        let lengths = [2, 32, 16, 2]
        for (part, length) in zip(parts, lengths) {
            guard part.count == length, part.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        }
        return parts[1] != String(repeating: "0", count: 32) && parts[2] != String(repeating: "0", count: 16)
    }
}
