import MaestroDomain

/// Why a governance operation was refused. The description is the client's detail.
enum GovernanceError: DomainError, Equatable {
    case notFound(String)
    case alreadyExists(String)
    case invalidCredentials
    case forbidden(String)
    case internalState(String)

    var kind: DomainErrorKind {
        switch self {
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .invalidCredentials: .unauthenticated
        case .forbidden: .forbidden
        case .internalState: .internalState
        }
    }

    var description: String {
        switch self {
        case .notFound(let what): "\(what) does not exist."
        case .alreadyExists(let what): "\(what) already exists."
        // One text for every failure, so a caller cannot tell which check failed.
        case .invalidCredentials: "The API key is invalid, expired or revoked."
        case .forbidden(let detail): detail
        case .internalState(let detail): detail
        }
    }
}
