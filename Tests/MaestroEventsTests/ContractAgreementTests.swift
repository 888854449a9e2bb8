import Foundation
import MaestroEvents
import Testing

/// Each JSON Schema and its Swift payload type describe the same JSON, field by field, in nested
/// objects and array items too. The documents are built from the schema, so a field added on
/// either side alone fails here without anyone writing a sample for it:
/// - a document with every schema property decodes and encodes back unchanged, and leaves no
///   Swift optional unset (no property missing on either side);
/// - a property is in `required` exactly when decoding fails without it (non-optional in Swift);
/// - each value accepts exactly the JSON kinds its schema allows (`date-time` strings for `Date`);
/// - each schema `enum` lists exactly the raw values of the Swift enum it decodes into;
/// - and `EventSamples` set every schema property somewhere, so the round-trip tests cover them.
@Suite("Payload types agree with their schemas")
struct ContractAgreementTests {
    static let names = EventCatalog.types.map(\.name)

    @Test("a document with every schema property round-trips and sets every Swift property", arguments: names)
    func fullDocument(_ name: String) throws {
        try expectNoProblems(name) { try $0.fullDocumentProblems() }
    }

    @Test("a document with only the required properties round-trips", arguments: names)
    func requiredOnlyDocument(_ name: String) throws {
        try expectNoProblems(name) { try $0.requiredOnlyProblems() }
    }

    @Test("a property is required in the schema exactly when its Swift property is not optional", arguments: names)
    func requiredMatchesOptionality(_ name: String) throws {
        try expectNoProblems(name) { $0.requiredProblems() }
    }

    @Test("every value accepts exactly the JSON kinds its schema allows", arguments: names)
    func kindsMatch(_ name: String) throws {
        try expectNoProblems(name) { $0.kindProblems() }
    }

    @Test("every schema enum lists exactly the cases of its Swift enum", arguments: names)
    func enumsMatch(_ name: String) throws {
        try expectNoProblems(name) { $0.enumProblems() }
    }

    @Test("the samples exercise every schema property", arguments: names)
    func samplesCoverSchema(_ name: String) throws {
        try expectNoProblems(name) { try $0.sampleCoverageProblems() }
    }

    private func expectNoProblems(_ name: String, _ check: (any ContractCheck) throws -> [String]) throws {
        let type = try #require(EventCatalog.payloadTypes.first { $0.eventType.name == name })
        let problems = try check(try contract(for: type))
        #expect(problems.isEmpty, "\(name):\n\(problems.joined(separator: "\n"))")
    }

    private func contract<Payload: EventPayload>(for _: Payload.Type) throws -> any ContractCheck {
        try Contract<Payload>()
    }
}

protocol ContractCheck {
    func fullDocumentProblems() throws -> [String]
    func requiredOnlyProblems() throws -> [String]
    func requiredProblems() -> [String]
    func kindProblems() -> [String]
    func enumProblems() -> [String]
    func sampleCoverageProblems() throws -> [String]
}

/// One payload type with its schema, and documents built from the schema.
struct Contract<Payload: EventPayload>: ContractCheck {
    /// A value the document holds, with the schema it was built from. `required` is nil for array
    /// items and map values, which are not properties.
    struct Field {
        let path: [String]
        let schema: [String: JSONValue]
        let required: Bool?
    }

    let root: JSONValue
    /// Every schema property set, every array with one item, every map with one entry.
    private(set) var full: JSONValue = .null
    /// Only required properties, arrays and maps as small as the schema allows.
    private(set) var requiredOnly: JSONValue = .null
    private(set) var fields: [Field] = []

    static var name: String { Payload.eventType.name }
    static var time: String { RFC3339.format(Date(timeIntervalSince1970: 1_785_000_000)) }

    init() throws {
        let url = SourceTree.schemas.appendingPathComponent("\(Self.name).json")
        root = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        full = document(for: root, at: [], required: nil, full: true)
        requiredOnly = document(for: root, at: [], required: nil, full: false)
    }

    // MARK: Checks

