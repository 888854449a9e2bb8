import Foundation
import MaestroEvents
import Testing

@Suite("Event catalog and schemas")
struct EventSchemaTests {
    @Test("every payload type has a sample")
    func everyPayloadTypeHasASample() {
        let sampled = Set(EventSamples.all.map(\.typeName))
        let missing = EventCatalog.types.map(\.name).filter { !sampled.contains($0) }
        #expect(missing.isEmpty, "no sample for \(missing)")
        let unknown = sampled.subtracting(EventCatalog.types.map(\.name))
        #expect(unknown.isEmpty, "samples of types outside the catalog: \(unknown.sorted())")
    }

    @Test("a sample encodes to JSON its schema accepts and decodes back unchanged", arguments: EventSamples.all)
    func sampleRoundTrips(_ sample: EventSample) throws {
        try assertRoundTrip(sample.payload)
    }

    @Test("optional fields left nil are omitted, not encoded as null")
    func nilOptionalsAreOmitted() throws {
        let payload = RegistryEvent.TagSet(modelName: "churn-predictor", key: "team", value: "growth", setBy: "bob", setAt: EventSamples.start)
        let json = try JSONDecoder().decode(JSONValue.self, from: EventCoding.makeEncoder().encode(payload))
        #expect(json.keys == ["model_name", "key", "value", "set_by", "set_at"])
    }

    @Test("scalar values keep their JSON kind", arguments: [ScalarValue.string("1"), .number(1), .number(0.25), .bool(true), .bool(false), .null])
    func scalarValueRoundTrips(_ value: ScalarValue) throws {
        let bytes = try EventCoding.makeEncoder().encode(["v": value])
        let decoded = try EventCoding.makeDecoder().decode([String: ScalarValue].self, from: bytes)
        #expect(decoded["v"] == value)
    }

    @Test("event type names follow io.maestro.<domain>.<entity>.<action>.v<N> and are unique")
    func typeNamesAreWellFormed() {
        let pattern = #/io\.maestro\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+/#
        for type in EventCatalog.types {
            #expect(type.name.wholeMatch(of: pattern) != nil, "\(type.name)")
        }
        let names = EventCatalog.types.map(\.name)
        #expect(Set(names).count == names.count, "duplicate event types")
    }

    @Test("every event type is published on a CloudEvents topic of its own domain")
    func typesLiveOnTheirDomainTopic() {
        for type in EventCatalog.types {
            #expect(Topic.catalog.contains(type.topic), "\(type.name) is on \(type.topic), not in the catalog")
            #expect(type.topic.format == .cloudEvents, "\(type.name) is on \(type.topic), which carries no CloudEvents")
            let domain = type.topic.name.split(separator: ".")[1]
            #expect(type.name.hasPrefix("io.maestro.\(domain)."), "\(type.name) is on \(type.topic)")
        }
    }

    @Test("the catalog finds a type by name")
    func lookupByName() {
        for type in EventCatalog.types {
            #expect(EventCatalog.type(named: type.name) == type)
        }
        #expect(EventCatalog.type(named: "io.maestro.registry.model.exploded.v1") == nil)
    }

    @Test("schema files and catalog types match one to one")
    func schemasMatchCatalog() {
        let schemas = Set(EventSchemas.schemaTypeNames)
        let types = Set(EventCatalog.types.map(\.name))
        #expect(types.subtracting(schemas).isEmpty, "types without a schema: \(types.subtracting(schemas).sorted())")
        #expect(schemas.subtracting(types).isEmpty, "schemas without a type: \(schemas.subtracting(types).sorted())")
    }

