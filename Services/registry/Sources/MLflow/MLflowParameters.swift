import MaestroDomain
import MaestroEvents
import MaestroService

/// A request's parameters, from the query string (GET) or the JSON body (the other methods),
/// read with MLflow's leniency: numbers may come as strings and strings as numbers.
struct MLflowParameters: Sendable {
    private let json: [String: JSONValue]
    private let query: FormQuery?

    init(json: [String: JSONValue]) {
        self.json = json
        self.query = nil
    }

    init(query: FormQuery) {
        self.json = [:]
        self.query = query
    }

    func string(_ name: String) -> String? {
        if let query { return query[name] }
        switch json[name] {
        case .string(let value)?: return value
        // A whole number in Int64's range reads as an integer (`3`, not `3.0`); any other
        // number (fractions, 1e300) keeps its own text, for the caller's check to refuse.
        case .number(let value)?: return value.rounded() == value ? Int64(exactly: value).map { String($0) } ?? String(value) : String(value)
        case .bool(let value)?: return String(value)
        default: return nil
        }
    }

    func required(_ name: String) throws(MLflowError) -> String {
        guard let value = string(name), !value.isEmpty else { throw .invalid("Missing value for required parameter '\(name)'.") }
        return value
    }

    func strings(_ name: String) -> [String] {
        if let query { return query.all(name) }
        switch json[name] {
        case .array(let items)?: return items.compactMap { if case .string(let value) = $0 { value } else { nil } }
        case .string(let value)?: return [value]
        default: return []
        }
    }

    func all(_ name: String) -> [String] { strings(name) }

    func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = json[name] { return value }
        return string(name).map { $0.lowercased() == "true" }
    }

    func version() throws(MLflowError) -> Int {
        let text = try required("version")
        guard let number = Int(text), number > 0 else { throw .invalid("Parameter 'version' must be a positive integer, got '\(text)'.") }
        return number
    }

    func maxResults(default defaultValue: Int, max: Int) throws(MLflowError) -> Int {
        guard let text = string("max_results") else { return defaultValue }
        guard let value = Int(text), value > 0, value <= max else {
            throw .invalid("Invalid value for max_results: it must be at most \(max), got \(text).")
        }
        return value
    }

    /// `tags: [{"key": …, "value": …}]`.
    func tags() throws(MLflowError) -> [String: String] {
        guard case .array(let items)? = json["tags"] else { return [:] }
        var tags: [String: String] = [:]
        for item in items {
            guard case .object(let tag) = item, case .string(let key)? = tag["key"] else { throw .invalid("Every tag needs a string 'key'.") }
            if case .string(let value)? = tag["value"] { tags[key] = value } else { tags[key] = "" }
        }
        return tags
    }
}
