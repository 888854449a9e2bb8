import Crypto
import Foundation
import MaestroAuditLog
import MaestroBus
import MaestroEvents
import MaestroKafka

/// A Kafka record as the audit log keeps it. Nothing is refused: a record that is not a valid
/// CloudEvent becomes a `raw` entry (its headers, the SHA-256 of its bytes and the parse error),
/// and a record of `maestro.dlq` a `dead_letter` entry with its error headers.
struct AuditRecord: Sendable {
    enum Kind: String, Sendable {
        case event
        case raw
        case deadLetter = "dead_letter"
    }

    /// The log of records without a valid tenant: a pseudo-tenant. Its log is scoped, stored and
    /// checkpointed like a tenant's, and `_` starts no tenant id, so it never collides with one;
    /// only platform admins read it (`log=_system`), and its events carry no tenant.
    static let systemLog = "_system"

    let kind: Kind
    /// The tenant whose log the record goes to, or ``systemLog`` for a record without a valid tenant.
    let tenant: String
    /// What makes two deliveries the same record: a CloudEvent's source and id (a relay may
    /// publish an event twice, at two offsets), otherwise the record's position and content
    /// hash (offsets alone repeat when a topic is recreated).
    let dedupeKey: String
    let topic: String
    let partition: Int32
    let offset: Int64
    let eventID: String?
    let eventType: String?
    let subject: String?
    let authID: String?
    let correlationID: String?
    /// What the event's signature proves about its producer; nil for a record that is not a CloudEvent.
    let provenance: EventProvenance?
    let occurredAt: Date
    /// The entry's content, without the fields fixed at append (index, log, previous root, time).
    /// A CloudEvent's data is embedded verbatim, so the entry holds exactly what was published.
    let content: [String: CanonicalJSON]

    init(_ message: KafkaConsumerMessage, provenance: EventProvenance? = nil, receivedAt: Date = Date()) {
        topic = message.topic
        partition = message.partition
        offset = message.offset
        let valueHash = Hex.encode(SHA256.hash(data: message.value))
        var record: [String: CanonicalJSON] = [
            "topic": .string(message.topic),
            "partition": .integer(Int(message.partition)),
            "offset": .integer(Int(message.offset)),
            "value_sha256": .string(valueHash),
            "value_size": .integer(message.value.count),
        ]
        if let key = message.key { record["key"] = .string(AuditRecord.text(key)) }
        if let timestamp = message.timestamp { record["timestamp"] = .string(AuditTime.format(Date(timeIntervalSince1970: Double(timestamp) / 1000))) }
        let position = "\(message.topic)/\(message.partition)/\(message.offset)#\(valueHash)"

        let parsed = Result { () throws(CloudEventError) in try CloudEvent(kafkaMessage: message) }
        var content: [String: CanonicalJSON] = ["record": .object(record)]
        switch parsed {
        case .success(let event):
            content["event"] = .object(AuditRecord.attributes(of: event))
            self.provenance = provenance
            if let provenance { content["provenance"] = .object(AuditRecord.members(of: provenance)) }
            eventID = AuditRecord.column(event.id)
            eventType = AuditRecord.column(event.type)
            subject = event.subject.flatMap(AuditRecord.column)
            authID = event.authId.flatMap(AuditRecord.column)
            correlationID = event.correlationId.flatMap(AuditRecord.column)
            occurredAt = event.time ?? receivedAt
            tenant = event.tenant.flatMap(AuditRecord.validTenant) ?? AuditRecord.systemLog
        case .failure(let error):
            content["headers"] = .array(message.headers.map { .object(["name": .string($0.name), "value": $0.value.map { .string(AuditRecord.text($0)) } ?? .null]) })
            content["error"] = .string(error.message)
            eventID = message.headers.string("ce_id").flatMap(AuditRecord.column)
            eventType = message.headers.string("ce_type").flatMap(AuditRecord.column)
            subject = nil
            authID = nil
            correlationID = nil
            self.provenance = nil
            occurredAt = receivedAt
            tenant = AuditRecord.systemLog
        }
        if message.topic == Topic.deadLetters.name {
            kind = .deadLetter
            var letter: [String: CanonicalJSON] = [:]
            for header in message.headers where header.name.hasPrefix("maestro_") {
                letter[String(header.name.dropFirst("maestro_".count))] = header.value.map { .string(AuditRecord.text($0)) } ?? .null
            }
            content["dead_letter"] = .object(letter)
            dedupeKey = "dlq:" + position
        } else if case .success(let event) = parsed {
            kind = .event
            // PostgreSQL text holds no NUL; an id or source with one still dedupes, by its escaped form.
            // Source, id and content: a relay publishing an event again sends the same bytes and
            // is recorded once; a producer reusing an id for other content is recorded twice.
            // Hashed, so a key of any length or content fits the inbox's index.
            var hasher = SHA256()
            hasher.update(data: Array(event.source.utf8) + [0] + Array(event.id.utf8) + [0])
            hasher.update(data: message.value)
            dedupeKey = "ce:" + Hex.encode(hasher.finalize())
        } else {
            kind = .raw
            dedupeKey = "raw:" + position
        }
        self.content = content
    }

