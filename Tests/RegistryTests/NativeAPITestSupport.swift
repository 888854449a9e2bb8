import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import Testing
@testable import Registry

// Requests and checks shared by the native API tests.

/// A model name no other test uses. Alias answers are cached in the one Redis all test runs
/// share, keyed by tenant and model name, so tests that resolve aliases name models with it.
func unique(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

extension TestClientProtocol {
    /// A request with a bearer token (when given); a body is sent as `application/json` unless
    /// `headers` names another content type.
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a model; setup, so anything but 201 stops the test.
    @discardableResult
    func createModel(_ body: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestResponse {
        let response = try await send(.post, "/v1/models", token: token, body: body)
        try #require(response.status == .created, "\(response.text)", sourceLocation: sourceLocation)
        return response
    }

    /// Registers a version of `model` and returns its number.
    @discardableResult
    func createVersion(of model: String, _ body: String = #"{"source":"s3://models/artifact"}"#, token: String,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let response = try await send(.post, "/v1/models/\(model)/versions", token: token, body: body)
        try #require(response.status == .created, "\(response.text)", sourceLocation: sourceLocation)
        return try #require(try response.json["version"]?.int, sourceLocation: sourceLocation)
    }

    /// Follows `next_page_token` from `uri` (which has a query) to the last page; the items of each page.
    func pages(_ uri: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[[String: JSONValue]]] {
        var pages: [[[String: JSONValue]]] = []
        var pageToken: String? = ""
        while let current = pageToken, pages.count < 20 {
            let response = try await send(.get, current.isEmpty ? uri : "\(uri)&page_token=\(current)", token: token)
            try #require(response.status == .ok, "\(response.text)", sourceLocation: sourceLocation)
            pages.append(try response.items)
            pageToken = try response.json["next_page_token"]?.string
        }
        return pages
    }
}

extension TestResponse {
    /// The `items` of a list answer.
    var items: [[String: JSONValue]] {
        get throws {
            guard case .array(let items) = try json["items"] else { throw TestSetupError("no items in \(text)") }
            return try items.map { item in
                guard case .object(let object) = item else { throw TestSetupError("an item is not an object: \(item)") }
                return object
            }
        }
    }

    var text: String { String(buffer: body) }

    /// Checks an RFC 9457 answer: the status, `application/problem+json`, the status and
    /// `urn:maestro:problem:<kind>` in the body and, when given, an entry for `field`.
    func expectProblem(_ status: HTTPResponse.Status, _ kind: String, field: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(self.status == status, "\(text)", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try json
        #expect(problem["status"] == .number(Double(status.code)), sourceLocation: sourceLocation)
        #expect(problem["type"] == .string("urn:maestro:problem:\(kind)"), sourceLocation: sourceLocation)
        if let field {
            let fields = problem["errors"]?.array?.compactMap { $0.object?["field"]?.string } ?? []
            #expect(fields.contains(field), "errors name \(fields), not \(field)", sourceLocation: sourceLocation)
        }
    }
}

extension JSONValue {
    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var int: Int? {
        if case .number(let value) = self, value.rounded() == value { Int(value) } else { nil }
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }
}

extension [[String: JSONValue]] {
    /// The `name` of each item (models).
    var names: [String] { compactMap { $0["name"]?.string } }

    /// `model/version` of each item (versions).
    var versionKeys: [String] { compactMap { item in item["version"]?.int.map { "\(item["model_name"]?.string ?? "?")/\($0)" } } }
}
