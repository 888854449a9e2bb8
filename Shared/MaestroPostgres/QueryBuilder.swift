import PostgresNIO

/// Builds a statement whose shape depends on input (optional filters, a variable number of
/// conditions) while every value stays a bind parameter: text is appended only by the code
/// that builds the query, values only through ``bind(_:)``.
public struct QueryBuilder: Sendable {
    public private(set) var sql: String
    private var binds = PostgresBindings()

    public init(_ sql: String = "") {
        self.sql = sql
    }

    /// Appends SQL text written by the caller (never user input).
    public mutating func append(_ text: String) {
        sql += text
    }

    /// Adds a bind parameter and returns its placeholder (`$n`).
    public mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Adds a bind parameter that may be NULL and returns its placeholder.
    public mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    public var query: PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
