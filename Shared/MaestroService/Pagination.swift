import Foundation
import Hummingbird
import MaestroBus
import MaestroDomain

/// What a list request asked for: a page size, capped at a hard maximum, and the cursor
/// decoded from `page_token`.
///
/// Tokens are opaque to clients: base64url of the cursor's JSON. They are not signed,
/// so a cursor carries only positions (e.g. the last key seen), never authority; the
/// query behind it is scoped to the caller's tenant like any other.
public struct PageRequest<Cursor: Codable & Sendable>: Sendable {
    public let size: Int
    public let cursor: Cursor?

    /// - Throws: 400 for a `page_size` that is not a positive integer or a `page_token`
    ///   that does not decode.
    public init(_ request: Request, defaultSize: Int = 50, maxSize: Int = 500) throws(HTTPProblem) {
        let query = request.uri.queryParameters
        if let raw = query["page_size"] {
            guard let size = Int(String(raw)), size > 0 else {
                throw .badRequest("page_size must be a positive integer.", errors: [.init(field: "page_size", message: "must be a positive integer")])
            }
            self.size = min(size, maxSize)
        } else {
            self.size = min(defaultSize, maxSize)
        }
        if let token = query["page_token"].map(String.init), !token.isEmpty {
            cursor = try PageToken.decode(token, as: Cursor.self)
        } else {
            cursor = nil
        }
    }
}

/// Encodes and decodes `next_page_token` values.
public enum PageToken {
    public static func encode(_ cursor: some Encodable) -> String {
        // A cursor of plain Codable values always encodes.
        (try? JSONEncoder().encode(cursor))?.base64URLEncodedString() ?? ""
    }

    public static func decode<Cursor: Decodable>(_ token: String, as type: Cursor.Type = Cursor.self) throws(HTTPProblem) -> Cursor {
        guard token.utf8.count <= 4096, let data = Data(base64URL: token), let cursor = try? JSONDecoder().decode(Cursor.self, from: data) else {
            throw .badRequest("page_token is not a token this service issued.", errors: [.init(field: "page_token", message: "is invalid")])
        }
        return cursor
    }
}

/// A page of a list: `{"items": [...], "next_page_token": "..."}`; the token is absent on
/// the last page.
public struct Page<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    public var items: [Item]
    public var nextPageToken: String?

    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextPageToken = "next_page_token"
    }
}
