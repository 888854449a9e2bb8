import Foundation
import MaestroBus
import MaestroEvents
import MaestroKafka
import Testing

@Suite("CloudEvents binary mode")
struct CloudEventTests {
    static func record(headers: [String: String], value: String = "{}") -> KafkaConsumerMessage {
        KafkaConsumerMessage(topic: "t", partition: 0, offset: 0, key: nil, value: Array(value.utf8),
                             headers: headers.sorted { $0.key < $1.key }.map { KafkaHeader(name: $0.key, string: $0.value) }, timestamp: nil)
    }

    static let minimal = ["ce_specversion": "1.0", "ce_id": "abc", "ce_source": "/x", "ce_type": "io.maestro.test.thing.v1"]

    @Test("every attribute maps to its header and back")
    func everyAttribute() throws {
        let event = CloudEvent(id: UUIDv7.string(), source: "/maestro/registry", type: "io.maestro.registry.model.created.v1",
                               time: Date(timeIntervalSince1970: 1_790_000_000.125), subject: "models/fraud",
                               dataSchema: "urn:maestro:schema:io.maestro.registry.model.created.v1", tenant: "acme", authId: "user:ana",
                               correlationId: "c-1", causationId: "e-0", traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                               data: Array("{\"a\":1}".utf8))
        let message = event.kafkaMessage(topic: "t", key: "fraud")
        let headers = Dictionary(uniqueKeysWithValues: message.headers.map { ($0.name, $0.stringValue ?? "") })
        #expect(headers["ce_specversion"] == "1.0")
        #expect(headers["ce_time"] == "2026-09-21T14:13:20.125Z")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["ce_tenant"] == "acme")
        #expect(headers["ce_authid"] == "user:ana")
        #expect(headers.count == 13)
        let back = try CloudEvent(kafkaMessage: KafkaConsumerMessage(topic: "t", partition: 0, offset: 0, key: message.key, value: message.value,
                                                                     headers: message.headers, timestamp: nil))
        #expect(back == event)
    }

    @Test("a payload event carries its type, dataschema and a UUIDv7 id that starts the correlation chain")
    func payloadEvent() throws {
        let payload = RegistryEvent.ModelCreated(modelName: "fraud", tags: ["team": "risk"], createdBy: "user:ana", createdAt: Date(timeIntervalSince1970: 1_790_000_000))
        let event = try CloudEvent(source: "/maestro/registry", subject: "models/fraud", tenant: "acme", payload: payload)
        #expect(event.type == "io.maestro.registry.model.created.v1")
        #expect(event.dataSchema == "urn:maestro:schema:io.maestro.registry.model.created.v1")
        #expect(UUIDv7.isValid(event.id))
        #expect(event.correlationId == event.id)
        #expect(try event.payload(as: RegistryEvent.ModelCreated.self) == payload)
        #expect(throws: CloudEventError.self) { try event.payload(as: RegistryEvent.ModelDeleted.self) }
    }