    func fullDocumentProblems() throws -> [String] {
        let invalid = try EventSchemas.violations(of: Array(JSONEncoder().encode(full)), forType: Self.name)
        guard invalid.isEmpty else { return ["the document built from the schema breaks it: \(invalid)"] }
        let payload: Payload
        do { payload = try decode(full) } catch { return ["Swift cannot decode \(full): \(error)"] }
        let unset = Reflection.leaves(of: payload).filter { $0.value == nil }.map { "Swift optional \($0.key) is not set by any schema property" }
        return try differences(full, encode(payload)) + unset.sorted()
    }

    func requiredOnlyProblems() throws -> [String] {
        let payload: Payload
        do { payload = try decode(requiredOnly) } catch { return ["Swift cannot decode \(requiredOnly): \(error)"] }
        return try differences(requiredOnly, encode(payload))
    }

    func requiredProblems() -> [String] {
        if let unreadable = unreadableFullDocument { return [unreadable] }
        return fields.compactMap { field in
            guard let required = field.required else { return nil }
            let decodes = (try? decode(full.setting(nil, at: field.path[...]))) != nil
            switch (required, decodes) {
            case (true, true): return "\(pointer(field.path)) is required in the schema but optional in Swift"
            case (false, false): return "\(pointer(field.path)) is optional in the schema but required in Swift"
            default: return nil
            }
        }
    }

    func kindProblems() -> [String] {
        if let unreadable = unreadableFullDocument { return [unreadable] }
        return fields.flatMap { field in
            let compound = Self.kinds(field.schema).contains { $0 == "object" || $0 == "array" }
            return (Self.probes + (field.schema["enum"]?.elements ?? [])).compactMap { probe -> String? in
                if compound, probe.members != nil || probe.elements != nil { return nil }
                let allowed = Self.allows(field.schema, probe)
                // Swift optionals read null as absent and never write it, so null counts only where the schema allows it.
                if probe == .null, !allowed { return nil }
                let document = full.setting(probe, at: field.path[...])
                let read = (try? decode(document)).map { probe == .null || (try? encode($0))?.value(at: field.path[...]) == probe } ?? false
                guard read != allowed else { return nil }
                return "\(pointer(field.path)): the schema \(allowed ? "allows" : "forbids") \(probe), Swift \(read ? "reads and writes it back" : "does not")"
            }
        }
    }

    func enumProblems() -> [String] {
        if let unreadable = unreadableFullDocument { return [unreadable] }
        return fields.compactMap { field -> String? in
            guard let values = field.schema["enum"]?.elements, values.count > 1 else { return nil }
            guard let first = try? decode(full.setting(values[0], at: field.path[...])),
                  let second = try? decode(full.setting(values[1], at: field.path[...])) else {
                return "\(pointer(field.path)): Swift refuses \(values[0]) or \(values[1])"
            }
            let before = Reflection.leaves(of: first)
            let after = Reflection.leaves(of: second)
            let changed = after.keys.filter { String(describing: after[$0]!) != String(describing: before[$0] ?? nil) }
            guard changed.count == 1, let key = changed.first, let cases = after[key]!.flatMap(Reflection.rawValues) else {
                return "\(pointer(field.path)): not held by one CaseIterable Swift enum (Swift values that change: \(changed.sorted()))"
            }
            let schema = Set(values.compactMap(\.stringValue))
            return cases == schema ? nil : "\(pointer(field.path)): schema enum \(schema.sorted()), Swift \(key) cases \(cases.sorted())"
        }
    }

    func sampleCoverageProblems() throws -> [String] {
        let samples = EventSamples.all.map(\.payload).filter { type(of: $0).eventType.name == Self.name }
        var covered: Set<String> = []
        for sample in samples {
            let json = try JSONDecoder().decode(JSONValue.self, from: EventCoding.makeEncoder().encode(sample))
            covered.formUnion(propertyPaths(in: json, schema: root, at: ""))
        }
        return propertyPaths(in: full, schema: root, at: "").subtracting(covered).sorted().map { "no sample sets \($0)" }
    }

    /// The checks that change one value of the full document mean nothing when Swift cannot read it.
    var unreadableFullDocument: String? {
        (try? decode(full)) == nil ? "Swift cannot decode the document with every schema property" : nil
    }

    // MARK: Documents from the schema