    /// The canonical bytes of the entry at `index` of `tenant`'s log (``CanonicalJSON``). They
    /// are stored as text and hashed as they are; they are never re-encoded.
    func canonicalEntry(index: Int, tenant: String, previousRoot: MerkleHash, recordedAt: Date) -> String {
        var object = content
        object["index"] = .integer(index)
        object["log_id"] = .string(tenant)
        object["kind"] = .string(kind.rawValue)
        object["prev_root"] = .string(Hex.encode(previousRoot))
        object["recorded_at"] = .string(AuditTime.format(recordedAt))
        return String(decoding: CanonicalJSON.object(object).bytes, as: UTF8.self)
    }

    /// The CloudEvent's attributes; the data's bytes are hashed too, so a reader can match the published record exactly.
    private static func attributes(of event: CloudEvent) -> [String: CanonicalJSON] {
        var attributes: [String: CanonicalJSON] = [
            "specversion": .string(CloudEvent.specVersion), "id": .string(event.id), "source": .string(event.source),
            "type": .string(event.type), "datacontenttype": .string(event.dataContentType),
            "data_sha256": .string(Hex.encode(SHA256.hash(data: event.data))),
        ]
        let optional: [(String, String?)] = [
            ("time", event.time.map(AuditTime.format)), ("subject", event.subject), ("dataschema", event.dataSchema),
            ("tenant", event.tenant), ("authid", event.authId), ("correlationid", event.correlationId),
            ("causationid", event.causationId), ("traceparent", event.traceParent), ("signature", event.signature),
        ]
        for case (let name, let value?) in optional { attributes[name] = .string(value) }
        // CloudEvent(kafkaMessage:) has checked that the data is JSON. JSON in UTF-8 without NUL
        // (the contract's encoding) goes in verbatim; anything else (UTF-16 JSON) as base64, since
        // the entry is UTF-8 text.
        if !event.data.contains(0), String(validating: event.data, as: UTF8.self) != nil {
            attributes["data"] = .verbatim(event.data)
        } else {
            attributes["data_base64"] = .string(Data(event.data).base64EncodedString())
        }
        return attributes
    }

    /// The verdict on the producer, as the entry records it: `status`, and the verified
    /// `service` with its `key_id`, or the `problem`.
    private static func members(of provenance: EventProvenance) -> [String: CanonicalJSON] {
        var members: [String: CanonicalJSON] = ["status": .string(provenance.status)]
        switch provenance {
        case .verified(let service, let keyID):
            members["service"] = .string(service)
            members["key_id"] = .string(keyID)
        case .unsigned:
            break
        case .invalid(let problem):
            members["problem"] = .string(problem)
        }
        return members
    }

    /// Tenant ids follow governance's rule; anything else goes to the system log.
    static func validTenant(_ tenant: String) -> String? {
        let bytes = tenant.utf8
        guard let first = bytes.first, bytes.count <= 63, isLowercaseAlphanumeric(first),
              bytes.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return nil }
        return tenant
    }

    private static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// UTF-8 text when the bytes are valid UTF-8, otherwise `base64:` and the bytes in base64.
    private static func text(_ bytes: [UInt8]) -> String {
        if let string = String(validating: bytes, as: UTF8.self) { return string }
        return "base64:" + Data(bytes).base64EncodedString()
    }

    /// A value for a query column: PostgreSQL text holds no NUL, and an indexed value stays far
    /// below the index's row limit (at most 512 bytes, cut at a character boundary).
    private static func column(_ value: String) -> String? {
        var cleaned = value.utf8.contains(0) ? value.replacingOccurrences(of: "\0", with: "") : value
        if cleaned.utf8.count > 512 {
            var cut = cleaned.utf8.index(cleaned.utf8.startIndex, offsetBy: 512)
            while !cleaned.unicodeScalars.indices.contains(cut) { cut = cleaned.utf8.index(before: cut) }
            cleaned = String(cleaned[..<cut])
        }
        return cleaned.isEmpty ? nil : cleaned
    }
}