    @Test("strict validation names what is wrong", arguments: [
        ("ce_specversion", nil, "missing header ce_specversion"),
        ("ce_id", nil, "missing header ce_id"),
        ("ce_source", nil, "missing header ce_source"),
        ("ce_type", nil, "missing header ce_type"),
        ("ce_id", "", "ce_id: empty"),
        ("ce_specversion", "0.3", "unsupported version"),
        ("ce_time", "yesterday", "not an RFC 3339 time"),
        ("ce_traceparent", "00-xyz", "not W3C trace context"),
        ("content-type", "application/xml", "not application/json"),
    ] as [(String, String?, String)])
    func strictValidation(header: String, value: String?, expected: String) {
        var headers = Self.minimal
        headers[header] = value
        #expect {
            try CloudEvent(kafkaMessage: Self.record(headers: headers))
        } throws: { error in
            (error as? CloudEventError)?.message.contains(expected) == true
        }
    }

    @Test("data that is not JSON is rejected")
    func invalidJSON() {
        #expect(throws: CloudEventError.self) { try CloudEvent(kafkaMessage: Self.record(headers: Self.minimal, value: "{nope")) }
    }

    @Test("third-party ids and a content type with parameters are accepted")
    func lenientWhereTheSpecIs() throws {
        var headers = Self.minimal
        headers["ce_id"] = "A234-1234-1234"
        headers["content-type"] = "application/json; charset=utf-8"
        let event = try CloudEvent(kafkaMessage: Self.record(headers: headers))
        #expect(event.id == "A234-1234-1234")
        #expect(event.time == nil)
    }

    @Test("UUIDv7 ids are version 7, unique and ordered by time")
    func uuidV7() {
        let earlier = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_000)).uuidString.lowercased()
        let later = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_001)).uuidString.lowercased()
        #expect(UUIDv7.isValid(earlier))
        #expect(earlier < later)
        #expect(!UUIDv7.isValid(UUID().uuidString))
        #expect(Set((0..<1000).map { _ in UUIDv7.string() }).count == 1000)
    }

    @Test("every catalog topic is unique and partitioned")
    func topicCatalog() {
        #expect(Set(Topic.catalog.map(\.name)).count == 12)
        #expect(Topic.catalog.allSatisfy { $0.partitions > 0 && $0.name.hasPrefix("maestro.") })
        #expect(Topic.named("maestro.dlq") == .deadLetters)
        #expect(Topic.ingestLineage.format == .openLineage)
    }
}

@Suite("JSON Schema validation")
struct JSONSchemaTests {
    static let schema = try! JSONSchema(parsing: Array("""
    {"type":"object","required":["name","count"],"additionalProperties":false,
     "properties":{"name":{"type":"string","minLength":1,"pattern":"^[a-z]+$"},
                   "count":{"type":"integer","minimum":0},
                   "when":{"type":"string","format":"date-time"},
                   "kind":{"enum":["a","b"]},
                   "items":{"type":"array","maxItems":2,"items":{"$ref":"#/$defs/item"}}},
     "$defs":{"item":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}}}
    """.utf8))

    func violations(_ json: String) throws -> [SchemaViolation] {
        Self.schema.violations(of: try JSONValue(parsing: Array(json.utf8)))
    }

    @Test("a valid document has no violations")
    func valid() throws {
        #expect(try violations(#"{"name":"abc","count":2,"when":"2026-01-01T00:00:00Z","kind":"a","items":[{"id":"x"}]}"#).isEmpty)
    }

    @Test("each broken rule is reported at its path", arguments: [
        (#"{"count":1}"#, "/", "missing required property 'name'"),
        (#"{"name":"abc","count":1.5}"#, "/count", "expected integer"),
        (#"{"name":"abc","count":-1}"#, "/count", "less than"),
        (#"{"name":"ABC","count":1}"#, "/name", "pattern"),
        (#"{"name":"abc","count":1,"extra":1}"#, "/extra", "not allowed"),
        (#"{"name":"abc","count":1,"when":"noon"}"#, "/when", "date-time"),
        (#"{"name":"abc","count":1,"kind":"c"}"#, "/kind", "allowed values"),
        (#"{"name":"abc","count":1,"items":[{}]}"#, "/items/0", "missing required property 'id'"),
        (#"{"name":"abc","count":true}"#, "/count", "expected integer, found boolean"),
    ])
    func brokenRules(json: String, path: String, message: String) throws {
        let found = try violations(json)
        #expect(found.contains { $0.description.hasPrefix(path) && $0.message.contains(message) }, "\(found)")
    }

    @Test("a schema with an unsupported keyword is refused, not half-applied")
    func unsupportedKeyword() {
        #expect(throws: SchemaError.self) { try JSONSchema(parsing: Array(#"{"type":"object","oneOf":[]}"#.utf8)) }
    }
}