    /// The node with a `$ref` replaced by its `$defs` target; the node's own keywords win.
    func resolved(_ node: JSONValue) -> [String: JSONValue] {
        var members = node.members ?? [:]
        guard let reference = members.removeValue(forKey: "$ref")?.stringValue,
              let target = root["$defs"]?[String(reference.split(separator: "/").last ?? "")] else { return members }
        return resolved(target).merging(members) { $1 }
    }

    static func kinds(_ schema: [String: JSONValue]) -> [String] {
        if let name = schema["type"]?.stringValue { return [name] }
        return schema["type"]?.elements?.compactMap(\.stringValue) ?? []
    }

    private mutating func document(for node: JSONValue, at path: [String], required: Bool?, full: Bool) -> JSONValue {
        let schema = resolved(node)
        if full, !path.isEmpty { fields.append(Field(path: path, schema: schema, required: required)) }
        if let values = schema["enum"]?.elements, let first = values.first { return first }
        let number = { (name: String) -> Double? in if case .number(let value)? = schema[name] { value } else { nil } }
        switch Self.kinds(schema).first {
        case "object":
            guard let properties = schema["properties"]?.members else {
                guard full, let values = schema["additionalProperties"], values != .bool(false) else { return .object([:]) }
                return .object(["key": document(for: values, at: path + ["key"], required: nil, full: full)])
            }
            let names = Set(schema["required"]?.elements?.compactMap(\.stringValue) ?? [])
            var object: [String: JSONValue] = [:]
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) where full || names.contains(name) {
                object[name] = document(for: property, at: path + [name], required: names.contains(name), full: full)
            }
            return .object(object)
        case "array":
            guard full || (number("minItems") ?? 0) > 0, let items = schema["items"] else { return .array([]) }
            return .array([document(for: items, at: path + ["0"], required: nil, full: full)])
        case "string":
            if schema["format"] == .string("date-time") { return .string(Self.time) }
            let pattern = schema["pattern"]?.stringValue ?? ""
            let fits = { (text: String) in Double(text.count) >= number("minLength") ?? 0 && text.range(of: pattern, options: .regularExpression) != nil }
            return .string(["x", String(repeating: "ab", count: 32)].first(where: fits) ?? "x")
        case "integer":
            return .number((number("minimum") ?? 0) + 1)
        case "number":
            return .number(((number("minimum") ?? 0) + (number("maximum") ?? 1)) / 2)
        case "boolean":
            return .bool(true)
        default:
            return .null
        }
    }

    /// One value of each JSON kind, and an RFC 3339 string.
    static var probes: [JSONValue] {
        [.string("x"), .string(time), .number(7), .number(0.5), .bool(false), .null, .object([:]), .array([])]
    }

    /// Whether the schema allows the JSON kind of the value; bounds, lengths and patterns aside,
    /// which Swift does not enforce.
    static func allows(_ schema: [String: JSONValue], _ value: JSONValue) -> Bool {
        if let values = schema["enum"]?.elements { return values.contains(value) }
        let kinds = kinds(schema)
        switch value {
        case .string(let text): return kinds.contains("string") && (schema["format"] != .string("date-time") || RFC3339.parse(text) != nil)
        case .number(let number): return kinds.contains("number") || (kinds.contains("integer") && number.rounded() == number)
        case .bool: return kinds.contains("boolean")
        case .null: return kinds.contains("null")
        case .object: return kinds.contains("object")
        case .array: return kinds.contains("array")
        }
    }

    /// The properties a document sets, as JSON Pointers with `*` for any array index or map key.
    func propertyPaths(in json: JSONValue, schema node: JSONValue, at path: String) -> Set<String> {
        let schema = resolved(node)
        switch json {
        case .object(let members):
            if let properties = schema["properties"]?.members {
                return members.reduce(into: []) { paths, member in
                    guard let property = properties[member.key] else { return }
                    paths.insert("\(path)/\(member.key)")
                    paths.formUnion(propertyPaths(in: member.value, schema: property, at: "\(path)/\(member.key)"))
                }
            }
            guard let values = schema["additionalProperties"] else { return [] }
            return members.values.reduce(into: []) { $0.formUnion(propertyPaths(in: $1, schema: values, at: "\(path)/*")) }
        case .array(let elements):
            guard let items = schema["items"] else { return [] }
            return elements.reduce(into: []) { $0.formUnion(propertyPaths(in: $1, schema: items, at: "\(path)/*")) }
        default:
            return []
        }
    }

    // MARK: Coding

    func decode(_ json: JSONValue) throws -> Payload {
        try EventCoding.makeDecoder().decode(Payload.self, from: JSONEncoder().encode(json))
    }

    func encode(_ payload: Payload) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: EventCoding.makeEncoder().encode(payload))
    }

    func pointer(_ path: [String]) -> String { "/" + path.joined(separator: "/") }

    /// Where two documents differ, as JSON Pointers.
    func differences(_ expected: JSONValue, _ actual: JSONValue, at path: [String] = []) -> [String] {
        if case .object(let left) = expected, case .object(let right) = actual {
            return Set(left.keys).union(right.keys).sorted().flatMap { key -> [String] in
                switch (left[key], right[key]) {
                case (let left?, let right?): differences(left, right, at: path + [key])
                case (_?, nil): ["\(pointer(path + [key])) is in the schema but Swift does not encode it"]
                default: ["\(pointer(path + [key])) is encoded by Swift but not in the schema"]
                }
            }
        }
        if case .array(let left) = expected, case .array(let right) = actual, left.count == right.count {
            return zip(left, right).enumerated().flatMap { differences($1.0, $1.1, at: path + ["\($0)"]) }
        }
        return expected == actual ? [] : ["\(pointer(path)): expected \(expected), Swift encodes \(actual)"]
    }
}