    @Test("validating against an unknown type fails")
    func unknownTypeThrows() {
        #expect(throws: (any Error).self) {
            try EventSchemas.violations(of: Array("{}".utf8), forType: "io.maestro.registry.model.exploded.v1")
        }
    }

    @Test("each schema file is closed, identified and uses only supported keywords", arguments: EventCatalog.types.map(\.name))
    func schemaFileIsWellFormed(_ name: String) throws {
        let url = SourceTree.schemas.appendingPathComponent("\(name).json")
        let schema = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(schema["$id"] == .string(EventCatalog.type(named: name)?.dataSchema ?? ""))
        #expect(schema["title"] == .string(name))
        #expect(schema["description"]?.stringValue?.isEmpty == false)
        #expect(schema["type"] == .string("object"))
        #expect(schema["additionalProperties"] == .bool(false))
        let properties = schema["properties"]?.keys ?? []
        for required in schema["required"]?.elements ?? [] {
            #expect(required.stringValue.map { properties.contains($0) } == true, "required \(required) is not a property")
        }
        let problems = SchemaKeywords.problems(in: schema, defs: schema["$defs"])
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("asyncapi.yaml documents every topic and every event type, each payload by reference to its schema file")
    func asyncAPIDocumentsEverything() throws {
        let yaml = YAMLNode.parse(try String(contentsOf: SourceTree.root.appendingPathComponent("asyncapi.yaml"), encoding: .utf8))
        let channels = yaml["channels"]?.children ?? []
        for topic in Topic.catalog {
            #expect(channels.contains { $0["address"]?.value == topic.name }, "no channel for topic \(topic.name)")
        }
        let messages = try #require(yaml["components"]?["messages"])
        let typed = messages.children.filter { $0["headers"]?["properties"]?["ce_type"] != nil }.map(\.key)
        #expect(Set(typed) == Set(EventCatalog.types.map(\.name)), "messages with a ce_type are not the catalog's types")
        for type in EventCatalog.types {
            let message = try #require(messages[type.name], "no message \(type.name)")
            #expect(message["headers"]?["properties"]?["ce_type"]?["const"]?.value == type.name)
            let payload = message["payload"]
            #expect(payload?.children.map(\.key) == ["$ref"], "\(type.name): the payload is more than a reference")
            #expect(payload?["$ref"]?.value == "./Shared/MaestroEvents/Schemas/\(type.name).json", "\(type.name): the payload is not its schema file")
            let channel = channels.first { $0["address"]?.value == type.topic.name }
            #expect(channel?["messages"]?[type.name]?["$ref"]?.value == "#/components/messages/\(type.name)", "\(type.name) is not on \(type.topic)")
        }
        let nodes = yaml.descendants
        for reference in nodes.filter({ $0.key == "$ref" }).map(\.value) {
            if reference.hasPrefix("#/") {
                #expect(yaml.resolve(reference) != nil, "unresolvable $ref \(reference)")
            } else {
                let path = SourceTree.root.appendingPathComponent(reference).path
                #expect(FileManager.default.fileExists(atPath: path), "$ref to a missing file \(reference)")
            }
        }
        // A payload schema is written once, in its schema file: no inline object repeats one's properties.
        for type in EventCatalog.types {
            let url = SourceTree.schemas.appendingPathComponent("\(type.name).json")
            let properties = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))["properties"]?.keys ?? []
            let copies = nodes.filter { $0.key == "properties" && properties.isSubset(of: $0.children.map(\.key)) }
            #expect(!properties.isEmpty && copies.isEmpty, "asyncapi.yaml repeats the properties of \(type.name)")
        }
    }

    @Test("a payload that breaks its schema is reported", arguments: SchemaBreak.all)
    func brokenPayloadIsReported(_ broken: SchemaBreak) throws {
        let sample = try #require(EventSamples.complete.first { type(of: $0).eventType.name == broken.type }, "no sample of \(broken.type)")
        var json = try JSONDecoder().decode(JSONValue.self, from: EventCoding.makeEncoder().encode(sample))
        broken.change(&json)
        let bytes = Array(try JSONEncoder().encode(json))
        let violations = try EventSchemas.violations(of: bytes, forType: broken.type)
        #expect(!violations.isEmpty, "\(broken.testDescription) was accepted")
    }

    private func assertRoundTrip<Payload: EventPayload>(_ sample: Payload) throws {
        let bytes = Array(try EventCoding.makeEncoder().encode(sample))
        let violations = try EventSchemas.violations(of: bytes, forType: Payload.eventType.name)
        #expect(violations.isEmpty, "\(Payload.eventType.name): \(violations.map(\.description))")
        let decoded = try EventCoding.makeDecoder().decode(Payload.self, from: Data(bytes))
        #expect(decoded == sample)
    }
}

