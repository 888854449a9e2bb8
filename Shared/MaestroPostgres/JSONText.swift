import Foundation

/// JSON text for jsonb columns: bound as text and cast in SQL (`\(text)::jsonb`), read back
/// as text. Keys are sorted, so equal values give equal text.
public enum JSONText {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// `nil` for a NULL column.
    @_disfavoredOverload
    public static func decode<Value: Decodable>(_ text: String?, as _: Value.Type) throws -> Value? {
        guard let text else { return nil }
        return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    public static func decode<Value: Decodable>(_ text: String, as _: Value.Type) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }
}
