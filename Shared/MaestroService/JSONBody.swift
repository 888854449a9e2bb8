import Foundation
import Hummingbird

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
        do {
            return try JSONDecoder().decode(Value.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw ProblemMiddleware.problem(for: error)
        }
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