/// A change that makes a valid sample invalid under its schema.
struct SchemaBreak: Sendable, CustomTestStringConvertible {
    let type: String
    let what: String
    let change: @Sendable (inout JSONValue) -> Void

    var testDescription: String { "\(type): \(what)" }

    static let promotionRequested = RegistryEvent.PromotionRequested.eventType.name

    static let all: [SchemaBreak] = [
        SchemaBreak(type: promotionRequested, what: "missing required field") { $0["promotion_id"] = nil },
        SchemaBreak(type: promotionRequested, what: "integer as a string") { $0["version"] = .string("7") },
        SchemaBreak(type: promotionRequested, what: "fractional version") { $0["version"] = .number(7.5) },
        SchemaBreak(type: promotionRequested, what: "extra property") { $0["approved"] = .bool(true) },
        SchemaBreak(type: promotionRequested, what: "value outside the enum") { $0["missing_card_sections"] = .array([.string("appendix")]) },
        SchemaBreak(type: promotionRequested, what: "completeness above 1") { $0["card_completeness"] = .number(1.5) },
        SchemaBreak(type: promotionRequested, what: "time that is not RFC 3339") { $0["requested_at"] = .string("yesterday") },
        SchemaBreak(type: promotionRequested, what: "metric that is not a number") { $0["metrics"]?["auc"] = .string("high") },
        SchemaBreak(type: RegistryEvent.ModelCreated.eventType.name, what: "empty model name") { $0["model_name"] = .string("") },
        SchemaBreak(type: RegistryEvent.ModelCreated.eventType.name, what: "null where a string is required") { $0["created_by"] = .null },
        SchemaBreak(type: RegistryEvent.ModelCardUpdated.eventType.name, what: "extra property in a nested object") { $0["card"]?["appendix"] = .string("…") },
        SchemaBreak(type: RegistryEvent.ModelCardUpdated.eventType.name, what: "missing field in a nested object") { $0["card"]?["owners"] = nil },
        SchemaBreak(type: GovernanceEvent.APIKeyCreated.eventType.name, what: "a secret next to the key id") { $0["secret"] = .string("mk_7Hq2Xz.s3cr3t") },
        SchemaBreak(type: GovernanceEvent.ApprovalGranted.eventType.name, what: "no approvers") { $0["approvers"] = .array([]) },
        SchemaBreak(type: AuditEvent.CheckpointSigned.eventType.name, what: "root hash that is not hex") { $0["root_hash"] = .string("not-a-hash") },
        SchemaBreak(type: IngestEvent.PredictionLogged.eventType.name, what: "feature that is not a scalar") { $0["features"]?["amount"] = .array([.number(1)]) },
    ]
}

/// Paths in the source tree, for checks on the contract files themselves.
enum SourceTree {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static let schemas = root.appendingPathComponent("Shared/MaestroEvents/Schemas")
}

/// The block structure of a YAML document: mappings and sequences by indentation, scalars
/// unquoted, flow collections (`[a, b]`) as text, block scalars (`|`, `>`) skipped. Enough to
/// follow asyncapi.yaml's keys and `$ref`s without a YAML library.
final class YAMLNode {
    let key: String
    var value: String
    var children: [YAMLNode] = []

    init(key: String, value: String = "") {
        self.key = key
        self.value = value
    }

    subscript(key: String) -> YAMLNode? { children.first { $0.key == key } }

    var descendants: [YAMLNode] { children.flatMap { [$0] + $0.descendants } }

