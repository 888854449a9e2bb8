import MaestroService

/// Why a governance operation was refused.
enum GovernanceError: Error, Sendable, Equatable {
    case notFound(String)
    case alreadyExists(String)
    case invalidCredentials
    case forbidden(String)
    case internalState(String)

    var problem: HTTPProblem {
        switch self {
        case .notFound(let what): .notFound("\(what) does not exist.")
        case .alreadyExists(let what): .conflict("\(what) already exists.")
        case .invalidCredentials: .unauthorized("The API key is invalid, expired or revoked.")
        case .forbidden(let detail): .forbidden(detail)
        case .internalState: .internalError()
        }
    }
}
