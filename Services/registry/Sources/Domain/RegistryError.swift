import MaestroDomain

/// Why a registry operation was refused. The kit maps it to problems on the native API; the
/// MLflow API has its own codes for it.
enum RegistryError: DomainError, Equatable {
    /// The model, version, alias or promotion does not exist in the caller's tenant.
    case notFound(String)
    /// A model with that name already exists.
    case alreadyExists(String)
    /// The `If-Match` revision is not the current one.
    case stale
    /// A value breaks a rule: the field and what is wrong with it.
    case invalid(field: String, message: String)
    /// The request conflicts with the current state (e.g. a version that is not READY).
    case conflict(String)
    /// The caller's roles do not allow this change (e.g. taking a version out of a protected stage).
    case forbidden(String)

    var description: String {
        switch self {
        case .notFound(let what): "\(what) does not exist."
        case .alreadyExists(let what): "\(what) already exists."
        case .stale: "The resource changed since it was read; fetch it again."
        case .invalid(let field, let message): "\(field) \(message)"
        case .conflict(let detail): detail
        case .forbidden(let detail): detail
        }
    }

    var kind: DomainErrorKind {
        switch self {
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .stale: .stale
        case .invalid: .invalid
        case .conflict: .conflict
        case .forbidden: .forbidden
        }
    }

    /// An invalid value is named by its field error; the problem keeps the generic detail.
    var detail: String? {
        if case .invalid = self { return nil }
        return description
    }

    var fieldErrors: [FieldError] {
        guard case .invalid(let field, let message) = self else { return [] }
        return [FieldError(field: field, message: message)]
    }
}
