import Foundation
import HTTPTypes
import HummingbirdTesting
import MaestroEvents
import MaestroService
import MaestroTestSupport
import NIOCore

/// Request headers and response decoding shared by the services' router tests.
extension HTTPFields {
    public static func bearer(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)"]
    }

    public static func json(_ token: String, idempotencyKey: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let idempotencyKey { fields[IdempotencyMiddleware.header] = idempotencyKey }
        return fields
    }
}

extension TestResponse {
    /// The body as a JSON object; a body that is not one fails the test with its text.
    public var json: [String: JSONValue] {
        get throws {
            guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) else {
                throw TestSetupError("the response body is not a JSON object: \(String(buffer: body))")
            }
            return object
        }
    }
}
