import Foundation

/// One way a JSON document breaks its schema: where (a JSON Pointer) and what.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let message: String

    public var description: String { "\(path.isEmpty ? "/" : path): \(message)" }
}

/// A JSON Schema (draft 2020-12) validator for the keywords Maestro's event schemas use:
/// `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`,
/// `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`, `format: date-time`,
/// `minItems`, `maxItems`, `$ref` to `#/$defs/…`. A schema using any other validation
/// keyword is rejected when loaded, so a schema never silently validates less than it says.
public struct JSONSchema: Sendable {
    static let annotationKeywords: Set<String> = ["$schema", "$id", "$defs", "title", "description", "examples", "$comment", "default"]
    static let validationKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "format", "minItems", "maxItems", "$ref",
    ]

    let root: JSONValue

    public init(parsing bytes: [UInt8]) throws {
        root = try JSONValue(parsing: bytes)
        try JSONSchema.checkKeywords(root, path: "")
    }

    private static func checkKeywords(_ schema: JSONValue, path: String) throws {
        guard case .object(let members) = schema else {
            if case .bool = schema { return }
            throw SchemaError(message: "schema at \(path.isEmpty ? "/" : path) is not an object")
        }
        for (key, value) in members {
            guard annotationKeywords.contains(key) || validationKeywords.contains(key) else {
                throw SchemaError(message: "unsupported keyword '\(key)' at \(path.isEmpty ? "/" : path)")
            }
            switch key {
            case "properties", "$defs":
                guard case .object(let children) = value else { throw SchemaError(message: "\(key) at \(path) is not an object") }
                for (name, child) in children { try checkKeywords(child, path: "\(path)/\(key)/\(name)") }
            case "items", "additionalProperties":
                try checkKeywords(value, path: "\(path)/\(key)")
            default:
                break
            }
        }
    }

    /// Every violation of the schema by `instance`; empty when it is valid.
    public func violations(of instance: JSONValue) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        validate(instance, against: root, path: "", into: &found)
        return found
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node = root
        for token in reference.dropFirst(2).split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard case .object(let members) = node, let next = members[key] else { return nil }
            node = next
        }
        return node
    }

    private func validate(_ instance: JSONValue, against schema: JSONValue, path: String, into found: inout [SchemaViolation]) {
        func fail(_ message: String) { found.append(SchemaViolation(path: path, message: message)) }
        guard case .object(let keywords) = schema else {
            if case .bool(false) = schema { fail("no value is allowed here") }
            return
        }
        if case .string(let reference) = keywords["$ref"] {
            guard let target = resolve(reference) else { return fail("unresolvable $ref \(reference)") }
            validate(instance, against: target, path: path, into: &found)
        }
        if let type = keywords["type"] {
            let allowed: [String] = switch type {
            case .string(let name): [name]
            case .array(let names): names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            let actual = instance.typeName
            let matches = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !matches {
                return fail("expected \(allowed.joined(separator: " or ")), found \(actual)")
            }
        }
        if case .array(let options) = keywords["enum"], !options.contains(instance) {
            fail("value is not one of the allowed values")
        }
        if let constant = keywords["const"], constant != instance {
            fail("value must be \(constant)")
        }
        switch instance {
        case .number(let number):
            if case .number(let minimum) = keywords["minimum"], number < minimum { fail("\(number) is less than \(minimum)") }
            if case .number(let maximum) = keywords["maximum"], number > maximum { fail("\(number) is greater than \(maximum)") }
        case .string(let text):
            if case .number(let minimum) = keywords["minLength"], Double(text.count) < minimum { fail("shorter than \(Int(minimum)) characters") }
            if case .number(let maximum) = keywords["maxLength"], Double(text.count) > maximum { fail("longer than \(Int(maximum)) characters") }
            if case .string(let pattern) = keywords["pattern"] {
                if text.range(of: pattern, options: .regularExpression) == nil { fail("does not match pattern \(pattern)") }
            }
            if case .string("date-time") = keywords["format"], RFC3339.parse(text) == nil { fail("not an RFC 3339 date-time") }
        case .array(let elements):
            if case .number(let minimum) = keywords["minItems"], Double(elements.count) < minimum { fail("fewer than \(Int(minimum)) items") }
            if case .number(let maximum) = keywords["maxItems"], Double(elements.count) > maximum { fail("more than \(Int(maximum)) items") }
            if let items = keywords["items"] {
                for (index, element) in elements.enumerated() {
                    validate(element, against: items, path: "\(path)/\(index)", into: &found)
                }
            }
        case .object(let members):
            var properties: [String: JSONValue] = [:]
            if case .object(let declared) = keywords["properties"] { properties = declared }
            if case .array(let required) = keywords["required"] {
                for case .string(let name) in required where members[name] == nil {
                    fail("missing required property '\(name)'")
                }
            }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                let childPath = "\(path)/\(name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1"))"
                if let propertySchema = properties[name] {
                    validate(value, against: propertySchema, path: childPath, into: &found)
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional {
                        found.append(SchemaViolation(path: childPath, message: "property '\(name)' is not allowed"))
                    } else {
                        validate(value, against: additional, path: childPath, into: &found)
                    }
                }
            }
        case .null, .bool:
            break
        }
    }
}

/// A schema file that cannot be used.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The JSON Schemas of the event types, loaded once from the module's `Schemas/` resources.
public enum EventSchemas {
    private static let schemas: Result<[String: JSONSchema], SchemaError> = loadAll()

    private static func loadAll() -> Result<[String: JSONSchema], SchemaError> {
        guard let directory = Bundle.module.url(forResource: "Schemas", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) else {
            return .failure(SchemaError(message: "the Schemas resource directory is missing"))
        }
        var loaded: [String: JSONSchema] = [:]
        for file in files where file.pathExtension == "json" {
            do {
                let bytes = Array(try Data(contentsOf: file))
                loaded[file.deletingPathExtension().lastPathComponent] = try JSONSchema(parsing: bytes)
            } catch {
                return .failure(SchemaError(message: "schema \(file.lastPathComponent): \(error)"))
            }
        }
        return .success(loaded)
    }

    /// The event types that have a schema file.
    public static var schemaTypeNames: [String] {
        ((try? schemas.get()) ?? [:]).keys.sorted()
    }

    /// The schema of an event type; throws if there is none or the schema files are broken.
    public static func schema(forType type: String) throws -> JSONSchema {
        guard let schema = try schemas.get()[type] else {
            throw SchemaError(message: "no schema for event type \(type)")
        }
        return schema
    }

    /// Validates JSON text against the schema of an event type; malformed JSON is one violation.
    public static func violations(of json: [UInt8], forType type: String) throws -> [SchemaViolation] {
        let schema = try schema(forType: type)
        guard let instance = try? JSONValue(parsing: json) else {
            return [SchemaViolation(path: "", message: "not valid JSON")]
        }
        return schema.violations(of: instance)
    }
}