/// The stored values of a Swift value, found by reflection rather than through its coding.
enum Reflection {
    /// Every leaf by its path of Swift property names, array indices and map keys; nil for an
    /// unset optional. Enums without payload, dates, strings, numbers and booleans are leaves.
    static func leaves(of value: Any, at path: String = "") -> [String: Any?] {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            return mirror.children.first.map { leaves(of: $0.value, at: path) } ?? [path: nil]
        }
        if value is Date || value is String || mirror.children.isEmpty { return [path: value] }
        if mirror.displayStyle == .dictionary {
            return mirror.children.reduce(into: [:]) { leaves, entry in
                let pair = Mirror(reflecting: entry.value).children.map(\.value)
                leaves.merge(Self.leaves(of: pair[1], at: "\(path)/\(pair[0])")) { $1 }
            }
        }
        return mirror.children.enumerated().reduce(into: [:]) { leaves, child in
            leaves.merge(Self.leaves(of: child.element.value, at: "\(path)/\(child.element.label ?? "\(child.offset)")")) { $1 }
        }
    }

    /// The raw values of all cases, when the value is a case of a `CaseIterable` raw-value enum.
    static func rawValues(_ value: Any) -> Set<String>? {
        guard let value = value as? any CaseIterable & RawRepresentable else { return nil }
        return rawValues(of: value)
    }

    private static func rawValues<Enum: CaseIterable & RawRepresentable>(of _: Enum) -> Set<String> {
        Set(Enum.allCases.map { "\($0.rawValue)" })
    }
}

extension JSONValue {
    /// The value at the path (object keys, array indices), if there is one.
    func value(at path: ArraySlice<String>) -> JSONValue? {
        guard let key = path.first else { return self }
        switch self {
        case .object(let members): return members[key]?.value(at: path.dropFirst())
        case .array(let elements): return Int(key).flatMap { elements.indices.contains($0) ? elements[$0] : nil }?.value(at: path.dropFirst())
        default: return nil
        }
    }

    /// The document with the value at the path (object keys, array indices) replaced; nil removes
    /// an object member.
    func setting(_ value: JSONValue?, at path: ArraySlice<String>) -> JSONValue {
        guard let key = path.first else { return value ?? .null }
        let rest = path.dropFirst()
        switch self {
        case .object(var members):
            members[key] = rest.isEmpty ? value : members[key]?.setting(value, at: rest)
            return .object(members)
        case .array(var elements):
            guard let index = Int(key), elements.indices.contains(index) else { return self }
            elements[index] = elements[index].setting(value, at: rest)
            return .array(elements)
        default:
            return self
        }
    }
}
