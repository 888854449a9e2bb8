import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents

/// The one guard against text PostgreSQL cannot store: a NUL (U+0000) is refused wherever
/// request text enters a service — the path, the query string and JSON bodies — with a 4xx
/// naming where it was, before any handler or SQL sees it.
///
/// (Audit's ingest of events from Kafka keeps its own handling of NULs inside events.)
public enum TextGuard {
    /// 400 naming the query parameter (or the path) whose text holds `%00`.
    public static func checkURL(path: String, query: String?) throws(HTTPProblem) {
        if path.range(of: "%00", options: .caseInsensitive) != nil {
            throw .badRequest("The path contains a NUL character (%00).", errors: [.init(field: "path", message: "must not contain NUL")])
        }
        guard let query, query.range(of: "%00", options: .caseInsensitive) != nil else { return }
        let names = FormQuery(query).pairs.filter { $0.key.contains("\0") || $0.value.contains("\0") }
            .map { $0.key.replacingOccurrences(of: "\0", with: "\\u0000") }
        throw .badRequest("A query parameter contains a NUL character (%00).",
                          errors: (names.isEmpty ? ["query"] : names).map { .init(field: $0, message: "must not contain NUL") })
    }

    /// 422 naming the first member whose key or string value holds a NUL (`\u0000` in JSON).
    /// Cheap for the usual body: the bytes are scanned first, and parsed again only when one is there.
    public static func checkJSON(_ data: Data) throws(HTTPProblem) {
        guard containsEscapedNUL(data), let value = try? JSONDecoder().decode(JSONValue.self, from: data),
              let field = fieldWithNUL(in: value, at: nil) else { return }
        throw .invalid([.init(field: field.isEmpty ? nil : field, message: "must not contain NUL (U+0000)")],
                       detail: "The request body contains a NUL character (U+0000).")
    }

    /// Whether the JSON text has a `\u0000` escape (not an escaped backslash followed by `u0000`).
    static func containsEscapedNUL(_ data: Data) -> Bool {
        var index = data.startIndex
        while index < data.endIndex {
            if data[index] == UInt8(ascii: "\\") {
                let next = data.index(after: index)
                guard next < data.endIndex else { return false }
                if data[next] == UInt8(ascii: "u"), data.distance(from: next, to: data.endIndex) > 4,
                   data[next + 1 ... next + 4].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    return true
                }
                index = data.index(after: next)
            } else {
                index = data.index(after: index)
            }
        }
        return false
    }

    /// The path (`a.b[2]`) of the first key or string holding a NUL; `""` for the document itself.
    static func fieldWithNUL(in value: JSONValue, at path: String?) -> String? {
        switch value {
        case .string(let text): return text.contains("\0") ? (path ?? "") : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = fieldWithNUL(in: item, at: "\(path ?? "")[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for key in members.keys.sorted() {
                let member = path.map { "\($0).\(key)" } ?? key
                if key.contains("\0") { return member.replacingOccurrences(of: "\0", with: "\\u0000") }
                if let found = fieldWithNUL(in: members[key]!, at: member) { return found }
            }
            return nil
        case .null, .bool, .number: return nil
        }
    }
}

/// Applies ``TextGuard/checkURL(path:query:)`` to every request.
public struct TextGuardMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try TextGuard.checkURL(path: request.uri.path, query: request.uri.query)
        return try await next(request, context)
    }
}