    /// The node a local reference such as `#/components/messages/x` points to.
    func resolve(_ reference: String) -> YAMLNode? {
        reference.dropFirst(2).split(separator: "/").reduce(self) { node, token in
            node?[token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
    }

    static func parse(_ text: String) -> YAMLNode {
        let root = YAMLNode(key: "")
        var open: [(indent: Int, node: YAMLNode)] = [(-1, root)]
        var blockScalarIndent: Int?
        for line in text.split(separator: "\n") {
            var indent = line.prefix { $0 == " " }.count
            var rest = line.dropFirst(indent)
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if let block = blockScalarIndent, indent > block { continue }
            blockScalarIndent = nil
            while true {
                while open.last!.indent >= indent { open.removeLast() }
                guard rest.hasPrefix("- ") else { break }
                let item = YAMLNode(key: "-")
                open.last!.node.children.append(item)
                open.append((indent, item))
                rest = rest.dropFirst(2)
                indent += 2
            }
            guard let first = rest.first, !"'\"{[".contains(first), let colon = rest.firstIndex(of: ":"),
                  rest[colon...].dropFirst().first?.isWhitespace ?? true else {
                open.last!.node.value = unquoted(rest)
                continue
            }
            let value = unquoted(rest[colon...].dropFirst().drop { $0 == " " })
            if ["|", "|-", "|+", ">", ">-", ">+"].contains(value) { blockScalarIndent = indent }
            let node = YAMLNode(key: String(rest[..<colon]), value: value)
            open.last!.node.children.append(node)
            open.append((indent, node))
        }
        return root
    }

    private static func unquoted(_ text: Substring) -> String {
        guard text.count >= 2, let quote = text.first, quote == "'" || quote == "\"", text.last == quote else { return String(text) }
        let inner = String(text.dropFirst().dropLast())
        return quote == "'" ? inner.replacingOccurrences(of: "''", with: "'") : inner
    }
}

/// The JSON Schema keywords the contract's validator supports; a schema using any other
/// keyword would be silently less strict than it reads.
enum SchemaKeywords {
    static let supported: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "format", "minItems", "maxItems", "$ref", "$defs", "description",
        "title", "$schema", "$id",
    ]

    static func problems(in schema: JSONValue, at path: String = "#", defs: JSONValue?) -> [String] {
        guard case .object(let object) = schema else { return ["\(path) is not a schema object"] }
        var problems = object.keys.filter { !supported.contains($0) }.map { "\(path) uses unsupported keyword \($0)" }
        if let ref = object["$ref"] {
            let prefix = "#/$defs/"
            let target = ref.stringValue.flatMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
            if target.flatMap({ defs?[$0] }) == nil {
                problems.append("\(path) has unresolvable $ref \(ref)")
            }
        }
        if let format = object["format"], format != .string("date-time") {
            problems.append("\(path) has unsupported format \(format)")
        }
        for (name, property) in object["properties"]?.members ?? [:] {
            if name.wholeMatch(of: #/[a-z][a-z0-9_]*/#) == nil {
                problems.append("\(path)/properties/\(name) is not snake_case")
            }
            problems += Self.problems(in: property, at: "\(path)/properties/\(name)", defs: defs)
        }
        for (name, definition) in object["$defs"]?.members ?? [:] {
            problems += Self.problems(in: definition, at: "\(path)/$defs/\(name)", defs: defs)
        }
        if let items = object["items"] {
            problems += Self.problems(in: items, at: "\(path)/items", defs: defs)
        }
        if let additional = object["additionalProperties"], additional.members != nil {
            problems += Self.problems(in: additional, at: "\(path)/additionalProperties", defs: defs)
        }
        return problems
    }
}

/// Inspecting schemas and breaking samples on purpose.
extension JSONValue: CustomStringConvertible {
    subscript(key: String) -> JSONValue? {
        get { members?[key] }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    var members: [String: JSONValue]? {
        if case .object(let object) = self { object } else { nil }
    }

    var keys: Set<String> { members.map { Set($0.keys) } ?? [] }

    var elements: [JSONValue]? {
        if case .array(let array) = self { array } else { nil }
    }

    var stringValue: String? {
        if case .string(let string) = self { string } else { nil }
    }

    public var description: String {
        (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "?"
    }
}

@Suite("Event domains")
struct EventDomainTests {
    /// The topic of a payload's domain, which is where a service's database publishes it.
    static func domainTopic<Event: DomainEvent>(_: Event.Type) -> Topic { Event.Domain.topic }

    @Test("every payload a service publishes belongs to a domain whose topic is its event type's topic")
    func payloadsLiveOnTheirDomainsTopic() {
        for payloadType in EventCatalog.payloadTypes {
            let type = payloadType.eventType
            guard let domainEvent = payloadType as? any DomainEvent.Type else {
                #expect(type.topic.producer.hasPrefix("external") || type.topic.name.hasPrefix("maestro.ingest."), "\(type.name) has no domain")
                continue
            }
            #expect(Self.domainTopic(domainEvent) == type.topic, "\(type.name)")
        }
    }
}
