import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents

/// A request body type that names every member it accepts: a body with any other member is
/// refused with 422 naming the unknown ones, so a misspelt field is never silently ignored.
public protocol StrictJSONBody: Decodable {
    static var members: Set<String> { get }
}

extension Request {
    /// 415 unless `Content-Type` is `application/json` or a `+json` type (parameters allowed).
    public func requireJSONContentType() throws(HTTPProblem) {
        guard let value = headers[.contentType] else {
            throw .unsupportedMediaType("The request has no Content-Type; send application/json.")
        }
        let mediaType = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw .unsupportedMediaType()
        }
    }

    /// Checks the content type (415), reads the body within the context's limit (413) and
    /// decodes it: malformed JSON is 400, a missing or mistyped field is 422 naming it.
    public mutating func decodeJSON<Value: Decodable>(as type: Value.Type, context: MaestroRequestContext) async throws -> Value {
        try requireJSONContentType()
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw HTTPProblem.contentTooLarge(limit: context.maxUploadSize)
        }
        let data = Data(buffer.readableBytesView)
        try TextGuard.checkJSON(data)
        let value: Value
        do {
            value = try EventCoding.makeDecoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            // Well-formed JSON whose number does not fit its field (1.5 for an integer, 1e400)
            // is reported by the decoder as corrupt data at the root: an invalid value, not bad JSON.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, (try? JSONSerialization.jsonObject(with: data)) != nil {
                throw HTTPProblem.invalid([.init(field: nil, message: "a value does not fit the type of its member")])
            }
            throw ProblemMiddleware.problem(for: error)
        }
        if let strict = Value.self as? any StrictJSONBody.Type,
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let unknown = Set(object.keys).subtracting(strict.members).sorted()
            if !unknown.isEmpty {
                throw HTTPProblem.invalid(unknown.map { .init(field: $0, message: "is not a known member") },
                                          detail: "The request body has members this endpoint does not accept.")
            }
        }
        return value
    }
}

extension Response {
    /// A JSON response (RFC 3339 times, sorted keys), with an `ETag` when given.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, etag: ETag? = nil) throws -> Response {
        var response = Response(status: status, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try EventCoding.makeEncoder().encode(value))))
        if let etag { response.setETag(etag) }
        return response
    }
}

/// Collects every invalid value of a request, so one 422 answer lists them all.
public struct FieldValidation: Sendable {
    public private(set) var errors: [HTTPProblem.FieldError] = []

    public init() {}

    public mutating func check(_ condition: Bool, _ field: String, _ message: String) {
        if !condition { errors.append(.init(field: field, message: message)) }
    }

    /// 422 listing every failed check, if any failed.
    public func validate() throws(HTTPProblem) {
        if !errors.isEmpty { throw .invalid(errors) }
    }
}
