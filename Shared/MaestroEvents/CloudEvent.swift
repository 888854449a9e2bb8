import Foundation

/// A CloudEvents 1.0 event with JSON data, as Maestro publishes and consumes it.
///
/// Required attributes (`id`, `source`, `specversion`, `type`) are always present; Maestro's
/// own events also always carry `time`, `subject`, `dataschema` and `tenant`. The
/// extensions `tenant`, `authid`, `correlationid`, `causationid` and `traceparent` carry
/// tenancy, the acting principal, saga chains and W3C trace context; `signature` proves which
/// service produced the event (`EventSignature` in MaestroBus).
public struct CloudEvent: Sendable, Hashable {
    public static let specVersion = "1.0"
    public static let jsonContentType = "application/json"

    public var id: String
    /// `/maestro/<service>` for Maestro's services.
    public var source: String
    public var type: String
    public var time: Date?
    /// What the event is about, e.g. `models/fraud/versions/3`.
    public var subject: String?
    public var dataContentType: String
    public var dataSchema: String?
    public var tenant: String?
    public var authId: String?
    public var correlationId: String?
    public var causationId: String?
    public var traceParent: String?
    /// The producer's detached JWS over the other attributes and the data; absent on events
    /// from outside Maestro (the ingest topics) and from tools.
    public var signature: String?
    /// The JSON `data`.
    public var data: [UInt8]

    public init(id: String = UUIDv7.string(), source: String, type: String, time: Date? = Date(), subject: String? = nil,
                dataContentType: String = CloudEvent.jsonContentType, dataSchema: String? = nil, tenant: String? = nil,
                authId: String? = nil, correlationId: String? = nil, causationId: String? = nil, traceParent: String? = nil,
                signature: String? = nil, data: [UInt8]) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.dataSchema = dataSchema
        self.tenant = tenant
        self.authId = authId
        self.correlationId = correlationId
        self.causationId = causationId
        self.traceParent = traceParent
        self.signature = signature
        self.data = data
    }

    /// An event carrying a typed payload, with its type and dataschema taken from the payload type.
    /// A new chain starts with `correlationId` equal to the event's own id unless one is given.
    public init<Payload: EventPayload>(source: String, subject: String, tenant: String?, payload: Payload,
                                       authId: String? = nil, correlationId: String? = nil, causationId: String? = nil,
                                       traceParent: String? = nil, time: Date = Date()) throws {
        let id = UUIDv7.string()
        self.init(id: id, source: source, type: Payload.eventType.name, time: time, subject: subject,
                  dataSchema: Payload.eventType.dataSchema, tenant: tenant, authId: authId,
                  correlationId: correlationId ?? id, causationId: causationId, traceParent: traceParent,
                  data: Array(try EventCoding.makeEncoder().encode(payload)))
    }

    /// Decodes the data as a payload type; fails if the event's type is not that payload's type.
    public func payload<Payload: EventPayload>(as _: Payload.Type) throws -> Payload {
        guard type == Payload.eventType.name else {
            throw CloudEventError.typeMismatch(expected: Payload.eventType.name, actual: type)
        }
        return try EventCoding.makeDecoder().decode(Payload.self, from: Data(data))
    }
}

/// Why a Kafka record is not an acceptable CloudEvent.
public struct CloudEventError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public var description: String { message }

    package init(message: String) {
        self.message = message
    }

    package static func missing(_ header: String) -> CloudEventError {
        CloudEventError(message: "not a CloudEvent: missing header \(header)")
    }

    package static func invalid(_ header: String, _ reason: String) -> CloudEventError {
        CloudEventError(message: "invalid CloudEvent header \(header): \(reason)")
    }

    static func typeMismatch(expected: String, actual: String) -> CloudEventError {
        CloudEventError(message: "event type \(actual) is not \(expected)")
    }
}

/// The JSON coding of payloads: RFC 3339 UTC times with milliseconds, keys as the payload types' CodingKeys say.
public enum EventCoding {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }
}

/// RFC 3339 timestamps, with or without fractional seconds.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// UTC with millisecond precision, e.g. `2026-11-26T10:00:00.123Z`.
    public static func format(_ date: Date) -> String {
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (millis / 1000).rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds).formatted(.iso8601)
        let fraction = Int(millis - seconds * 1000)
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
