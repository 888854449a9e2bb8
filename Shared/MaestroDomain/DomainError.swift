/// Why the domain refuses an operation for good: the request cannot succeed as asked.
///
/// Domain code throws these without knowing HTTP. The HTTP edge maps ``kind`` to a status in
/// one place (the kit's `ProblemMiddleware`), a compatibility API to its own error shape, and a
/// consumer treats a refusal of an event as poison (dead-letter topic), not as transient.
/// ``description`` is shown to clients: it never carries secrets, tokens or SQL.
public protocol DomainError: Error, Sendable, CustomStringConvertible {
    var kind: DomainErrorKind { get }
    /// The input values at fault, for ``DomainErrorKind/invalid``.
    var fieldErrors: [FieldError] { get }
    /// The problem's detail; `nil` leaves the kit's generic wording for the kind (the field
    /// errors then say what is wrong). By default, the description.
    var detail: String? { get }
}

extension DomainError {
    public var fieldErrors: [FieldError] { [] }
    public var detail: String? { description }
}

/// The kinds of refusal, each with one HTTP status at the edge.
public enum DomainErrorKind: Sendable, Hashable {
    /// 404: absent, or another tenant's.
    case notFound
    /// 409: already exists.
    case alreadyExists
    /// 409: conflicts with the current state.
    case conflict
    /// 412: the `If-Match` revision is not the current one.
    case stale
    /// 422: well-formed input with invalid values.
    case invalid
    /// 400: malformed input.
    case badRequest
    /// 401: the credentials presented are not valid.
    case unauthenticated
    /// 403: the caller may not do this.
    case forbidden
    /// 500: stored state the domain cannot explain; the detail is logged, never shown.
    case internalState
}

/// One problem with one input value.
public struct FieldError: Codable, Sendable, Hashable {
    /// A dotted path into the request body or a query parameter name; `nil` for the whole input.
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }
}
